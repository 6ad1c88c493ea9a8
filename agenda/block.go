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
	// (ticked); at most MaxPoints (0: DefaultMaxPoints, negative: none
	// shown, all counted), the rest counted with a pointer to Share, else
	// Link.
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
	maxPoints, maxActions := b.maxPoints(), DefaultMaxActions
	for {
		lines := b.lines(maxPoints, maxActions)
		if htmlLen(lines) <= MaxBlockChars || maxPoints <= 0 && maxActions <= 0 {
			return lines
		}
		// Over the budget: one item fewer, from the longer list.
		if maxActions >= maxPoints && maxActions > 0 || maxPoints <= 0 {
			maxActions = min(maxActions, len(b.Actions)) - 1
		} else {
			maxPoints = min(maxPoints, len(b.Points)) - 1
		}
	}
}

// The block's budget (docs/DESIGN.md, "The agenda block"): Google keeps
// about 8,192 characters of a description, HTML included, and Outlook's
// reading pane shows its first lines. The block takes at most half of
// that, HTML-escaped; an item shows at most MaxItemText characters of its
// text (the whole is in the store, the shared page and the document);
// past DefaultMaxActions actions (and Block.MaxPoints points) the rest are
// counted.
const (
	MaxBlockChars     = 4096
	MaxItemText       = 140
	DefaultMaxActions = 10
)

// htmlLen is the length of the lines as Block.HTML joins them.
func htmlLen(lines []string) int {
	n := 0
	for _, l := range lines {
		n += len(html.EscapeString(l)) + len("<br>")
	}
	return n
}

// lines renders the block with at most maxPoints points and maxActions
// actions (negative: none of them, not even their heading for points).
func (b Block) lines(maxPoints, maxActions int) []string {
	loc := b.Location
	if loc == nil {
		loc = time.UTC
	}
	more := cmp.Or(b.Share, b.Link)
	lines := []string{BeginLine}
	if link := fold(b.Link); link != "" {
		lines = append(lines, agendaPrefix+" "+link)
	} else {
		lines = append(lines, agendaPrefix+` none yet — add [[agenda.pair]] with = "`+fold(b.With)+`" and link = "…" to the config`)
	}
	if share := fold(b.Share); share != "" {
		lines = append(lines, sharePrefix+" "+share)
	}
	if len(b.Points) > 0 && maxPoints >= 0 {
		lines = append(lines, pointsPrefix)
		for i, p := range b.Points {
			if i == maxPoints {
				lines = append(lines, morePoints(len(b.Points)-maxPoints, more))
				break
			}
			lines = append(lines, p.line())
		}
	}
	if len(b.Actions) == 0 {
		lines = append(lines, actionsPrefix+" none")
	} else {
		lines = append(lines, actionsPrefix)
		for i, a := range b.Actions {
			if i == max(maxActions, 0) {
				lines = append(lines, morePoints(len(b.Actions)-i, more))
				break
			}
			lines = append(lines, a.line(loc))
		}
	}
	return append(lines, FlowLine, EndLine)
}

func (b Block) maxPoints() int {
	if b.MaxPoints == 0 {
		return DefaultMaxPoints
	}
	return max(b.MaxPoints, 0)
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
	if text := cutText(fold(a.Text), MaxItemText); text != "" {
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
