package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"oneonone/calendar"
	"oneonone/store"
)

// A way back (docs/DESIGN.md, "A way back"): for a skipped 1:1 not made up
// whose next occurrence has not begun, the first slot before it, within
// working hours, in which both of the pair are free. The needs and the
// search are pure (WayBackNeeds, FirstFree); package wayback asks the
// sources for the busy time and stores what it found, which Build and
// Summaries show (Input.WayBacks).

// WayBackNeed is a skipped 1:1 that asks for a way back: the span to
// look for a make-up in.
type WayBackNeed struct {
	// ID names the need: the skipped slot's series and original start,
	// and the start of the next occurrence (a need whose next occurrence
	// moved is another need).
	ID          string
	Pair        calendar.Pair
	SeriesID    string
	Source      string // the series' source: the one asked for free/busy
	Me          string
	Counterpart string
	Name        string
	Slot        time.Time     // the skipped slot's original start
	Duration    time.Duration // the skipped slot's length
	// From and To bound the search: From is the need's moment rounded
	// up to a quarter hour, To the start of the next occurrence that is
	// still on (or the slot plus the cadence when none is known).
	From, To time.Time
}

// wayBackStep is the grid the suggestions start on.
const wayBackStep = 15 * time.Minute

// WayBackNeeds returns, pair by pair in the report's order, the skipped
// occurrences that ask for a way back at in.Now: the latest slot of the
// pair that has begun was skipped, nothing made it up, and the next
// occurrence that is still on has not begun (with room for the slot's
// length before it). A pair whose last slot was held, declined or moved
// needs none; neither does one whose chance has passed.
func WayBackNeeds(in Input) []WayBackNeed {
	in = in.normalized()
	var out []WayBackNeed
	for _, g := range groupByPair(in) {
		if n, ok := g.wayBackNeed(in.Now); ok {
			out = append(out, n)
		}
	}
	return out
}

func (g *group) wayBackNeed(now time.Time) (WayBackNeed, bool) {
	last := -1
	for i, o := range g.occ {
		if !o.OriginalStart.Before(now) {
			break
		}
		last = i
	}
	if last < 0 {
		return WayBackNeed{}, false
	}
	o := g.occ[last]
	if o.State != calendar.StateSkipped || o.MadeUpBy != "" {
		return WayBackNeed{}, false
	}
	var s calendar.Series
	for _, x := range g.series {
		if x.ID == o.SeriesID {
			s = x
		}
	}
	if s.ID == "" {
		s = g.rep
	}
	var to time.Time
	for _, n := range g.occ[last+1:] {
		if n.State == calendar.StateSkipped || n.State == calendar.StateDeclined {
			continue
		}
		if n.Start.Before(now) {
			// A slot moved earlier that already began: the pair met, or
			// will have by the make-up.
			return WayBackNeed{}, false
		}
		if to.IsZero() || n.Start.Before(to) {
			to = n.Start
		}
	}
	if to.IsZero() {
		to = o.OriginalStart.Add(cmp.Or(s.Cadence.Period(), 7*24*time.Hour))
	}
	dur := o.End.Sub(o.OriginalStart)
	if o.End.IsZero() || dur <= 0 || dur > 8*time.Hour {
		dur = 30 * time.Minute
	}
	from := ceilTo(now, wayBackStep)
	if to.Sub(from) < dur {
		return WayBackNeed{}, false
	}
	return WayBackNeed{
		ID:   fmt.Sprintf("%s %s %s", o.SeriesID, key(o.OriginalStart), key(to)),
		Pair: g.pair, SeriesID: o.SeriesID, Source: s.Source, Me: s.Me, Counterpart: s.Counterpart, Name: s.Name,
		Slot: o.OriginalStart, Duration: dur, From: from, To: to,
	}, true
}

// ceilTo rounds t up to a multiple of d since the Unix epoch (for a
// quarter hour, the same in every zone that is offset by whole quarters).
func ceilTo(t time.Time, d time.Duration) time.Time {
	if r := t.Truncate(d); !r.Equal(t) {
		return r.Add(d)
	}
	return t
}

// FirstFree returns the first start on the quarter-hour grid in
// [from, to−d] at which a span of length d lies within working hours (in
// loc: the same day, between w.Start and w.End, on one of w.Days) and
// overlaps no busy span; false when there is none. busy need not be sorted
// or merged.
func FirstFree(busy []calendar.Busy, from, to time.Time, d time.Duration, w calendar.WorkingHours, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	if d <= 0 || !from.Before(to) {
		return time.Time{}, false
	}
	busy = slices.Clone(busy)
	slices.SortFunc(busy, func(a, b calendar.Busy) int { return a.Start.Compare(b.Start) })
	from = ceilTo(from, wayBackStep)
	y, m, dd := from.In(loc).Date()
	// At most one pass per day of the span; a span longer than a year is
	// cut there (no need lasts that long).
	for day := 0; day < 400; day++ {
		midnight := time.Date(y, m, dd+day, 0, 0, 0, 0, loc)
		if !midnight.Before(to) {
			break
		}
		if !w.Days[midnight.Weekday()] {
			continue
		}
		open := clockOn(midnight, w.Start, loc)
		closed := clockOn(midnight, w.End, loc)
		t := ceilTo(latest(open, from), wayBackStep)
		for !t.Add(d).After(closed) && !t.Add(d).After(to) {
			conflict := false
			for _, b := range busy {
				if b.Start.Before(t.Add(d)) && b.End.After(t) {
					conflict = true
					t = ceilTo(b.End, wayBackStep)
					break
				}
			}
			if !conflict {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// clockOn is the instant a wall-clock offset after midnight falls on, in
// loc (a day of 23 or 25 hours counts its wall clock, not elapsed time).
func clockOn(midnight time.Time, off time.Duration, loc *time.Location) time.Time {
	h, mi := int(off/time.Hour), int(off%time.Hour/time.Minute)
	return time.Date(midnight.Year(), midnight.Month(), midnight.Day(), h, mi, 0, 0, loc)
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// WayBack is what was found for a WayBackNeed: a suggestion, never an
// event (nothing is created or moved). Its JSON is the "way_back" of the
// report and of the pair summaries (docs/DESIGN.md, "Report JSON").
type WayBack struct {
	Slot time.Time `json:"slot"` // the skipped slot's original start
	// Before is the start of the next occurrence the make-up comes before.
	Before time.Time `json:"before"`
	// Start and End are the suggested slot; null when no slot in working
	// hours before Before is free.
	Start *time.Time `json:"start"`
	End   *time.Time `json:"end"`
	// Both is true when both calendars were read; false when only the
	// user's own was, and Note says why the counterpart's was not.
	Both bool   `json:"both"`
	Note string `json:"note,omitempty"`
	// Checked is when the busy time was asked.
	Checked time.Time `json:"checked"`
}

// Text is the suggestion in a few words, in the location its times carry
// (the report's), naming the counterpart: "free together: Thu 3 Dec
// 14:00–14:30", "you are free: Thu 3 Dec 14:00–14:30 (Bob's calendar is
// not available: <note>)", "no time free for both before Mon 14 Dec
// 10:00".
func (w WayBack) Text(counterpart string) string {
	if w.Start == nil || w.End == nil {
		who := "for both"
		if !w.Both {
			who = "for you"
		}
		return fmt.Sprintf("no time free %s before %s", who, w.Before.Format("Mon 2 Jan 15:04"))
	}
	s, e := *w.Start, *w.End
	when := s.Format("Mon 2 Jan 15:04") + "–" + e.Format("15:04")
	if w.Both {
		return "free together: " + when
	}
	text := "you are free: " + when + " (" + clean(counterpart) + "'s calendar is not available"
	if w.Note != "" {
		text += ": " + clean(w.Note)
	}
	return text + ")"
}

// wayBack is the stored suggestion for the group's need at now, nil when
// there is no need or nothing stored for it (or what is stored has begun).
func (g *group) wayBack(in Input) *WayBack {
	if len(in.WayBacks) == 0 {
		return nil
	}
	n, ok := g.wayBackNeed(in.Now)
	if !ok {
		return nil
	}
	w, ok := in.WayBacks[n.ID]
	if !ok || w.Start != nil && w.Start.Before(in.Now) {
		return nil
	}
	w = w.In(in.Location)
	return &w
}

// In returns w with its times in loc (nil: UTC), as Text shows them.
func (w WayBack) In(loc *time.Location) WayBack {
	if loc == nil {
		loc = time.UTC
	}
	w.Slot, w.Before, w.Checked = w.Slot.In(loc), w.Before.In(loc), w.Checked.In(loc)
	if w.Start != nil && w.End != nil {
		s, e := w.Start.In(loc), w.End.In(loc)
		w.Start, w.End = &s, &e
	}
	return w
}

// ReadWayBacks returns the make-ups stored by package wayback, by need ID.
// A record that cannot be read is left out: it is a cache, found again.
func ReadWayBacks(st *store.Store) (map[string]WayBack, error) {
	facts := st.Facts(store.FactsWayBack)
	keys, err := facts.Keys("")
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	out := make(map[string]WayBack, len(keys))
	for _, k := range keys {
		b, ok, err := facts.Bytes(k)
		if err != nil {
			return nil, err
		}
		var w WayBack
		if ok && json.Unmarshal(b, &w) == nil {
			out[k] = w
		}
	}
	return out, nil
}
