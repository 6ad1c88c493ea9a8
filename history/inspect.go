package history

import (
	"errors"
	"fmt"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/recur"
)

// Explanation is what history makes of one group of events (a UID): a
// recurring master with its overrides, a one-off, or overrides without
// their master. `oneonone inspect` prints it.
type Explanation struct {
	UID         string
	Summary     string
	OneOnOne    bool   // tracked: its slots get states
	Cancelled   bool   // a 1:1 series cancelled as a whole: ended, not tracked
	Reason      string // why it is tracked, or why not
	Counterpart string
	Cadence     calendar.Cadence // "" unless the master recurs
	RRule       string           // the master's first RRULE
	// Occurrences are the tracked series' slots in the window, with their
	// states, as Build computes them for a history that starts empty.
	Occurrences []calendar.Occurrence
	// Instances are, for an event that is not tracked, what the calendar
	// holds in the window (recur.Expand): no state, since only a tracked
	// 1:1 has one, but whether each instance is cancelled.
	Instances []recur.Instance
}

// InspectInput is what Inspect reads: the events of one file, the rules
// that recognise a 1:1, and the window [From, To) seen at Now.
type InspectInput struct {
	Events   []calendar.Event
	Rules    DetectRules
	From, To time.Time
	Now      time.Time
}

// inspectSource names the source of the series Inspect builds.
const inspectSource = "inspect"

// Inspection explains the groups of events of an InspectInput one at a
// time (Each): it holds the events, which are its input, but the
// occurrences of one group only while they are being looked at, so that
// what inspect holds does not grow with the number of series.
type Inspection struct {
	from, to time.Time // InspectInput's window
	build    Input     // what Build would be given for a history that starts empty
	groups   []recognised
	oneOffs  map[calendar.Pair][]*calendar.Event
	// problems of the last Each: the events not tracked that could not be
	// expanded, then the series that could not be.
	others, series []error
}

// Inspect prepares the explanation of every group of events (a UID) of
// in: Each gives them.
func Inspect(in InspectInput) *Inspection {
	x := &Inspection{
		from: in.From, to: in.To,
		build: Input{
			Source:  inspectSource,
			Rules:   in.Rules,
			Now:     in.Now,
			History: in.Now.Sub(in.From),
			Horizon: in.To.Sub(in.Now),
		},
	}
	// The groups hold their own copy of the events: in.Events is not kept.
	x.groups, x.oneOffs = recogniseAll(in.Events, in.Rules)
	return x
}

// Len is the number of groups of events, the number of times Each calls
// yield when yield returns no error.
func (x *Inspection) Len() int { return len(x.groups) }

// inspectHeld, when set (by a test), is told before each yield how many
// occurrences and instances the Inspection holds.
var inspectHeld func(n int)

// Each explains the groups of events in order, one at a time, and calls
// yield with each explanation; the Explanation's slices are the
// Inspection's no more once yield returns. A tracked series' occurrences
// are computed by the code Build runs (seriesSlots, then the merge), on a
// history that starts empty, so a state Each shows is the state the
// engine records when it first reads the same events with the same
// window; the series are classified in the same order as Build's, so that
// each takes the same make-ups. Events it does not track get their
// instances, without states.
//
// Each stops at, and returns, the first error yield returns. What could
// not be expanded is not an error of Each: Err tells it afterwards.
func (x *Inspection) Each(yield func(Explanation) error) error {
	x.others, x.series = nil, nil
	used := make(map[string]bool)
	from, to := x.build.Now.Add(-x.build.History), x.build.Now.Add(x.build.Horizon)
	for _, r := range x.groups {
		g, v := r.group, r.verdict
		e := Explanation{UID: g.UID}
		if g.Master != nil {
			e.Summary = g.Master.Summary
			if rr := g.Master.Recurrence; g.Master.Recurring() && len(rr.RRules) > 0 {
				e.RRule = rr.RRules[0]
				e.Cadence = CadenceOf(e.RRule)
			}
		} else {
			e.Summary = g.Overrides[0].Summary
		}
		switch r.kind {
		case groupOrphans:
			e.Reason = "overrides (RECURRENCE-ID) without their recurring master"
		case groupOneOff:
			e.Reason = "not recurring"
		case groupMakeUp:
			e.Reason = "not recurring; a meeting of two that can make up a cancelled 1:1"
		case groupCancelled:
			e.Cancelled = true
			e.Reason = "the whole series is cancelled (STATUS:CANCELLED on its master): it has ended, and its slots are not skips"
			e.Counterpart = v.Counterpart.Email
		case groupNotOneOnOne:
			e.Reason = v.Reason
			e.Counterpart = v.Counterpart.Email
		case groupSeries:
			e.OneOnOne, e.Reason = true, v.Reason
			e.Counterpart = v.Counterpart.Email
			s := newSeries(x.build, g, v)
			fresh, winFrom, err := seriesSlots(x.build, &s, g, x.oneOffs[s.Pair], used, from, to)
			if err != nil {
				x.series = append(x.series, seriesProblems(s, err)...)
				break
			}
			// As Build merges a series seen for the first time with a
			// history that holds nothing.
			e.Occurrences = merge(mergeInput{series: s, fresh: fresh, from: winFrom, to: to, now: x.build.Now})
		}
		if r.kind != groupSeries {
			inst, err := recur.Expand(g, x.from, x.to, recur.ExpandOptions{})
			if err != nil {
				x.others = append(x.others, fmt.Errorf("expand %q: %w", g.UID, err))
			}
			if g.Master != nil && g.Master.Cancelled() {
				for i := range inst {
					inst[i].Cancelled = true // the whole event is
				}
			}
			e.Instances = inst
		}
		if inspectHeld != nil {
			inspectHeld(len(e.Occurrences) + len(e.Instances))
		}
		if err := yield(e); err != nil {
			return err
		}
	}
	return nil
}

// Err joins what the last Each could not expand, each error naming its
// event: the events not tracked first, then the 1:1 series. It is nil
// when everything was expanded.
func (x *Inspection) Err() error {
	return errors.Join(append(append([]error(nil), x.others...), x.series...)...)
}
