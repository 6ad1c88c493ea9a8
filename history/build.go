package history

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/recur"
)

// Input is what Build needs: the source's events as stored now, and
// the history kept so far.
type Input struct {
	Source string
	Events []calendar.Event
	// Stored holds every series in the store (all sources).
	Stored []calendar.Series
	// Occurrences returns the stored occurrences of a series.
	Occurrences func(seriesID string) ([]calendar.Occurrence, error)
	// OccurrencesFrom, when set, returns those whose original start is at
	// or after a time (to the second). Build then reads and returns only
	// the recent part of the history, from Now minus History on (see
	// Result.From), so that a cycle costs the same however many years
	// of history are kept; Occurrences is not used.
	OccurrencesFrom func(seriesID string, from time.Time) ([]calendar.Occurrence, error)
	Rules           DetectRules
	Relationship    func(counterpart string) string
	Now             time.Time
	Horizon         time.Duration
	History         time.Duration
	// Seen is when the caller last saw the source's events as they were
	// before this build's changes (its previous cycle), zero when
	// unknown. A series not rebuilt since keeps an older Checked: the
	// cutoff of an "all events" edit is the later of the two.
	Seen time.Time
}

// Result is the new history of one source.
type Result struct {
	// Series holds the series to save: the live ones and those found gone
	// in this cycle. Series gone before are left out (they are unchanged).
	Series []calendar.Series
	// Live holds the series present in the calendar now.
	Live []calendar.Series
	// Occurrences holds, for every series in Series, all its occurrences;
	// with Input.OccurrencesFrom, all those from From on (and any
	// older one recomputed), the older ones staying as stored.
	Occurrences []calendar.Occurrence
	// From is zero, or with Input.OccurrencesFrom the start of the
	// part of the history that Occurrences replaces (store.SaveHistoryFrom).
	From time.Time
	// Targets are the events that should carry the agenda block: the
	// master of every live series that still has slots ahead, and each of
	// its overrides that starts within the horizon.
	Targets []Target
	// Problems are the series that could not be expanded (a rule refused
	// or stopped for its cost, more instances than the limit…), each named
	// after its calendar object and UID: they are left out of Series and
	// keep their stored history; the others are built as usual.
	Problems []error
	// ProblemsByUID holds Problems by the UID of their series.
	ProblemsByUID map[string][]error
	// Pairs maps the UID of every group of events recognised as a 1:1
	// series or as a meeting of two (a possible make-up) to its pair: the
	// pairs a later partial build must rebuild when those events change.
	Pairs map[string]calendar.Pair
	// Err is what failed the build: the stored history could not be read.
	Err error
}

// Target is one event that should carry its series' agenda block.
type Target struct {
	Series calendar.Series
	Event  *calendar.Event
	// Alone is true when the event's participants are exactly the pair:
	// only then does the block show the pair's open actions.
	Alone bool
	// Mine is true when the account organizes the event (or nobody does):
	// only then may oneonone edit it.
	Mine bool
}

// makeUpReach is how far past the window Build expands a series, so that the
// make-up search for the last slot in the window knows the next slot.
const makeUpReach = 35 * 24 * time.Hour

// NextCap bounds Series.Next: a series is rebuilt at least this often even
// when nothing in it changes. Build expands this much further than it
// classifies, to find the boundaries that lie within it.
const NextCap = 7 * 24 * time.Hour

// Build recognises the 1:1 series among a source's events, classifies their
// occurrences and merges them with the stored history (docs/DESIGN.md,
// "Occurrence states", "The merge with the stored history"):
//
//   - an occurrence recomputed from the calendar replaces the stored one;
//   - one older than the recompute window (History) stays as stored;
//   - one that was seen and is now gone, while the series still covers its
//     slot, is skipped (docs/DESIGN.md, "Occurrence states": a slot seen
//     once and gone since counts as cancelled);
//   - one beyond the series' new end (UNTIL, COUNT) is dropped: the end of a
//     series is not a run of skips;
//   - when the series' rule or start changed ("all events" edits), what lay
//     before the previous rebuild stays as stored and only the rest follows
//     the new rule;
//   - a series seen for the first time does not re-count past slots of its
//     pair that series gone from the calendar hold (a re-created series);
//   - a series gone from the calendar keeps its past and loses its upcoming
//     occurrences.
func Build(in Input) Result {
	var res Result
	from := in.Now.Add(-in.History)
	to := in.Now.Add(in.Horizon)
	// stored reads a series' stored occurrences: all of them, or those
	// from lo on. Every rule below keeps as stored what lies before the
	// recompute window (or before the latest slot recomputed), so reading
	// and replacing only what follows gives the same history.
	stored := func(id string, lo time.Time) ([]calendar.Occurrence, error) {
		if in.OccurrencesFrom != nil {
			return in.OccurrencesFrom(id, lo)
		}
		return in.Occurrences(id)
	}
	if in.OccurrencesFrom != nil {
		res.From = from
	}

	storedByID := make(map[string]calendar.Series)
	for _, s := range in.Stored {
		if s.Source == in.Source {
			storedByID[s.ID] = s
		}
	}

	groups, oneOffs := recogniseAll(in.Events, in.Rules)
	res.Pairs = make(map[string]calendar.Pair)
	type found struct {
		series calendar.Series
		group  recur.Group
	}
	var live []found
	for _, r := range groups {
		switch r.kind {
		case groupMakeUp:
			res.Pairs[r.group.UID] = r.pair
		case groupSeries:
			live = append(live, found{series: newSeries(in, r.group, r.verdict), group: r.group})
			res.Pairs[r.group.UID] = r.verdict.Pair()
		}
	}

	used := make(map[string]bool)
	seen := make(map[string]bool, len(live))
	for _, f := range live {
		seen[f.series.ID] = true
	}
	var errs []error
	for _, f := range live {
		s := f.series
		fresh, winFrom, err := seriesSlots(in, &s, f.group, oneOffs[s.Pair], used, from, to)
		if err != nil {
			for _, p := range seriesProblems(s, err) {
				res.Problems = append(res.Problems, p)
				if res.ProblemsByUID == nil {
					res.ProblemsByUID = map[string][]error{}
				}
				res.ProblemsByUID[s.UID] = append(res.ProblemsByUID[s.UID], p)
			}
			continue
		}

		// A slot moved into the window from before it comes with its
		// original start: read the stored history from there.
		lo := from
		for _, o := range fresh {
			if o.OriginalStart.Before(lo) {
				lo = o.OriginalStart
			}
		}
		old, err := stored(s.ID, lo)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		prev, existed := storedByID[s.ID]
		if !existed {
			floor, err := pairFloor(in, s, seen, stored, lo)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			fresh = dropBefore(fresh, floor, in.Now)
		}
		cutoff := prev.Checked
		if in.Seen.After(cutoff) && in.Seen.Before(in.Now) {
			cutoff = in.Seen
		}
		merged := merge(mergeInput{
			series:      s,
			ruleChanged: existed && prev.RuleKey() != s.RuleKey(),
			cutoff:      cutoff,
			old:         old,
			fresh:       fresh,
			from:        winFrom,
			to:          to,
			now:         in.Now,
		})
		res.Series = append(res.Series, s)
		res.Live = append(res.Live, s)
		res.Occurrences = append(res.Occurrences, merged...)
		res.Targets = append(res.Targets, targets(in, s, f.group, to)...)
	}

	// Series gone from the calendar (deleted, or cancelled as a whole):
	// keep the past as recorded, drop what was still upcoming when last
	// seen, even if its time has passed since: whether it took place is
	// unknown, and the end of a series is not a run of skips.
	for id, s := range storedByID {
		if seen[id] || !s.Deleted.IsZero() {
			continue
		}
		s.Deleted = in.Now
		s.Next = time.Time{}
		// With OccurrencesFrom only the window is read: a slot still
		// "upcoming" before it is left from a pause of more than History
		// between cycles, and stays as stored, as such slots of live
		// series do.
		old, err := stored(id, from)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, o := range old {
			if o.OriginalStart.Before(in.Now) && o.State != calendar.StateUpcoming {
				res.Occurrences = append(res.Occurrences, o)
			}
		}
		res.Series = append(res.Series, s)
	}
	sortSeries(res.Series)
	sortSeries(res.Live)
	if len(errs) > 0 {
		res.Err = fmt.Errorf("build history of %s: %w", in.Source, errors.Join(errs...))
	}
	return res
}

// seriesSlots expands and classifies one live series, the part of Build
// that needs nothing stored: the occurrences recomputed from the calendar
// (before the merge) whose original start is before to, from winFrom (the
// later of from and the series' start) on, with s.Next set. makeUps are
// the pair's meetings of two by start; used holds those taken by the
// series classified before, and gets the ones this series takes. Build
// and Inspect both call it, series after series in the order of the
// groups. The error is recur.Expand's: the series cannot be classified.
func seriesSlots(in Input, s *calendar.Series, g recur.Group, makeUps []*calendar.Event, used map[string]bool, from, to time.Time) (fresh []calendar.Occurrence, winFrom time.Time, err error) {
	winFrom = from
	if s.Start.After(winFrom) {
		winFrom = s.Start
	}
	reach := to.Add(makeUpReach)
	ext, err := recur.Expand(g, winFrom, reach.Add(NextCap), recur.ExpandOptions{})
	if err != nil {
		return nil, winFrom, err
	}
	// Classify sees what an expansion up to reach gives; the rest
	// only tells when the next slot comes within reach.
	inst := make([]recur.Instance, 0, len(ext))
	within := func(t time.Time) bool { return !t.Before(winFrom) && t.Before(reach) }
	for _, x := range ext {
		if within(x.OriginalStart) || within(x.Start) {
			inst = append(inst, x)
		}
	}
	s.Next = nextBoundary(in, *s, g, ext)
	fresh = Classify(s, inst, makeUps, used, in.Now)
	kept := fresh[:0]
	for _, o := range fresh {
		if o.OriginalStart.Before(to) {
			kept = append(kept, o)
		}
	}
	return kept, winFrom, nil
}

// seriesProblems names each error of a series that could not be
// expanded after its calendar object and UID, one line each.
func seriesProblems(s calendar.Series, err error) []error {
	var out []error
	for _, e := range leaves(err) {
		out = append(out, fmt.Errorf("%s: 1:1 series %q not updated, its stored history kept: %w", s.Href, s.UID, e))
	}
	return out
}

// nextBoundary is the series' Next: the earliest instant, at or after
// Now, after which a Build from the same events and stored history could
// give another result. ext is the series' expansion up to NextCap past
// the make-up reach. What depends on Now:
//   - an instance is held once its start has passed (Classify);
//   - an occurrence is kept once its original start is within the horizon;
//   - an instance is expanded once it comes within the make-up reach, and
//     a slot leaves the recompute window History after it (freeing a
//     make-up, changing its neighbour's);
//   - the targets: a series ended (Until), an override's start passing or
//     entering the horizon.
//
// Make-ups do not depend on Now. Next is at most Now + NextCap.
func nextBoundary(in Input, s calendar.Series, g recur.Group, ext []recur.Instance) time.Time {
	next := in.Now.Add(NextCap)
	at := func(t time.Time) {
		if !t.IsZero() && !t.Before(in.Now) && t.Before(next) {
			next = t
		}
	}
	for _, x := range ext {
		early, late := x.OriginalStart, x.Start
		if late.Before(early) {
			early, late = late, early
		}
		at(x.Start)
		at(x.OriginalStart)
		at(x.OriginalStart.Add(-in.Horizon))
		at(early.Add(-in.Horizon - makeUpReach))
		at(late.Add(in.History))
	}
	at(s.Until)
	for _, ov := range g.Overrides {
		at(ov.Start)
		at(ov.Start.Add(-in.Horizon))
	}
	return next
}

// Targets lists the events of a live series that should carry its block,
// as Build would at now: for a caller that knows the series' events
// changed only in what write-back put in them.
func Targets(s calendar.Series, g recur.Group, rules DetectRules, now time.Time, horizon time.Duration) []Target {
	return targets(Input{Rules: rules, Now: now, Horizon: horizon}, s, g, now.Add(horizon))
}

// targets lists the events of a series that should carry its block.
func targets(in Input, s calendar.Series, g recur.Group, to time.Time) []Target {
	if !s.Until.IsZero() && s.Until.Before(in.Now) {
		return nil // ended: nothing ahead to prepare
	}
	target := func(ev *calendar.Event) Target {
		who := ev // an override that lists nobody has its master's people
		if len(ev.Participants()) == 0 {
			who = g.Master
		}
		org := who.Organizer.Email
		mine := org == "" || in.Rules.IsMe(org) || (len(in.Rules.Me) == 0 && org == s.Me)
		return Target{Series: s, Event: ev, Alone: alone(who, s.Pair), Mine: mine}
	}
	out := []Target{target(g.Master)}
	for _, ov := range g.Overrides {
		if ov.Cancelled() || ov.Start.Before(in.Now) || !ov.Start.Before(to) {
			continue
		}
		out = append(out, target(ov))
	}
	return out
}

// alone reports whether the event's human participants are exactly the pair.
func alone(ev *calendar.Event, p calendar.Pair) bool {
	humans := ev.Humans()
	if len(humans) != 2 {
		return false
	}
	return p.Has(humans[0].Email) && p.Has(humans[1].Email) && humans[0].Email != humans[1].Email
}

func newSeries(in Input, g recur.Group, v Verdict) calendar.Series {
	m := g.Master
	s := calendar.Series{
		ID:           in.Source + "/" + g.UID,
		Source:       in.Source,
		Calendar:     m.Calendar,
		Href:         m.Href,
		UID:          g.UID,
		ICalUID:      m.ICalUID,
		Title:        m.Summary,
		Pair:         v.Pair(),
		Me:           v.Me,
		Counterpart:  v.Counterpart.Email,
		Name:         v.Counterpart.Name,
		Relationship: "1:1",
		Start:        m.Start,
		Zone:         m.Start.Location().String(),
		Checked:      in.Now,
	}
	if in.Relationship != nil {
		if r := in.Relationship(s.Counterpart); r != "" {
			s.Relationship = r
		}
	}
	if m.Recurrence != nil && len(m.Recurrence.RRules) > 0 {
		s.RRule = m.Recurrence.RRules[0]
		s.Cadence = CadenceOf(s.RRule)
	} else {
		s.Cadence = calendar.CadenceOther
	}
	if end, ok := recur.SeriesEnd(g); ok {
		s.Until = end
	}
	return s
}

type mergeInput struct {
	series      calendar.Series
	ruleChanged bool
	cutoff      time.Time // with ruleChanged: the last rebuild; before it, the stored past stands
	old, fresh  []calendar.Occurrence
	from, to    time.Time
	now         time.Time
}

// keepChange gives a recomputed occurrence what is known of the change of
// its fate (docs/DESIGN.md, "When and by whom"), from what Classify found
// in its event and what was stored of it:
//   - in the state it was stored in, it keeps the stored change: when it
//     was first seen so, and the provider's time and author then (a later
//     edit of the same event does not move the change);
//   - in a changed state it was not stored in, the change is seen now; it
//     is estimated when the slot was never seen before (or stored without
//     a change: history from before these fields), since it may be older;
//   - back in its slot (held or upcoming) after a changed state, it was
//     restored now; held or upcoming otherwise, it has no change.
func keepChange(o *calendar.Occurrence, prev calendar.Occurrence, had bool, now time.Time) {
	changed := IsChange(o.State)
	switch {
	case had && !prev.ChangeSeen.IsZero() && (prev.State == o.State || (!changed && !IsChange(prev.State))):
		// The same fate as stored (held and upcoming are one: a slot
		// restored and then begun stays restored).
		at, by := o.ChangedAt, o.ChangedBy
		o.ChangeSeen, o.Estimated = prev.ChangeSeen, prev.Estimated
		o.ChangedAt, o.ChangedBy = prev.ChangedAt, prev.ChangedBy
		if o.ChangedAt.IsZero() {
			o.ChangedAt = at
		}
		if o.ChangedBy == "" {
			o.ChangedBy = by
		}
	case changed:
		o.ChangeSeen = now
		o.Estimated = !had || prev.State == o.State
	case had && IsChange(prev.State):
		o.ChangeSeen, o.Estimated = now, false
	default:
		o.ChangedAt, o.ChangedBy, o.ChangeSeen, o.Estimated = time.Time{}, "", time.Time{}, false
	}
}

// merge combines the stored occurrences of a series with the ones just
// computed from the calendar; see Build for the rules.
func merge(m mergeInput) []calendar.Occurrence {
	oldByKey := make(map[string]calendar.Occurrence, len(m.old))
	for _, o := range m.old {
		oldByKey[o.Key()] = o
	}
	freshByKey := make(map[string]bool, len(m.fresh))
	out := make([]calendar.Occurrence, 0, len(m.fresh)+len(m.old))
	for _, o := range m.fresh {
		prev, had := oldByKey[o.Key()]
		if m.ruleChanged && !had && o.OriginalStart.Before(m.cutoff) {
			continue // an edit of the whole series does not rewrite the past
		}
		o.SeenAt = m.now
		if had && !prev.SeenAt.IsZero() {
			o.SeenAt = prev.SeenAt
		}
		keepChange(&o, prev, had, m.now)
		freshByKey[o.Key()] = true
		out = append(out, o)
	}
	for _, o := range m.old {
		if freshByKey[o.Key()] {
			continue
		}
		switch {
		case o.OriginalStart.Before(m.from):
			if o.OriginalStart.Before(m.series.Start) && !m.series.Start.IsZero() && m.series.Start.After(m.from) {
				continue // before the series' (new) start
			}
			out = append(out, o) // older than the recompute window: as stored
		case !m.series.Until.IsZero() && o.OriginalStart.After(m.series.Until):
			// the series ends before this slot now
		case m.ruleChanged:
			if o.OriginalStart.Before(m.cutoff) {
				out = append(out, o)
			}
		case !o.OriginalStart.Before(m.to):
			// beyond the horizon
		default:
			if !o.Vanished || o.State != calendar.StateSkipped {
				// Gone now: who removed it, the calendar does not say.
				o.ChangeSeen, o.ChangedAt, o.ChangedBy, o.Estimated = m.now, time.Time{}, "", false
			}
			o.State = calendar.StateSkipped
			o.Start = o.OriginalStart
			o.MadeUpBy = ""
			o.Vanished = true
			out = append(out, o)
		}
	}
	calendar.SortOccurrences(out)
	return out
}

// pairFloor returns the latest past original start held by series of the
// same pair that are gone from the calendar, so that a series created again
// does not count those slots twice. Live series of the pair do not count:
// the two halves of a split, or a weekly 1:1 beside a monthly one, each keep
// their own slots.
//
// stored reads the history of a series from lo on (or all of it): lo is
// at or before every fresh occurrence, so a floor before lo drops nothing,
// and what lies before lo need not be read.
func pairFloor(in Input, s calendar.Series, live map[string]bool, stored func(string, time.Time) ([]calendar.Occurrence, error), lo time.Time) (time.Time, error) {
	var floor time.Time
	for _, other := range in.Stored {
		if live[other.ID] || other.Pair != s.Pair || other.Source != in.Source {
			continue
		}
		occ, err := stored(other.ID, lo)
		if err != nil {
			return floor, err
		}
		for _, o := range occ {
			if o.OriginalStart.Before(in.Now) && o.OriginalStart.After(floor) {
				floor = o.OriginalStart
			}
		}
	}
	return floor, nil
}

// dropBefore removes past occurrences at or before floor.
func dropBefore(occ []calendar.Occurrence, floor, now time.Time) []calendar.Occurrence {
	if floor.IsZero() {
		return occ
	}
	out := occ[:0]
	for _, o := range occ {
		if o.OriginalStart.Before(now) && !o.OriginalStart.After(floor) {
			continue
		}
		out = append(out, o)
	}
	return out
}

// recognised is what recognise makes of one group of events.
type recognised struct {
	group   recur.Group
	kind    groupKind
	verdict Verdict
	pair    calendar.Pair
}

// recogniseAll groups the events by UID (groupsByUID) and recognises each
// group; oneOffs holds the meetings of two by pair, sorted by start: the
// make-ups the series' cancelled slots may take.
func recogniseAll(events []calendar.Event, rules DetectRules) (groups []recognised, oneOffs map[calendar.Pair][]*calendar.Event) {
	oneOffs = make(map[calendar.Pair][]*calendar.Event)
	for _, g := range groupsByUID(events) {
		k, v, p := recognise(g, rules)
		if k == groupMakeUp {
			oneOffs[p] = append(oneOffs[p], g.Master)
		}
		groups = append(groups, recognised{group: g, kind: k, verdict: v, pair: p})
	}
	for p := range oneOffs {
		sortEventsByStart(oneOffs[p])
	}
	return groups, oneOffs
}

// groupsByUID groups each calendar's events by UID; a UID found in several
// calendars of the source (an invitation copied into two calendars) counts
// once, from the first calendar.
func groupsByUID(events []calendar.Event) []recur.Group {
	var order []string
	byCal := make(map[string][]calendar.Event)
	for _, ev := range events {
		if _, ok := byCal[ev.Calendar]; !ok {
			order = append(order, ev.Calendar)
		}
		byCal[ev.Calendar] = append(byCal[ev.Calendar], ev)
	}
	seen := make(map[string]bool)
	var out []recur.Group
	for _, cal := range order {
		for _, g := range recur.GroupEvents(byCal[cal]) {
			if seen[g.UID] {
				continue
			}
			seen[g.UID] = true
			out = append(out, g)
		}
	}
	return out
}

func sortEventsByStart(evs []*calendar.Event) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Start.Before(evs[j].Start) })
}

// sortSeries orders series by ID.
func sortSeries(s []calendar.Series) {
	sort.Slice(s, func(i, j int) bool { return s[i].ID < s[j].ID })
}

// groupKind is what Build makes of one group of events (a UID).
type groupKind int

const (
	groupOrphans     groupKind = iota // overrides without their master: nothing
	groupOneOff                       // not recurring, and no meeting of two
	groupMakeUp                       // not recurring, a meeting of two: it may make up a cancelled slot
	groupCancelled                    // a recurring series cancelled as a whole
	groupNotOneOnOne                  // recurring, but not a 1:1
	groupSeries                       // a recurring 1:1: its slots are tracked
)

// recognise decides what a group is. It is the one place that does:
// Build tracks what it finds, Inspect explains it. pair is the pair of a
// groupMakeUp's meeting; v is Detect's verdict on the master of a
// groupSeries, groupNotOneOnOne or groupCancelled (a 1:1 but for its
// STATUS).
func recognise(g recur.Group, rules DetectRules) (k groupKind, v Verdict, pair calendar.Pair) {
	switch {
	case g.Master == nil:
		return groupOrphans, v, pair
	case !g.Master.Recurring():
		// A master with overrides but no recurrence is left alone.
		if len(g.Overrides) == 0 {
			if p, ok := PairOf(g.Master, rules); ok {
				return groupMakeUp, v, p
			}
		}
		return groupOneOff, v, pair
	}
	v = Detect(g.Master, rules)
	switch {
	case !v.OneOnOne:
		return groupNotOneOnOne, v, pair
	case g.Master.Cancelled():
		// The organizer cancelled the whole series (a client leaves it so
		// in an attendee's calendar): like a deletion, it ends the pair's
		// expectations; its past stays as recorded.
		return groupCancelled, v, pair
	}
	return groupSeries, v, pair
}

// PairOfGroup returns the pair Build tracks a group of events under: a
// 1:1 series' pair, or a meeting of two's (a possible make-up of the
// pair's cancelled slots). ok is false for anything else.
func PairOfGroup(g recur.Group, rules DetectRules) (p calendar.Pair, ok bool) {
	switch k, v, mp := recognise(g, rules); k {
	case groupSeries:
		return v.Pair(), true
	case groupMakeUp:
		return mp, true
	}
	return p, false
}

// leaves lists the errors a joined error holds, each one alone, so that
// each problem reads in one line under the name of its series.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}
