package history

import (
	"time"

	"oneonone/calendar"
	"oneonone/calendar/recur"
)

// Classify gives each instance of a 1:1 series its state (docs/DESIGN.md,
// "Occurrence states").
//
// inst holds the series' instances in order of original start, as Expand
// returns them; the last one may lie beyond the window the caller keeps, so
// that a make-up search knows where the next slot is. oneOffs holds the
// one-off meetings of the same pair (PairOf), sorted by start; a cancelled
// slot is made up by the first of them that starts after the slot's original
// start and before the next slot (postponed), or, failing that, by the last
// one that starts after the previous slot and before this one (advanced).
// used records the UIDs already spent as make-ups, so one meeting makes up
// one slot only; Classify adds to it.
//
// The states, in order of precedence:
//   - cancelled (EXDATE, STATUS:CANCELLED) and not made up: skipped;
//   - cancelled and made up: postponed or advanced, with the make-up's start;
//   - one of the pair declined: declined;
//   - moved by an override of that very slot: postponed or advanced (a
//     THISANDFUTURE override moves the series itself, not the slot);
//   - otherwise held once started, upcoming before.
func Classify(s *calendar.Series, inst []recur.Instance, oneOffs []*calendar.Event, used map[string]bool, now time.Time) []calendar.Occurrence {
	out := make([]calendar.Occurrence, 0, len(inst))
	for i, in := range inst {
		o := calendar.Occurrence{
			SeriesID:      s.ID,
			Pair:          s.Pair,
			OriginalStart: in.OriginalStart,
			Start:         in.Start,
			End:           in.End,
		}
		switch {
		case in.Cancelled:
			o.State = calendar.StateSkipped
			prev, next := neighbours(inst, i, s.Cadence)
			if mk := findMakeUp(oneOffs, used, in.OriginalStart, prev, next); mk != nil {
				used[mk.UID] = true
				o.Start, o.End, o.MadeUpBy = mk.Start, mk.End, mk.UID
				o.State = calendar.StatePostponed
				if mk.Start.Before(in.OriginalStart) {
					o.State = calendar.StateAdvanced
				}
			}
		case declined(in.Event, s.Pair):
			o.State = calendar.StateDeclined
		case movedSlot(in) && in.Start.After(in.OriginalStart):
			o.State = calendar.StatePostponed
		case movedSlot(in) && in.Start.Before(in.OriginalStart):
			o.State = calendar.StateAdvanced
		case in.Start.Before(now):
			o.State = calendar.StateHeld
		default:
			o.State = calendar.StateUpcoming
		}
		o.ChangedAt, o.ChangedBy = change(in, o.State, s.Pair)
		out = append(out, o)
	}
	return out
}

// change returns when, by the provider's clock, and by whom the
// instance's event gave the slot its fate: the event that applies (the
// override, or the master that holds the EXDATE), and its organizer, or
// the one of the pair who declined. For a slot not changed, only an
// override of it says anything (it may have restored the slot); merge
// keeps what matters.
func change(in recur.Instance, st calendar.State, p calendar.Pair) (at time.Time, by string) {
	ev := in.Event
	if ev == nil || (!IsChange(st) && !in.Override) {
		return time.Time{}, ""
	}
	at = ev.Modified
	if at.After(in.OriginalStart) {
		// The event changed after the slot began: that dates its last
		// edit (a master's, of anything in the series; a note added after
		// the meeting), not this slot's fate. Unknown; what oneonone saw
		// says the rest.
		at = time.Time{}
	}
	if st == calendar.StateDeclined {
		for _, a := range ev.Participants() {
			if a.PartStat == calendar.PartStatDeclined && p.Has(a.Email) {
				return at, a.Email
			}
		}
	}
	return at, ev.Organizer.Email
}

// IsChange reports whether a state is a change of the slot's fate:
// skipped, postponed, advanced or declined.
func IsChange(st calendar.State) bool {
	switch st {
	case calendar.StateSkipped, calendar.StatePostponed, calendar.StateAdvanced, calendar.StateDeclined:
		return true
	}
	return false
}

// movedSlot reports whether an override of this very slot sets its start.
func movedSlot(in recur.Instance) bool {
	return in.Override && in.Event != nil && in.Event.RecurrenceID.Equal(in.OriginalStart)
}

// declined reports whether one of the pair declined the event.
func declined(ev *calendar.Event, p calendar.Pair) bool {
	if ev == nil {
		return false
	}
	for _, a := range ev.Participants() {
		if a.PartStat == calendar.PartStatDeclined && p.Has(a.Email) {
			return true
		}
	}
	return false
}

// neighbours returns the original starts of the slots before and after
// instance i; one cadence period away when there is none.
func neighbours(inst []recur.Instance, i int, c calendar.Cadence) (prev, next time.Time) {
	period := c.Period()
	if period == 0 {
		period = 7 * 24 * time.Hour
	}
	prev = inst[i].OriginalStart.Add(-period)
	next = inst[i].OriginalStart.Add(period)
	if i > 0 {
		prev = inst[i-1].OriginalStart
	}
	if i+1 < len(inst) {
		next = inst[i+1].OriginalStart
	}
	return prev, next
}

// findMakeUp picks the one-off that makes up a slot cancelled at orig.
func findMakeUp(oneOffs []*calendar.Event, used map[string]bool, orig, prev, next time.Time) *calendar.Event {
	var before *calendar.Event
	for _, ev := range oneOffs {
		if used[ev.UID] {
			continue
		}
		switch {
		case !ev.Start.Before(orig) && ev.Start.Before(next):
			return ev
		case ev.Start.After(prev) && ev.Start.Before(orig):
			before = ev
		}
	}
	return before
}
