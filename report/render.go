package report

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"oneonone/calendar"
)

// Formats lists the formats Write accepts.
var Formats = []string{"text", "markdown", "html", "json"}

// Write renders r to w in format: "text", "markdown", "html" or "json".
func Write(w io.Writer, r *Report, format string) error { return write(w, r, format) }

// rendered is what renders in each of Formats: the report and the roll-up.
type rendered interface {
	WriteText(io.Writer) error
	WriteMarkdown(io.Writer) error
	WriteHTML(io.Writer) error
	WriteJSON(io.Writer) error
}

// write renders v to w in format, one of Formats.
func write(w io.Writer, v rendered, format string) error {
	switch format {
	case "text":
		return v.WriteText(w)
	case "markdown":
		return v.WriteMarkdown(w)
	case "html":
		return v.WriteHTML(w)
	case "json":
		return v.WriteJSON(w)
	}
	return fmt.Errorf("unknown format %q (want text, markdown, html or json)", format)
}

// WriteJSON writes r as indented JSON with a trailing newline (docs/DESIGN.md,
// "Report JSON").
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write report json: %w", err)
	}
	return nil
}

// Layouts of dates and times in the rendered reports.
const (
	layoutWhen = "Mon 2 Jan 15:04"
	layoutDay  = "Mon 2 Jan"
	layoutTime = "15:04"
	layoutAsOf = "Mon 2 Jan 2006 15:04"
)

// AsOfText returns the instant the figures are measured at as the reports
// show it, in its own location: "Mon 23 Nov 2026 00:00"; "" for the zero
// time.
func AsOfText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(layoutAsOf)
}

// view is the report as the text, Markdown and HTML renderers show it.
type view struct {
	Week      string
	Dates     string // "Mon 16 Nov – Sun 22 Nov 2026"
	Timezone  string
	Generated string // "2026-11-23 08:00 UTC"
	AsOf      string // "Mon 23 Nov 2026 00:00": when the figures are measured; "" when unknown
	Weeks     int    // trailing window
	Pairs     []pairView
	Totals    Counts
	TotalText string
	Extra     HTMLOptions // what the web face adds to the HTML page
	Stale     []staleView
}

// staleView is a stale source as the reports show it.
type staleView struct {
	Name  string
	Since string // "Mon 16 Nov 2026 09:00", or "never"
	Error string // one line, at most maxError runes; "" when none
}

// Text returns the stale source as one phrase: "team: last synced Mon 16
// Nov 2026 09:00 (connection refused)", "team: never synced".
func (s staleView) Text() string {
	t := s.Name + ": "
	if s.Since == "never" {
		t += "never synced"
	} else {
		t += "last synced " + s.Since
	}
	if s.Error != "" {
		t += " (" + s.Error + ")"
	}
	return t
}

// maxError is the longest error the reports show of a stale source.
const maxError = 200

// StaleHeading introduces the stale sources in every format.
const StaleHeading = "Stale sources: the figures may miss what changed in them since their last sync"

type pairView struct {
	Pair         string // the pair key
	URL          string // the pair's page, when the host page has one
	Counterpart  string
	Name         string
	Title        string
	Relationship string
	Cadence      string
	Source       string
	Occurrences  []occView
	Missed       bool // something skipped, postponed or declined this week
	Consistency  string
	OnTime       string
	Streak       string
	Last         string
	MeanShift    string
	Overdue      bool
	Actions      string
	Changes      string // "1 late; median notice 20 h; by you 1, by Bob 2"; "-" when nothing changed
	Late         string // "1"
	MedianNotice string // "20 h"; "-" when nothing changed
	ChangedBy    string // "you 1, Bob 2"
	WayBack      string // "free together: Thu 3 Dec 14:00–14:30"; "" when none
}

type occView struct {
	State  string
	When   string // original start
	Moved  string // "Thu 19 Nov 10:00 (+2d)" when the actual start differs
	Change string // "moved by Bob, 3 days before (estimated)"; "" when nothing changed it
}

// Text returns the occurrence as one phrase: "postponed Tue 17 Nov 10:00 →
// Thu 19 Nov 10:00 (+2d); moved by Bob, 3 days before".
func (o occView) Text() string {
	t := o.State + " " + o.Times()
	if o.Change != "" {
		t += "; " + o.Change
	}
	return t
}

// Times returns the occurrence's times: "Tue 17 Nov 10:00 → Thu 19 Nov 10:00 (+2d)".
func (o occView) Times() string {
	if o.Moved != "" {
		return o.When + " → " + o.Moved
	}
	return o.When
}

// Highlight reports whether the occurrence is one a manager should notice:
// skipped, postponed or declined.
func (o occView) Highlight() bool {
	switch calendar.State(o.State) {
	case calendar.StateSkipped, calendar.StatePostponed, calendar.StateDeclined:
		return true
	}
	return false
}

func (r *Report) view() view {
	v := view{
		Week:      r.Week.String(),
		Dates:     dateRange(r.From, r.To),
		Timezone:  r.Timezone,
		Generated: r.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"),
		AsOf:      AsOfText(r.AsOf),
		Weeks:     r.TrailingWeeks,
		Totals:    r.Totals,
		TotalText: countsText(r.Totals),
	}
	for _, st := range r.Stale {
		sv := staleView{Name: clean(st.Name), Since: "never", Error: truncate(strings.TrimSpace(clean(st.Error)), maxError)}
		if st.Since != nil {
			sv.Since = AsOfText(*st.Since)
		}
		v.Stale = append(v.Stale, sv)
	}
	for _, p := range r.Pairs {
		pv := pairView{
			Pair:         p.Pair,
			Counterpart:  p.Counterpart,
			Name:         p.CounterpartName,
			Title:        p.Title,
			Relationship: p.Relationship,
			Cadence:      string(p.Cadence),
			Source:       p.Source,
			Missed:       p.Week.missed() > 0,
			Overdue:      p.Trailing.Overdue,
			Actions:      strconv.Itoa(p.OpenActions),
		}
		pv.Consistency, pv.OnTime, pv.Streak, pv.Last, pv.MeanShift = trailingText(p.Trailing)
		name := cmp.Or(p.CounterpartName, p.Counterpart)
		pv.Changes, pv.Late, pv.MedianNotice, pv.ChangedBy = changesText(p.Trailing, name)
		if p.WayBack != nil {
			pv.WayBack = p.WayBack.Text(name)
		}
		for _, o := range p.Occurrences {
			pv.Occurrences = append(pv.Occurrences, occurrenceView(o, name))
		}
		v.Pairs = append(v.Pairs, pv)
	}
	return v
}

// occurrenceView is o as the reports show it; counterpart names the pair's
// counterpart (their name, else their address).
func occurrenceView(o Occurrence, counterpart string) occView {
	ov := occView{State: string(o.State), When: o.OriginalStart.Format(layoutWhen)}
	if !o.Start.Equal(o.OriginalStart) {
		moved := o.Start.Format(layoutWhen)
		if sameDate(o.Start, o.OriginalStart) {
			moved = o.Start.Format(layoutTime)
		}
		ov.Moved = moved + " (" + shiftText(o.ShiftMinutes) + ")"
	}
	ov.Change = o.ChangeText(counterpart)
	return ov
}

// ChangeText returns when and by whom the occurrence's fate changed, as the
// reports show it, with counterpart naming the counterpart (their name,
// else their address): "cancelled by you, 2 h before", "moved by Bob, 3
// days before", "declined by Bob, 30 min before (estimated)"; "" when
// nothing changed it.
func (o Occurrence) ChangeText(counterpart string) string {
	if o.NoticeHours == nil {
		return ""
	}
	var verb string
	switch o.State {
	case calendar.StateSkipped:
		verb = "cancelled"
	case calendar.StatePostponed, calendar.StateAdvanced:
		verb = "moved"
	case calendar.StateDeclined:
		verb = "declined"
	default:
		verb = "restored"
	}
	t := verb
	switch o.ChangedBy {
	case "":
	case ChangedByMe:
		t += " by you"
	case ChangedByCounterpart:
		t += " by " + clean(cmp.Or(counterpart, "the counterpart"))
	default:
		t += " by " + clean(o.ChangedBy)
	}
	t += ", " + noticeText(*o.NoticeHours)
	if o.Estimated {
		t += " (estimated)"
	}
	return t
}

// noticeText returns a notice in hours as people read it: minutes under an
// hour, hours under 48, else days; "before" the start, "after" it for a
// negative notice: "30 min before", "2 h before", "3 days after".
func noticeText(hours float64) string {
	side := "before"
	if hours < 0 {
		side, hours = "after", -hours
	}
	return amountText(hours) + " " + side
}

// amountText returns a non-negative number of hours as "30 min", "2 h",
// "3 days", each rounded to its unit.
func amountText(hours float64) string {
	if m := int(math.Round(hours * 60)); m < 60 {
		return plural(m, "min", "min")
	}
	if h := int(math.Round(hours)); h < 48 {
		return plural(h, "h", "h")
	}
	return plural(int(math.Round(hours/24)), "day", "days")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// changesText returns a pair's trailing change figures as the reports show
// them, with name for the counterpart: all of them in one phrase ("1 late;
// median notice 20 h; by you 1, by Bob 2", "-" when nothing changed), and
// each on its own.
func changesText(t Trailing, name string) (all, late, medianNotice, by string) {
	late = strconv.Itoa(t.LateChanges)
	by = fmt.Sprintf("you %d, %s %d", t.ChangesByMe, clean(name), t.ChangesByCounterpart)
	if t.MedianNoticeHours == nil {
		return "-", late, "-", by
	}
	medianNotice = amountText(*t.MedianNoticeHours)
	if *t.MedianNoticeHours < 0 {
		medianNotice = noticeText(*t.MedianNoticeHours)
	}
	all = fmt.Sprintf("%s late; median notice %s; by you %d, by %s %d", late, medianNotice, t.ChangesByMe, clean(name), t.ChangesByCounterpart)
	return all, late, medianNotice, by
}

// trailingText returns the trailing metrics as shown to people.
func trailingText(t Trailing) (consistency, onTime, streak, last, meanShift string) {
	consistency, onTime = "-", "-"
	if t.Due > 0 {
		consistency = fmt.Sprintf("%d%% (%d/%d)", percent(t.Consistency), t.Kept, t.Due)
		onTime = fmt.Sprintf("%d%%", percent(t.OnTime))
	}
	streak = strconv.Itoa(t.Streak)
	switch {
	case t.DaysSinceLast == nil:
		last = "never"
	case *t.DaysSinceLast == 0:
		last = "today"
	case *t.DaysSinceLast == 1:
		last = "1 day ago"
	default:
		last = fmt.Sprintf("%d days ago", *t.DaysSinceLast)
	}
	meanShift = "-"
	if t.MeanShiftMinutes != 0 {
		meanShift = durationText(t.MeanShiftMinutes)
	}
	return
}

func percent(x float64) int { return int(x*100 + 0.5) }

// shiftText returns a shift in minutes as "+2d", "-20h", "+1h30m".
func shiftText(min int) string {
	if min < 0 {
		return "-" + durationText(-min)
	}
	return "+" + durationText(min)
}

// durationText returns a non-negative number of minutes as "2d", "1h30m".
func durationText(min int) string {
	if min == 0 {
		return "0m"
	}
	var b strings.Builder
	if d := min / (24 * 60); d > 0 {
		fmt.Fprintf(&b, "%dd", d)
	}
	if h := min % (24 * 60) / 60; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m := min % 60; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	return b.String()
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// dateRange returns "Mon 16 Nov – Sun 22 Nov 2026" for two YYYY-MM-DD dates.
func dateRange(from, to string) string {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return from + " – " + to
	}
	if f.Year() != t.Year() {
		return f.Format(layoutDay+" 2006") + " – " + t.Format(layoutDay+" 2006")
	}
	return f.Format(layoutDay) + " – " + t.Format(layoutDay+" 2006")
}

// countsText returns "7 planned, 4 held, …" with every state.
func countsText(c Counts) string {
	return fmt.Sprintf("%d planned, %d held, %d postponed, %d advanced, %d skipped, %d declined, %d upcoming",
		c.Planned, c.Held, c.Postponed, c.Advanced, c.Skipped, c.Declined, c.Upcoming)
}

// clean makes user text safe for one terminal cell: control characters
// (tabs, newlines, escape sequences) become spaces.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// maxTitle is the widest title the text report shows.
const maxTitle = 40

// WriteText writes r for a terminal: a heading with the week, its dates and
// zone, one aligned line per occurrence of each pair with the pair's trailing
// metrics, and the totals. It uses no colour.
func (r *Report) WriteText(w io.Writer) error {
	v := r.view()
	var b bytes.Buffer
	fmt.Fprintf(&b, "1:1 report %s: %s (%s)\n", v.Week, v.Dates, clean(v.Timezone))
	fmt.Fprintf(&b, "generated %s", v.Generated)
	if v.Weeks > 0 {
		fmt.Fprintf(&b, ", trailing metrics over %d weeks", v.Weeks)
	}
	if v.AsOf != "" {
		fmt.Fprintf(&b, " as of %s", v.AsOf)
	}
	b.WriteString("\n\n")
	if len(v.Stale) > 0 {
		b.WriteString(StaleHeading + "\n")
		for _, s := range v.Stale {
			fmt.Fprintf(&b, "  STALE %s\n", s.Text())
		}
		b.WriteString("\n")
	}
	if len(v.Pairs) == 0 {
		b.WriteString("No 1:1s this week, and none overdue.\n\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "COUNTERPART\tTITLE\tTHIS WEEK\tKEPT\tSTREAK\tLAST KEPT\tOVERDUE\tACTIONS\tCHANGES")
		for _, p := range v.Pairs {
			first := "nothing planned"
			if len(p.Occurrences) > 0 {
				first = p.Occurrences[0].Text()
			}
			overdue := "-"
			if p.Overdue {
				overdue = "OVERDUE"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				clean(p.Counterpart), truncate(clean(p.Title), maxTitle), first,
				p.Consistency, p.Streak, p.Last, overdue, p.Actions, p.Changes)
			for _, o := range p.Occurrences[min(1, len(p.Occurrences)):] {
				fmt.Fprintf(tw, "\t\t%s\t\t\t\t\t\t\n", o.Text())
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		b.WriteString("\n")
		if ways := v.waysBack(); len(ways) > 0 {
			b.WriteString(WayBackHeading + "\n")
			for _, p := range ways {
				fmt.Fprintf(&b, "  %s: %s\n", clean(cmp.Or(p.Name, p.Counterpart)), p.WayBack)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "Totals: %s\n", v.TotalText)
	_, err := w.Write(trimTrailingSpace(b.Bytes()))
	return err
}

// trimTrailingSpace removes the spaces tabwriter leaves at the ends of lines.
func trimTrailingSpace(p []byte) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(p))
	sc.Buffer(make([]byte, 0, 64*1024), len(p)+1)
	for sc.Scan() {
		out.Write(bytes.TrimRight(sc.Bytes(), " "))
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// mdEscaper escapes user text for a Markdown table cell: the characters
// that would start markup, HTML or a new cell.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `&lt;`, `>`, `&gt;`, `&`, `&amp;`, `|`, `\|`, `~`, `\~`, `#`, `\#`,
)

func md(s string) string { return mdEscaper.Replace(clean(s)) }

// WriteMarkdown writes r as a Markdown page (GitHub flavour: one table).
func (r *Report) WriteMarkdown(w io.Writer) error {
	v := r.view()
	var b bytes.Buffer
	fmt.Fprintf(&b, "# 1:1 report %s\n\n", v.Week)
	fmt.Fprintf(&b, "%s · %s · generated %s", v.Dates, md(v.Timezone), v.Generated)
	if v.AsOf != "" {
		fmt.Fprintf(&b, " · figures as of %s", v.AsOf)
	}
	b.WriteString("\n\n")
	if len(v.Stale) > 0 {
		b.WriteString("> **" + StaleHeading + "**\n>\n")
		for _, s := range v.Stale {
			fmt.Fprintf(&b, "> - **stale** %s\n", md(s.Text()))
		}
		b.WriteString("\n")
	}
	if len(v.Pairs) == 0 {
		b.WriteString("No 1:1s this week, and none overdue.\n\n")
	} else {
		fmt.Fprintf(&b, "| Counterpart | Title | This week | Kept (%d weeks) | On time | Streak | Last kept | Overdue | Open actions | Changes |\n", v.Weeks)
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
		for _, p := range v.Pairs {
			var occ []string
			for _, o := range p.Occurrences {
				state := md(o.State)
				if o.Highlight() {
					state = "**" + state + "**"
				}
				cell := state + " " + md(o.Times())
				if o.Change != "" {
					cell += "; " + md(o.Change)
				}
				occ = append(occ, cell)
			}
			if len(occ) == 0 {
				occ = append(occ, "nothing planned")
			}
			overdue := "no"
			if p.Overdue {
				overdue = "**overdue**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				md(p.Counterpart), md(p.Title), strings.Join(occ, "<br>"),
				p.Consistency, p.OnTime, p.Streak, p.Last, overdue, p.Actions, md(p.Changes))
		}
		b.WriteString("\n")
		if ways := v.waysBack(); len(ways) > 0 {
			b.WriteString("**" + WayBackHeading + "**\n\n")
			for _, p := range ways {
				fmt.Fprintf(&b, "- %s: %s\n", md(cmp.Or(p.Name, p.Counterpart)), md(p.WayBack))
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "**Totals:** %s\n", v.TotalText)
	_, err := w.Write(b.Bytes())
	return err
}

// WriteSummariesText writes the pairs of Summaries as an aligned table.
func WriteSummariesText(w io.Writer, s []PairSummary) error {
	var b bytes.Buffer
	if len(s) == 0 {
		b.WriteString("No 1:1 series found.\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	weeks := s[0].Trailing.Weeks
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "COUNTERPART\tTITLE\tCADENCE\tRELATIONSHIP\tSOURCE\tKEPT (%dW)\tSTREAK\tLAST KEPT\tNEXT\tOVERDUE\tACTIONS\tCHANGES\n", weeks)
	for _, p := range s {
		consistency, _, streak, last, _ := trailingText(p.Trailing)
		next := "-"
		switch {
		case p.NextStart != nil:
			next = p.NextStart.Format(layoutWhen)
		case p.Ended:
			next = "ended"
		}
		overdue := "-"
		if p.Trailing.Overdue {
			overdue = "OVERDUE"
		}
		source := p.Source
		if len(p.Sources) > 0 {
			// The same meeting seen in several sources counts once; the
			// column names them all.
			source = strings.Join(p.Sources, ",")
		}
		changes, _, _, _ := changesText(p.Trailing, cmp.Or(p.CounterpartName, p.Counterpart))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n",
			clean(p.Counterpart), truncate(clean(p.Title), maxTitle), clean(string(p.Cadence)),
			clean(p.Relationship), clean(source), consistency, streak, last, next, overdue, p.OpenActions, changes)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if at := AsOfText(s[0].Trailing.AsOf); at != "" {
		fmt.Fprintf(&b, "\nfigures as of %s (%s)\n", at, clean(s[0].Trailing.AsOf.Location().String()))
	}
	_, err := w.Write(trimTrailingSpace(b.Bytes()))
	return err
}

// TrailingText is a pair's trailing metrics as the reports show them.
type TrailingText struct {
	Consistency string // "83% (10/12)"; "-" when nothing was due
	OnTime      string // "75%"; "-" when nothing was due
	Streak      string // "4"
	Last        string // "3 days ago", "today", "never"
	MeanShift   string // "1d", "1h30m"; "-" when nothing moved
	// The window's changes: Changes is all of them in one phrase ("1 late;
	// median notice 20 h; by you 1, by Bob 2", "-" when nothing changed),
	// then each figure on its own: Late "1", MedianNotice "20 h" ("-" when
	// nothing changed), ChangedBy "you 1, Bob 2".
	Changes      string
	Late         string
	MedianNotice string
	ChangedBy    string
}

// Text returns t as the reports show it; the counterpart is named as the
// counterpart, which Text does not know: TextFor names them.
func (t Trailing) Text() TrailingText { return t.TextFor("the counterpart") }

// TextFor is Text naming the counterpart name (their display name, else
// their address).
func (t Trailing) TextFor(name string) TrailingText {
	var tt TrailingText
	tt.Consistency, tt.OnTime, tt.Streak, tt.Last, tt.MeanShift = trailingText(t)
	tt.Changes, tt.Late, tt.MedianNotice, tt.ChangedBy = changesText(t, name)
	return tt
}

// Times returns the occurrence's times as the reports show them: "Tue 17
// Nov 10:00", or "Tue 17 Nov 10:00 → Thu 19 Nov 10:00 (+2d)" when moved.
func (o Occurrence) Times() string { return occurrenceView(o, "").Times() }

// WayBackHeading introduces the suggested make-ups in the text and
// Markdown reports.
const WayBackHeading = "Ways back: a time before the next 1:1 to make up a skipped one (a suggestion; nothing is booked)"

// waysBack returns the pairs with a suggested make-up.
func (v view) waysBack() []pairView {
	var out []pairView
	for _, p := range v.Pairs {
		if p.WayBack != "" {
			out = append(out, p)
		}
	}
	return out
}

// StaleHeading is the heading of the stale sources, for the HTML template.
func (view) StaleHeading() string { return StaleHeading }
