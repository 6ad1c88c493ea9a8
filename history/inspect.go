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

// Inspect explains every group of events and gives the occurrences of the
// tracked series. It runs Build, as the engine does, on a history that
// starts empty, so a state it shows is the state the engine records when
// it first reads the same events with the same window. Events it does not
// track get their instances, without states. The error names what could
// not be expanded.
func Inspect(in InspectInput) ([]Explanation, error) {
	res := Build(Input{
		Source:      inspectSource,
		Events:      in.Events,
		Occurrences: func(string) ([]calendar.Occurrence, error) { return nil, nil },
		Rules:       in.Rules,
		Now:         in.Now,
		History:     in.Now.Sub(in.From),
		Horizon:     in.To.Sub(in.Now),
	})
	occ := make(map[string][]calendar.Occurrence)
	for _, o := range res.Occurrences {
		occ[o.SeriesID] = append(occ[o.SeriesID], o)
	}
	var out []Explanation
	errs := []error{res.Err}
	for _, g := range groupsByUID(in.Events) {
		x := Explanation{UID: g.UID}
		k, v, _ := recognise(g, in.Rules)
		if g.Master != nil {
			x.Summary = g.Master.Summary
			if r := g.Master.Recurrence; g.Master.Recurring() && len(r.RRules) > 0 {
				x.RRule = r.RRules[0]
				x.Cadence = CadenceOf(x.RRule)
			}
		} else {
			x.Summary = g.Overrides[0].Summary
		}
		switch k {
		case groupOrphans:
			x.Reason = "overrides (RECURRENCE-ID) without their recurring master"
		case groupOneOff:
			x.Reason = "not recurring"
		case groupMakeUp:
			x.Reason = "not recurring; a meeting of two that can make up a cancelled 1:1"
		case groupCancelled:
			x.Cancelled = true
			x.Reason = "the whole series is cancelled (STATUS:CANCELLED on its master): it has ended, and its slots are not skips"
			x.Counterpart = v.Counterpart.Email
		case groupNotOneOnOne:
			x.Reason = v.Reason
			x.Counterpart = v.Counterpart.Email
		case groupSeries:
			x.OneOnOne, x.Reason = true, v.Reason
			x.Counterpart = v.Counterpart.Email
			x.Occurrences = occ[inspectSource+"/"+g.UID]
		}
		if k != groupSeries {
			inst, err := recur.Expand(g, in.From, in.To, recur.ExpandOptions{})
			if err != nil {
				errs = append(errs, fmt.Errorf("expand %q: %w", g.UID, err))
			}
			if g.Master != nil && g.Master.Cancelled() {
				for i := range inst {
					inst[i].Cancelled = true // the whole event is
				}
			}
			x.Instances = inst
		}
		out = append(out, x)
	}
	return out, errors.Join(append(errs, res.Problems...)...)
}
