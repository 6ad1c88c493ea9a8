// Package agenda renders the block that oneonone owns in the description of
// each upcoming 1:1 and merges it into a description without changing the
// user's text around it (docs/DESIGN.md, "The agenda block").
package agenda

import (
	"cmp"
	"html"
	"strings"
	"time"
	"unicode"

	"oneonone/calendar"
)

// The block's fixed lines.
const (
	BeginLine = "-- oneonone agenda --"
	EndLine   = "-- end oneonone agenda --"
	FlowLine  = "Suggested flow: check-in · progress and obstacles · two-way feedback · development · next steps"
)

// The prefixes of the other lines a block may hold.
const (
	agendaPrefix  = "Agenda:"
	actionsPrefix = "Open actions:"
	flowPrefix    = "Suggested flow:"
	pointsPrefix  = "Talking points:"
	sharePrefix   = "Add talking points:"
	morePrefix    = "… and "
)

// DefaultMaxPoints is how many talking points a block shows when
// Block.MaxPoints is not set; the others are counted ("… and 3 more at
// <link>").
const DefaultMaxPoints = 5

// Action is an action item of a pair, open while Done is zero.
type Action struct {
	ID     string        `json:"id"`
	Pair   calendar.Pair `json:"pair"`
	Owner  string        `json:"owner"` // lower-cased address
	Text   string        `json:"text"`
	Since  time.Time     `json:"since"` // when it was added
	Due    time.Time     `json:"due,omitzero"`
	Done   time.Time     `json:"done,omitzero"` // zero while open
	Origin string        `json:"origin"`        // "store", or the doc path/URL it was read from
}

// Block is the content of one agenda block.
type Block struct {
	Link string // the agenda document's URL; "" when none is configured
	With string // counterpart address, for the hint shown without a link
	// Share is the pair's shared page, where the counterpart adds talking
	// points without an account; "" when the web face has no public URL.
	Share string
	// Points are the pair's talking points, shown in this order above the
	// actions: the open ones, and those discussed since the last 1:1
	// (ticked); at most MaxPoints (0: DefaultMaxPoints, negative: none),
	// the rest counted with a pointer to Share, else Link.
	Points    []Point
	MaxPoints int
	// Actions are shown in this order: an open one as "- [ ]", a done one
	// (Blocks gives those done since the pair's last 1:1 began) as
	// "- [x]", so that its box can be unticked where it was ticked.
	Actions  []Action
	Location *time.Location // zone of the dates shown; nil means UTC
}

// Lines returns the block's lines, from BeginLine to EndLine. Every field is
// folded onto one line, so no action text can end or break the block.
func (b Block) Lines() []string {
	loc := b.Location
	if loc == nil {
		loc = time.UTC
	}
	lines := []string{BeginLine}
	if link := fold(b.Link); link != "" {
		lines = append(lines, agendaPrefix+" "+link)
	} else {
		lines = append(lines, agendaPrefix+` none yet — add [[agenda.pair]] with = "`+fold(b.With)+`" and link = "…" to the config`)
	}
	if share := fold(b.Share); share != "" {
		lines = append(lines, sharePrefix+" "+share)
	}
	if max := b.maxPoints(); len(b.Points) > 0 && max >= 0 {
		lines = append(lines, pointsPrefix)
		for i, p := range b.Points {
			if i == max {
				lines = append(lines, morePoints(len(b.Points)-max, cmp.Or(b.Share, b.Link)))
				break
			}
			lines = append(lines, p.line())
		}
	}
	var items []string
	for _, a := range b.Actions {
		items = append(items, a.line(loc))
	}
	if len(items) == 0 {
		lines = append(lines, actionsPrefix+" none")
	} else {
		lines = append(lines, actionsPrefix)
		lines = append(lines, items...)
	}
	return append(lines, FlowLine, EndLine)
}

func (b Block) maxPoints() int {
	if b.MaxPoints == 0 {
		return DefaultMaxPoints
	}
	return b.MaxPoints
}

// Text returns the block for a plain-text description (iCalendar DESCRIPTION).
func (b Block) Text() string { return strings.Join(b.Lines(), "\n") }

// HTML returns the block for an HTML description (Google): each line
// escaped, joined with <br>.
func (b Block) HTML() string {
	lines := b.Lines()
	for i, l := range lines {
		lines[i] = html.EscapeString(l)
	}
	return strings.Join(lines, "<br>")
}

// line renders "- [ ] owner: text (since 2006-01-02, due 2006-01-02)",
// "- [x] …" when a is done.
func (a Action) line(loc *time.Location) string {
	var sb strings.Builder
	if a.Done.IsZero() {
		sb.WriteString("- [ ]")
	} else {
		sb.WriteString("- [x]")
	}
	if owner := fold(a.Owner); owner != "" {
		sb.WriteString(" " + owner + ":")
	}
	if text := fold(a.Text); text != "" {
		sb.WriteString(" " + text)
	}
	var when []string
	if !a.Since.IsZero() {
		when = append(when, "since "+a.Since.In(loc).Format(time.DateOnly))
	}
	if !a.Due.IsZero() {
		when = append(when, "due "+a.Due.In(loc).Format(time.DateOnly))
	}
	if len(when) > 0 {
		sb.WriteString(" (" + strings.Join(when, ", ") + ")")
	}
	return sb.String()
}

// fold puts s on one line: every run of white space or control characters
// (newlines, CR, tabs, U+2028…) becomes one space, invalid UTF-8 becomes
// U+FFFD, and the ends are trimmed.
func fold(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Join(strings.FieldsFunc(s, isSpace), " ")
}

func isSpace(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }
