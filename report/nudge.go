package report

import (
	"cmp"
	"fmt"
	"time"

	"oneonone/calendar"
)

// NudgeRules says which nudges fire (docs/DESIGN.md, "Nudges"). A nudge
// is about something that happened within Recent before now: a first run
// over a long history does not fire for every old skip.
type NudgeRules struct {
	Overdue    bool          // no kept occurrence for twice the cadence
	TwoSkips   bool          // two skipped slots in a row
	LateCancel bool          // a slot cancelled with less than LateNotice notice, not made up
	LateNotice time.Duration // 0: DefaultLateNotice
	Recent     time.Duration // 0: DefaultNudgeRecent
}

// DefaultNudgeRecent is how far back a nudge looks: a week.
const DefaultNudgeRecent = 7 * 24 * time.Hour

// Nudge kinds.
const (
	NudgeOverdue    = "overdue"
	NudgeTwoSkips   = "two-skips"
	NudgeLateCancel = "late-cancel"
)

// Nudge is one thing a manager should hear about as it happens.
type Nudge struct {
	// ID names the nudge for good: it fires once (the caller remembers
	// it). Overdue: per pair and latest kept slot; two skips: per pair
	// and the second slot; a late cancellation: per series and slot.
	ID          string
	Kind        string
	Pair        calendar.Pair
	Me          string
	Counterpart string
	Name        string    // the counterpart's name, when known
	Title       string    // the series' title
	Slot        time.Time // the slot it is about (the second skip, the cancelled slot); zero for overdue
	LastKept    time.Time // overdue: the latest kept 1:1, zero for none
	ChangedBy   string    // a late cancellation: who cancelled
	NoticeHours float64   // a late cancellation: how long before
	// WayBack is the suggested make-up of the pair's skipped 1:1 when one
	// was found ("free together: Thu 3 Dec 14:00–14:30"); "" when none.
	// The mail and the notifications add it after Text.
	WayBack string
	Text    string // one line, for a mail subject or a chat message
}

// Nudges returns the nudges in.Now calls for under the rules, pair by pair
// in the report's order. It uses what the report counts: one meeting seen
// in two sources is one.
func Nudges(in Input, r NudgeRules) []Nudge {
	in = in.normalized()
	if r.LateNotice <= 0 {
		r.LateNotice = DefaultLateNotice
	}
	if r.Recent <= 0 {
		r.Recent = DefaultNudgeRecent
	}
	now := in.Now
	since := now.Add(-r.Recent)
	var out []Nudge
	for _, g := range groupByPair(in) {
		if len(g.series) == 0 {
			continue
		}
		base := Nudge{Pair: g.pair, Me: g.rep.Me, Counterpart: g.rep.Counterpart, Name: g.rep.Name, Title: g.rep.Title}
		who := cmp.Or(base.Name, base.Counterpart)
		if w := g.wayBack(in); w != nil {
			base.WayBack = w.Text(who)
		}
		if r.Overdue {
			last, ok := g.lastKept(now)
			if g.overdue(now, last, ok) {
				n := base
				n.Kind, n.LastKept = NudgeOverdue, last
				n.ID = fmt.Sprintf("%s %s %s", NudgeOverdue, g.pair, key(last))
				n.Text = fmt.Sprintf("Your 1:1 with %s is overdue: no 1:1 kept for twice its cadence", who)
				if ok {
					n.Text += fmt.Sprintf(" (last kept %s)", last.In(in.Location).Format("Mon 2 Jan"))
				}
				out = append(out, n)
			}
		}
		var prev *calendar.Occurrence
		for i := range g.occ {
			o := g.occ[i]
			if !o.OriginalStart.Before(now) {
				break
			}
			recent := !o.OriginalStart.Before(since)
			if r.TwoSkips && recent && o.State == calendar.StateSkipped && prev != nil && prev.State == calendar.StateSkipped {
				n := base
				n.Kind, n.Slot = NudgeTwoSkips, o.OriginalStart
				n.ID = fmt.Sprintf("%s %s %s", NudgeTwoSkips, g.pair, key(o.OriginalStart))
				n.Text = fmt.Sprintf("Two 1:1s with %s in a row did not take place (%s and %s)", who,
					prev.OriginalStart.In(in.Location).Format("Mon 2 Jan"), o.OriginalStart.In(in.Location).Format("Mon 2 Jan"))
				out = append(out, n)
			}
			if r.LateCancel && recent && o.State == calendar.StateSkipped && !o.Vanished && !o.Estimated {
				if h, ok := o.NoticeHours(); ok && h < r.LateNotice.Hours() {
					n := base
					n.Kind, n.Slot, n.ChangedBy, n.NoticeHours = NudgeLateCancel, o.OriginalStart, o.ChangedBy, h
					n.ID = fmt.Sprintf("%s %s %s", NudgeLateCancel, o.SeriesID, key(o.OriginalStart))
					n.Text = fmt.Sprintf("The 1:1 with %s on %s was cancelled %s and not made up", who,
						o.OriginalStart.In(in.Location).Format("Mon 2 Jan 15:04"), noticeText(h))
					out = append(out, n)
				}
			}
			prev = &g.occ[i]
		}
	}
	return out
}

// key is an instant in a nudge's ID: UTC to the second, "never" for zero.
func key(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("20060102T150405Z")
}
