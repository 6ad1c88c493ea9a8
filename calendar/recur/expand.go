package recur

import (
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"oneonone/calendar"
)

// Group is a master with its overrides (same UID), or orphan overrides with no master.
type Group struct {
	UID       string
	Master    *calendar.Event   // nil when only overrides exist
	Overrides []*calendar.Event // sorted by RecurrenceID
}

// GroupEvents groups events by UID (stable order: first appearance). The
// groups point into events. When a UID has several masters (a client that
// kept old copies), the one with the highest SEQUENCE wins, the later one on
// a tie; the same goes for overrides of one RECURRENCE-ID (RFC 5545 §3.8.7.4).
func GroupEvents(events []calendar.Event) []Group {
	type overrideKey struct {
		group int
		rid   int64
	}
	var groups []Group
	index := make(map[string]int)
	seen := make(map[overrideKey]int)
	for i := range events {
		e := &events[i]
		gi, ok := index[e.UID]
		if !ok {
			gi = len(groups)
			index[e.UID] = gi
			groups = append(groups, Group{UID: e.UID})
		}
		g := &groups[gi]
		if !e.IsOverride() {
			if g.Master == nil || e.Sequence >= g.Master.Sequence {
				g.Master = e
			}
			continue
		}
		k := overrideKey{gi, e.RecurrenceID.Unix()}
		j, dup := seen[k]
		switch {
		case !dup:
			seen[k] = len(g.Overrides)
			g.Overrides = append(g.Overrides, e)
		case e.Sequence >= g.Overrides[j].Sequence:
			g.Overrides[j] = e
		}
	}
	for i := range groups {
		ov := groups[i].Overrides
		sort.SliceStable(ov, func(a, b int) bool { return ov[a].RecurrenceID.Before(ov[b].RecurrenceID) })
	}
	return groups
}

// Instance is one slot of a recurring event after EXDATE and overrides are applied.
type Instance struct {
	OriginalStart time.Time       // the slot as the rule (or RDATE) generates it; for an orphan override, its RecurrenceID
	Start, End    time.Time       // actual times (moved by an override, or by a THISANDFUTURE override before it)
	Event         *calendar.Event // the event whose properties apply: the override, a THISANDFUTURE override, or the master
	Override      bool            // an override (RECURRENCE-ID) applies to this slot
	Cancelled     bool            // removed by EXDATE, or overridden with STATUS:CANCELLED
}

// ExpandOptions bounds expansion.
type ExpandOptions struct {
	Limit int // maximum instances returned; 0 means 10000. Never expand unbounded.
}

const (
	defaultLimit = 10000
	// ruleBudget bounds the work the rules of one Expand or SeriesEnd call
	// may do, counted in units: each instance generated (those before the
	// window included; a COUNT rule is counted from DTSTART) and each
	// period rrule-go steps through without generating one (hiddenPeriods).
	// It is a count, not a time, so that the same input gives the same
	// result on any machine, loaded or not; checkCost has already refused
	// the rules whose periods alone would cost too much.
	ruleBudget = 500000
	// maxInterval bounds INTERVAL; larger values only serve to overflow.
	maxInterval = 1000000
)

// ErrBudget reports that the rules needed more work than the budget allows.
var ErrBudget = errors.New("rule needs too much work; stopped early")

// budget is the work left to one Expand or SeriesEnd call.
type budget struct {
	limit int
	spent int // units of work: instances generated and periods stepped through
}

// ruleWork counts the work the rules of every Expand and SeriesEnd call
// have done, added once per call (done): the tests assert that the work is
// bounded by counting it, not by timing it.
var ruleWork atomic.Int64

// done adds what the call spent to ruleWork.
func (b *budget) done() { ruleWork.Add(int64(b.spent)) }

func newBudget(limit int) *budget { return &budget{limit: limit} }

// spend accounts for one generated instance and the n periods stepped
// through before it.
func (b *budget) spend(n int64) error { return b.charge(n + 1) }

// charge accounts for n units of work. Past the limit it counts the limit
// and one more unit: the work stops there.
func (b *budget) charge(n int64) error {
	if b.spent > b.limit || n > int64(b.limit-b.spent) {
		b.spent = b.limit + 1
		return ErrBudget
	}
	b.spent += int(n)
	return nil
}

// Expand returns the instances of g whose original start OR actual start falls in [from, to), sorted by
// original start, INCLUDING cancelled ones (Cancelled=true), so callers can tell a skip from nothing.
// A one-off event (no recurrence) yields its single instance. An RRULE without COUNT/UNTIL expands only up to `to`.
//
// DTSTART is always an instance and counts toward COUNT, as RFC 5545
// §3.8.5.3 says, even when the rule would not generate it: that is the
// meeting people saw in their calendar clients, and a 1:1 tracker must not
// lose it. The one exception is a rule whose UNTIL lies before DTSTART,
// which has no instances at all. Everywhere else the rule engine follows
// python-dateutil (rrule-go is its port), including where libical and
// ical.js read RFC 5545 differently (BYWEEKNO, BYSETPOS in the first
// period, YEARLY+BYMONTHDAY). The corpus tests run the dateutil vectors
// with dateutil's DTSTART rule and the libical/ical.js ones with the RFC's.
//
// Slots are matched to RECURRENCE-ID and EXDATE by instant, or by calendar
// date for an all-day series. An EXDATE also cancels an override at that
// slot. A RANGE=THISANDFUTURE override moves every later slot by its own
// shift (in wall-clock time) and gives them its length and properties,
// until the next THISANDFUTURE override; a plain override replaces only its
// own slot. An override whose RECURRENCE-ID matches no slot
// still yields an instance at its RECURRENCE-ID. When more than Limit
// instances match, the first Limit are returned with an error.
func Expand(g Group, from, to time.Time, opt ExpandOptions) ([]Instance, error) {
	return expand(g, from, to, opt, true)
}

func expand(g Group, from, to time.Time, opt ExpandOptions, rfc bool) (out []Instance, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Join(err, fmt.Errorf("expand %q: internal error: %v", g.UID, r))
		}
	}()
	limit := opt.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	if !from.Before(to) {
		return nil, nil
	}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	var errs []error

	m := g.Master
	if m == nil {
		for _, o := range g.Overrides {
			i := Instance{OriginalStart: o.RecurrenceID, Start: o.Start, End: o.End, Event: o, Override: true, Cancelled: o.Cancelled()}
			if in(i.OriginalStart) || in(i.Start) {
				out = append(out, i)
			}
		}
		return finish(g.UID, out, limit, errs)
	}

	x := newExpander(m, rfc)
	defer x.work.done()
	for _, e := range x.errs {
		errs = append(errs, fmt.Errorf("expand %q: %w", g.UID, e))
	}
	key := x.key

	exdates := make(map[int64]bool)
	if m.Recurrence != nil {
		for _, t := range m.Recurrence.ExDates {
			exdates[key(t)] = true
		}
	}
	exact := make(map[int64]*calendar.Event, len(g.Overrides))
	var taf []*calendar.Event // THISANDFUTURE overrides by RECURRENCE-ID
	for _, o := range g.Overrides {
		if o == nil || o.RecurrenceID.IsZero() {
			continue
		}
		exact[key(o.RecurrenceID)] = o
		if o.ThisAndFuture {
			taf = append(taf, o)
		}
	}
	sort.SliceStable(taf, func(a, b int) bool { return key(taf[a].RecurrenceID) < key(taf[b].RecurrenceID) })

	// A THISANDFUTURE shift can move slots into the window from outside it.
	var before, after time.Duration
	for _, o := range taf {
		d := x.shift(o)
		before = max(before, d)
		after = min(after, d)
	}
	const margin = 3 * time.Hour
	lo, hi := from.Add(-before-margin), to.Add(-after+margin)

	slots, serr := x.slots(lo, hi, limit+len(g.Overrides)+1, from)
	if serr != nil {
		errs = append(errs, fmt.Errorf("expand %q: %w", g.UID, serr))
	}
	matched := make(map[int64]bool, len(g.Overrides))
	for _, s := range slots {
		k := key(s.orig)
		i := x.instance(s, exact[k], tafFor(taf, key, k), exdates[k])
		if exact[k] != nil {
			matched[k] = true
		}
		if in(i.OriginalStart) || in(i.Start) {
			out = append(out, i)
		}
	}
	for _, o := range g.Overrides {
		if o == nil || o.RecurrenceID.IsZero() {
			continue
		}
		k := key(o.RecurrenceID)
		if matched[k] || exact[k] != o {
			continue
		}
		i := x.instance(slot{orig: x.original(o.RecurrenceID)}, o, nil, exdates[k])
		if in(i.OriginalStart) || in(i.Start) {
			out = append(out, i)
		}
	}
	return finish(g.UID, out, limit, errs)
}

func finish(uid string, out []Instance, limit int, errs []error) ([]Instance, error) {
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].OriginalStart.Equal(out[b].OriginalStart) {
			return out[a].OriginalStart.Before(out[b].OriginalStart)
		}
		return out[a].Start.Before(out[b].Start)
	})
	if len(out) > limit {
		out = out[:limit]
		errs = append(errs, fmt.Errorf("expand %q: more than %d instances: truncated", uid, limit))
	}
	return out, errors.Join(errs...)
}

// tafFor returns the THISANDFUTURE override in force at slot key k: the
// last one at or before it.
func tafFor(taf []*calendar.Event, key func(time.Time) int64, k int64) *calendar.Event {
	i := sort.Search(len(taf), func(i int) bool { return key(taf[i].RecurrenceID) > k })
	if i == 0 {
		return nil
	}
	return taf[i-1]
}

// SeriesEnd returns the original start of the last slot the rule can generate (UNTIL/COUNT, RDATEs included),
// and false when the series is open-ended. Must terminate quickly even for COUNT=1000000 or FREQ=SECONDLY (cap the work, e.g. return the best bound found within a budget).
//
// EXDATEs are not applied: an excluded last slot still ends the series. A
// one-off event ends at its start; a group of orphan overrides at its last
// RECURRENCE-ID. When a COUNT rule needs more than the work budget, the
// last slot found so far is returned (a lower bound, still with true). A
// series with no slot at all (UNTIL before DTSTART) returns the zero time
// and true.
func SeriesEnd(g Group) (end time.Time, finite bool) {
	defer func() {
		if r := recover(); r != nil {
			end, finite = time.Time{}, false
		}
	}()
	m := g.Master
	if m == nil {
		for _, o := range g.Overrides {
			if o.RecurrenceID.After(end) {
				end = o.RecurrenceID
			}
		}
		return end, !end.IsZero()
	}
	x := newExpander(m, true)
	defer x.work.done()
	var last time.Time // wall clock
	for _, r := range x.rules {
		if r.empty {
			continue
		}
		if r.opt.Count == 0 && r.opt.Until.IsZero() {
			return time.Time{}, false
		}
		if w, ok := r.last(x.work); ok && w.After(last) {
			last = w
		}
	}
	var out time.Time
	if !last.IsZero() {
		out = InZone(last, x.loc)
	}
	if x.dtstart && m.Start.After(out) {
		out = m.Start
	}
	if m.Recurrence != nil {
		for _, t := range m.Recurrence.RDates {
			if t = x.original(t); t.After(out) {
				out = t
			}
		}
	}
	return out, true
}

// expander holds the recurrence set of one master (RFC 5545 §3.8.5) ready
// for expansion in the wall clock of its DTSTART.
type expander struct {
	m       *calendar.Event
	loc     *time.Location
	allDay  bool
	start   time.Time // wall clock of DTSTART
	rules   []*Rule
	dtstart bool // DTSTART is an instance
	errs    []error
	work    *budget
}

type slot struct {
	orig time.Time // in the master's zone
	end  time.Time // from an RDATE PERIOD; zero otherwise
}

func newExpander(m *calendar.Event, rfc bool) *expander {
	x := &expander{m: m, loc: m.Start.Location(), allDay: m.AllDay, start: Wall(m.Start), work: newBudget(ruleBudget)}
	if x.loc == nil {
		x.loc = time.UTC
	}
	kind := KindZoned
	switch {
	case m.AllDay:
		kind = KindDate
	case m.Floating:
		kind = KindFloating
	case x.loc == time.UTC:
		kind = KindUTC
	}
	toWall := func(u time.Time) time.Time { return Wall(u.In(x.loc)) }
	var rules []*Rule
	if m.Recurrence != nil {
		for _, s := range m.Recurrence.RRules {
			r, _, err := ParseRule(s, x.start, kind, toWall)
			if err != nil {
				var ce *CostError
				if errors.As(err, &ce) {
					x.errs = append(x.errs, fmt.Errorf("RRULE %w", err)) // it names the rule
				} else {
					x.errs = append(x.errs, fmt.Errorf("RRULE %q: %w", s, err))
				}
				continue
			}
			rules = append(rules, r)
		}
	}
	if err := checkSetCost(rules); err != nil {
		// Each rule is within the limits, but their work adds up: the
		// series is refused as one costly rule is.
		x.errs = append(x.errs, err)
		rules = nil
	}
	live := false
	for _, r := range rules {
		if rfc && !r.empty && r.opt.Count > 0 {
			// RFC 5545 §3.8.5.3: DTSTART counts as the first instance.
			if first, ok := r.first(x.work); !ok || !first.Equal(x.start) {
				r.opt.Count--
				r.empty = r.opt.Count == 0
			}
		}
		if !r.empty || !r.beforeStart {
			live = true
		}
		x.rules = append(x.rules, r)
	}
	// DTSTART is an instance unless every rule ends before it.
	x.dtstart = rfc && (len(x.rules) == 0 || live)
	return x
}

// key identifies a slot: its instant, or its calendar date for an all-day
// series (RECURRENCE-ID and EXDATE values of all-day series are compared by
// the date they spell, whatever zone they carry).
func (x *expander) key(t time.Time) int64 {
	if x.allDay {
		return civilDay(t)
	}
	return t.Unix()
}

// original returns the slot a RECURRENCE-ID, EXDATE or RDATE value names,
// in the master's zone.
func (x *expander) original(t time.Time) time.Time {
	if x.allDay {
		y, mo, d := t.Date()
		return InZone(time.Date(y, mo, d, 0, 0, 0, 0, time.UTC), x.loc)
	}
	return t.In(x.loc)
}

// shift is how far a THISANDFUTURE override moves its slots.
func (x *expander) shift(o *calendar.Event) time.Duration {
	return Wall(o.Start.In(x.loc)).Sub(Wall(x.original(o.RecurrenceID)))
}

// length returns the end of an instance of e starting at start.
func length(e *calendar.Event, start time.Time) time.Time {
	if e.AllDay {
		days := int(civilDay(e.End) - civilDay(e.Start))
		w := Wall(start)
		return InZone(w.AddDate(0, 0, days), start.Location())
	}
	return start.Add(e.End.Sub(e.Start))
}

func (x *expander) instance(s slot, o, taf *calendar.Event, exdated bool) Instance {
	i := Instance{OriginalStart: s.orig, Start: s.orig, Event: x.m}
	switch {
	case o != nil:
		i.Event, i.Override = o, true
		i.Start, i.End = o.Start, o.End
		i.Cancelled = o.Cancelled()
		if exdated {
			// EXDATE removes the slot, moved or not.
			i.Start, i.End, i.Cancelled = s.orig, length(x.m, s.orig), true
		}
		return i
	case taf != nil:
		i.Event, i.Override = taf, true
		i.Start = InZone(Wall(s.orig).Add(x.shift(taf)), x.loc).In(taf.Start.Location())
		i.End = length(taf, i.Start)
		i.Cancelled = taf.Cancelled() || exdated
		return i
	}
	i.End = length(x.m, s.orig)
	if !s.end.IsZero() && !s.end.Before(s.orig) {
		i.End = s.end
	}
	// A master with STATUS:CANCELLED (RFC 5545 §3.8.1.11) cancels every
	// slot that no override of its own brings back.
	i.Cancelled = exdated || x.m.Cancelled()
	return i
}

// slots returns the slots whose original start lies in [lo, hi), sorted and
// without duplicates. Each rule stops after capacity slots at or after from.
func (x *expander) slots(lo, hi time.Time, capacity int, from time.Time) ([]slot, error) {
	// Rules run on wall clocks; a day of margin covers any zone offset.
	loW := Wall(lo.In(x.loc)).Add(-27 * time.Hour)
	hiW := Wall(hi.In(x.loc)).Add(27 * time.Hour)
	var out []slot
	var errs []error
	for _, r := range x.rules {
		n := 0
		err := r.iterate(loW, hiW, x.work, func(w time.Time) bool {
			t := InZone(w, x.loc)
			if t.Before(lo) || !t.Before(hi) {
				return true
			}
			out = append(out, slot{orig: t})
			if !t.Before(from) {
				n++
			}
			return n < capacity
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("RRULE %q: %w", r.text, err))
		}
	}
	if x.dtstart {
		out = append(out, slot{orig: x.m.Start})
	}
	if r := x.m.Recurrence; r != nil {
		for _, t := range r.RDates {
			s := slot{orig: x.original(t)}
			if r.RDateEnds != nil {
				s.end = r.RDateEnds[t.Unix()]
			}
			out = append(out, s)
		}
	}
	kept := out[:0]
	for _, s := range out {
		if !s.orig.Before(lo) && s.orig.Before(hi) {
			kept = append(kept, s)
		}
	}
	sort.SliceStable(kept, func(a, b int) bool { return kept[a].orig.Before(kept[b].orig) })
	dedup := kept[:0]
	for _, s := range kept {
		if n := len(dedup); n > 0 && x.key(dedup[n-1].orig) == x.key(s.orig) {
			if dedup[n-1].end.IsZero() {
				dedup[n-1].end = s.end
			}
			continue
		}
		dedup = append(dedup, s)
	}
	return dedup, errors.Join(errs...)
}
