package report

import (
	"cmp"
	"math"
	"slices"
	"time"

	"oneonone/calendar"
)

// Trailing holds a pair's metrics over the trailing window.
//
// Below are the rules of the report and its metrics (docs/DESIGN.md,
// "Metrics per pair"), with the decisions taken where the contract is
// silent. N is the trailing window in weeks; days and weeks are counted in
// the report's Location. "Now" below is the as-of instant, AsOf(Week, Now):
// the end of the reported week when it is over, else Input.Now; Trailing.AsOf
// names it.
//
// Pairs and series:
//   - Metrics are per calendar.Pair. An occurrence belongs to its Pair field,
//     or, when that is empty, to the pair of its series. Occurrences of a pair
//     with no known series are left out (there is nobody to name).
//   - A pair with several series (a "this and following" split, a re-created
//     series) has one entry. Title, cadence, source, relationship, me and
//     counterpart come from its representative series: the one with the
//     latest Start that is not Deleted, else the latest one.
//   - Series are de-duplicated by ID and occurrences by (series, original
//     start); the last one given wins. An occurrence with a zero Start started at its
//     original start.
//   - One meeting seen in two sources (a Google calendar and its CalDAV
//     mirror, calendars shared with each other) is one series: series of
//     the same pair with the same iCalendar UID (ICalUID, else UID) count
//     once. The one kept is the one not deleted, then the one rebuilt last
//     (Checked: the freshest view), then the smallest ID. Its occurrences
//     count; a slot only the others have counts once too, as the kept
//     series' (docs/DESIGN.md, "One meeting in two sources").
//
// The week:
//   - An occurrence belongs to the week of its original start, [Monday
//     00:00, next Monday 00:00) in Location. planned counts all of them, and
//     each state has its count.
//   - A pair is in the report when it has an occurrence in the week or is
//     overdue (as of Now): an overdue pair with nothing planned is exactly
//     what a manager should see.
//   - Pairs are sorted by skipped+postponed+declined in the week, most first,
//     then by counterpart, then by pair.
//   - totals sums the pairs' week counts.
//
// The trailing window:
//   - The window is the N ISO weeks that end with the reported week
//     (inclusive); for Summaries, the N weeks that end with Now's week.
//   - due: occurrences whose original start is in the window and before Now.
//   - kept: due occurrences in state held, postponed or advanced whose actual
//     start is before Now. A postponement into the future is due and not
//     kept yet. declined and skipped are never kept.
//   - held: due occurrences in state held (at their original time).
//   - consistency = kept/due, on_time = held/due, both 0 when due is 0 and
//     rounded to 2 decimals (10/12 = 0.83).
//   - streak: the due occurrences kept in a row, counted backwards from the
//     latest by original start and stopping at the first one not kept. A due
//     occurrence that has not happened yet (postponed to a time after Now,
//     or still upcoming because the engine has not caught up) neither counts
//     nor breaks the streak: nothing was missed yet.
//   - days_since_last: calendar days in Location from the actual start of
//     the latest kept occurrence (any time before Now, not only in the
//     window) to Now: the number of dates between them, whatever the hours
//     (yesterday 17:00 seen today 09:00 is 1); null when the pair never kept
//     one.
//   - mean_shift_minutes: the mean of |shift_minutes| over the due postponed
//     and advanced occurrences of the window (postponed into the future
//     included: the shift is known), rounded to an integer; 0 when none.
//   - overdue: nothing kept for more than twice the cadence period
//     (calendar.Cadence.Period of the representative series), measured from
//     the latest kept start, or from when the pair's current run of series
//     began if that is later. Series follow each other in one run when the
//     next starts no more than two periods after the previous ended (Until or
//     Deleted), so a split keeps its history while a series re-created after
//     a long pause starts afresh. Never overdue for cadence "other", for a
//     run that began less than two periods ago, or when every series of the
//     pair was deleted or ended before Now minus two periods: the end of a
//     series ends the expectations.
//   - open_actions: Input.OpenActions of the pair, 0 when missing.
//   - late_changes, median_notice_hours, changes_by_me,
//     changes_by_counterpart: over the due occurrences whose fate changed
//     (calendar.Occurrence.ChangeTime known, restored ones included): how
//     many had a notice under Input.LateNotice (a negative notice, changed
//     after the start, is late); the median notice in hours to one decimal
//     (the mean of the middle two for an even count), null when none
//     changed; how many changed_by names "me" and "counterpart"
//     (docs/DESIGN.md, "When and by whom").
//
// Occurrences of a deleted series stay in the history and count like any
// other; the engine drops their upcoming ones.
type Trailing struct {
	Weeks            int     `json:"weeks"`
	Due              int     `json:"due"`
	Kept             int     `json:"kept"`
	Held             int     `json:"-"` // of the due ones, held at their original time: on_time's numerator (not in the report JSON, whose shape is the contract)
	Consistency      float64 `json:"consistency"`
	OnTime           float64 `json:"on_time"`
	Streak           int     `json:"streak"`
	DaysSinceLast    *int    `json:"days_since_last"` // null: never kept
	MeanShiftMinutes int     `json:"mean_shift_minutes"`
	Overdue          bool    `json:"overdue"`
	// When and by whom the window's changed occurrences changed (the due
	// ones whose calendar.Occurrence.ChangeTime is known): LateChanges
	// counts those changed less than Input.LateNotice before their
	// original start (or after it); MedianNoticeHours is the median of
	// their notice in hours, to one decimal, null when none changed;
	// ChangesByMe and ChangesByCounterpart count those changed by the user
	// and by the counterpart.
	LateChanges          int      `json:"late_changes"`
	MedianNoticeHours    *float64 `json:"median_notice_hours"`
	ChangesByMe          int      `json:"changes_by_me"`
	ChangesByCounterpart int      `json:"changes_by_counterpart"`
	// AsOf is the instant every figure above is measured at, in Location.
	AsOf time.Time `json:"as_of"`
}

// group is everything known about one pair.
type group struct {
	pair    calendar.Pair
	series  []calendar.Series     // by Start, then ID; one per iCalendar UID
	rep     calendar.Series       // the representative series
	occ     []calendar.Occurrence // by original start, then series
	sources []string              // every source a series of the pair was seen in, sorted
}

// sameMeeting returns, for every series that is the same meeting as
// another one of its pair (the same iCalendar UID, docs/DESIGN.md, "One
// meeting in two sources"), the ID of the series that counts for it; a
// series that counts for itself is not in the map. series holds one
// series per ID.
func sameMeeting(series []calendar.Series) map[string]string {
	type key struct {
		pair calendar.Pair
		uid  string
	}
	byKey := map[key][]calendar.Series{}
	for _, s := range series {
		k := key{s.Pair, cmp.Or(s.ICalUID, s.UID)}
		if k.uid == "" {
			continue
		}
		byKey[k] = append(byKey[k], s)
	}
	kept := map[string]string{}
	for _, ss := range byKey {
		if len(ss) < 2 {
			continue
		}
		best := slices.MinFunc(ss, func(a, b calendar.Series) int {
			return cmp.Or(
				cmp.Compare(boolInt(!a.Deleted.IsZero()), boolInt(!b.Deleted.IsZero())),
				b.Checked.Compare(a.Checked),
				cmp.Compare(a.ID, b.ID),
			)
		})
		for _, s := range ss {
			if s.ID != best.ID {
				kept[s.ID] = best.ID
			}
		}
	}
	return kept
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// groupByPair gathers series and occurrences by pair, sorted by pair.
func groupByPair(in Input) []*group {
	byPair := map[calendar.Pair]*group{}
	seriesPair := map[string]calendar.Pair{}
	seenSeries := map[string]int{} // series id → index in its group
	for _, s := range in.Series {
		if p, ok := seriesPair[s.ID]; ok && p == s.Pair {
			byPair[p].series[seenSeries[s.ID]] = s // given twice: the last wins
			continue
		}
		g := byPair[s.Pair]
		if g == nil {
			g = &group{pair: s.Pair}
			byPair[s.Pair] = g
		}
		seenSeries[s.ID] = len(g.series)
		g.series = append(g.series, s)
		seriesPair[s.ID] = s.Pair
	}
	var all []calendar.Series
	for _, g := range byPair {
		all = append(all, g.series...)
	}
	keptFor := sameMeeting(all)
	for _, g := range byPair {
		seenIn := map[string]bool{}
		for _, s := range g.series {
			seenIn[s.Source] = true
		}
		g.series = slices.DeleteFunc(g.series, func(s calendar.Series) bool { return keptFor[s.ID] != "" })
		for src := range seenIn {
			g.sources = append(g.sources, src)
		}
		slices.Sort(g.sources)
	}
	// A slot is (pair, series it counts for, original start); the pair
	// and the series are numbered, so that the map hashes no string.
	type key struct {
		group, series int32
		start         int64
	}
	type slot struct {
		index int  // in its group's occ
		own   bool // the slot holds the counted series' own occurrence
	}
	groupNo := map[*group]int32{}
	seriesNo := map[string]int32{}
	number := func(id string) int32 {
		n, ok := seriesNo[id]
		if !ok {
			n = int32(len(seriesNo))
			seriesNo[id] = n
		}
		return n
	}
	seen := make(map[key]slot, len(in.Occurrences))
	// What an occurrence's series and pair resolve to, kept from the
	// previous occurrence: they come series by series.
	var (
		lastID   string
		lastPair calendar.Pair
		last     struct {
			g      *group
			pair   calendar.Pair
			id     string // the series it counts for
			mine   bool
			gn, sn int32
		}
		cached bool
	)
	for _, o := range in.Occurrences {
		if !cached || o.SeriesID != lastID || o.Pair != lastPair {
			lastID, lastPair, cached = o.SeriesID, o.Pair, true
			p := o.Pair
			if p == (calendar.Pair{}) {
				p = seriesPair[o.SeriesID]
			}
			last.g, last.pair, last.id, last.mine = byPair[p], p, o.SeriesID, true
			if id := keptFor[o.SeriesID]; id != "" && seriesPair[o.SeriesID] == p {
				// The same meeting seen in another source: the slot counts
				// once, as the kept series', and its own occurrence wins.
				last.id, last.mine = id, false
			}
			if last.g != nil {
				gn, ok := groupNo[last.g]
				if !ok {
					gn = int32(len(groupNo))
					groupNo[last.g] = gn
				}
				last.gn, last.sn = gn, number(last.id)
			}
		}
		g := last.g
		if g == nil {
			continue
		}
		if o.Start.IsZero() {
			o.Start = o.OriginalStart
		}
		o.Pair, o.SeriesID = last.pair, last.id
		k := key{last.gn, last.sn, o.OriginalStart.UnixNano()}
		if sl, ok := seen[k]; ok {
			if last.mine || !sl.own {
				g.occ[sl.index] = o
				seen[k] = slot{sl.index, last.mine}
			}
			continue
		}
		seen[k] = slot{len(g.occ), last.mine}
		g.occ = append(g.occ, o)
	}
	out := make([]*group, 0, len(byPair))
	for _, g := range byPair {
		slices.SortStableFunc(g.series, func(a, b calendar.Series) int {
			return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
		})
		g.rep = representative(g.series)
		calendar.SortOccurrences(g.occ)
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *group) int { return a.pair.Compare(b.pair) })
	return out
}

// representative returns the series with the latest Start that is not
// deleted, else the latest; ss is sorted by Start, then ID.
func representative(ss []calendar.Series) calendar.Series {
	for i := len(ss) - 1; i >= 0; i-- {
		if ss[i].Deleted.IsZero() {
			return ss[i]
		}
	}
	return ss[len(ss)-1]
}

func (g *group) seriesIDs() []string {
	ids := make([]string, len(g.series))
	for i, s := range g.series {
		ids[i] = s.ID
	}
	return ids
}

func (g *group) titleOf(seriesID string) string {
	for _, s := range g.series {
		if s.ID == seriesID {
			return s.Title
		}
	}
	return g.rep.Title
}

// kept reports whether o took place before now.
func kept(o calendar.Occurrence, now time.Time) bool {
	return o.State.Kept() && o.Start.Before(now)
}

// pending reports whether o has not happened yet but may still: upcoming, or
// moved to a time that is not past.
func pending(o calendar.Occurrence, now time.Time) bool {
	return o.State == calendar.StateUpcoming || (o.State.Kept() && !o.Start.Before(now))
}

// AsOf returns the instant the figures of a report of week are measured
// at, in loc: the end of the week (the next Monday 00:00) when that is
// before now, else now. A past week's report is as of that week's end, so
// what happened since changes none of its figures.
func AsOf(week Week, now time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	if _, end := week.Range(loc); end.Before(now) {
		return end
	}
	return now.In(loc)
}

// trailing computes the pair's metrics over the window that ends with
// in.Week, as of AsOf(in.Week, in.Now). It is the one computation of the
// metrics: Build, Summaries and PairOf all call it.
func (g *group) trailing(in Input) Trailing {
	loc := in.Location
	now := AsOf(in.Week, in.Now, loc)
	from, _ := in.Week.Add(-(in.TrailingWeeks - 1)).Range(loc)
	_, to := in.Week.Range(loc)
	t := Trailing{Weeks: in.TrailingWeeks, AsOf: now.Truncate(time.Second)}

	var shifted, shiftSum int
	var due []calendar.Occurrence
	for _, o := range g.occ {
		if o.OriginalStart.Before(from) || !o.OriginalStart.Before(to) || !o.OriginalStart.Before(now) {
			continue
		}
		due = append(due, o)
		if kept(o, now) {
			t.Kept++
		}
		switch o.State {
		case calendar.StateHeld:
			t.Held++
		case calendar.StatePostponed, calendar.StateAdvanced:
			shifted++
			shiftSum += abs(o.ShiftMinutes())
		}
	}
	t.Due = len(due)
	if t.Due > 0 {
		t.Consistency = round2(float64(t.Kept) / float64(t.Due))
		t.OnTime = round2(float64(t.Held) / float64(t.Due))
	}
	if shifted > 0 {
		t.MeanShiftMinutes = int(math.Round(float64(shiftSum) / float64(shifted)))
	}
	var notices []float64
	for _, o := range due {
		c, ok := g.change(o, in.Me)
		if !ok {
			continue
		}
		notices = append(notices, c.notice.Hours())
		if c.notice < in.LateNotice {
			t.LateChanges++
		}
		switch c.by {
		case ChangedByMe:
			t.ChangesByMe++
		case ChangedByCounterpart:
			t.ChangesByCounterpart++
		}
	}
	if len(notices) > 0 {
		m := round1(median(notices))
		t.MedianNoticeHours = &m
	}
	for i := len(due) - 1; i >= 0; i-- {
		if kept(due[i], now) {
			t.Streak++
		} else if !pending(due[i], now) {
			break
		}
	}

	last, ok := g.lastKept(now)
	if ok {
		d := calendarDays(last, now, loc)
		t.DaysSinceLast = &d
	}
	t.Overdue = g.overdue(now, last, ok)
	return t
}

// lastKept returns the actual start of the latest occurrence kept before now.
func (g *group) lastKept(now time.Time) (time.Time, bool) {
	var last time.Time
	for _, o := range g.occ {
		if kept(o, now) && o.Start.After(last) {
			last = o.Start
		}
	}
	return last, !last.IsZero()
}

// seriesEnd returns when s stopped setting expectations: the earlier of its
// Until and Deleted, zero when neither is set.
func seriesEnd(s calendar.Series) time.Time {
	end := s.Until
	if !s.Deleted.IsZero() && (end.IsZero() || s.Deleted.Before(end)) {
		end = s.Deleted
	}
	return end
}

// overdue applies the overdue rule; last is the latest kept start, if any.
func (g *group) overdue(now, last time.Time, hasLast bool) bool {
	period := g.rep.Cadence.Period()
	if period <= 0 || len(g.series) == 0 {
		return false
	}
	grace := 2 * period
	allEnded := true
	for _, s := range g.series {
		if end := seriesEnd(s); end.IsZero() || !end.Before(now.Add(-grace)) {
			allEnded = false
			break
		}
	}
	if allEnded {
		return false
	}
	// The start of the current run of series: a series that starts more
	// than two periods after all earlier ones ended begins a new run.
	runStart := g.series[0].Start
	runEnd := seriesEnd(g.series[0]) // zero: open-ended
	for _, s := range g.series[1:] {
		if !runEnd.IsZero() && s.Start.Sub(runEnd) > grace {
			runStart = s.Start
			runEnd = seriesEnd(s)
			continue
		}
		if end := seriesEnd(s); end.IsZero() || runEnd.IsZero() {
			runEnd = time.Time{}
		} else if end.After(runEnd) {
			runEnd = end
		}
	}
	since := runStart
	if hasLast && last.After(since) {
		since = last
	}
	return now.Sub(since) > grace
}

// calendarDays returns how many dates lie between a and b (a not after b)
// in loc: 0 on the same date, 1 when a was the day before b (yesterday
// 17:00 seen today 09:00), whatever the hours and daylight saving changes.
func calendarDays(a, b time.Time, loc *time.Location) int {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	// UTC only as a calendar: its days are all 24 hours long.
	return int(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// median returns the median of xs (not empty): the mean of the two middle
// values for an even count. It sorts xs.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// Who changed an occurrence, as Occurrence.ChangedBy names them besides an
// address.
const (
	ChangedByMe          = "me"
	ChangedByCounterpart = "counterpart"
)

// change is what changed an occurrence's fate, as the report shows it.
type change struct {
	at     time.Time     // calendar.Occurrence.ChangeTime
	notice time.Duration // original start minus at
	by     string        // ChangedByMe, ChangedByCounterpart, an address, or ""
}

// change returns when and by whom o's fate changed; false when nothing
// changed it (no change time). The one computation of the notice and of
// who: the occurrences' fields and the trailing figures both use it. me
// is Input.Me; the pair's own me counts too.
func (g *group) change(o calendar.Occurrence, me []string) (change, bool) {
	at := o.ChangeTime()
	if at.IsZero() {
		return change{}, false
	}
	c := change{at: at, notice: o.OriginalStart.Sub(at), by: o.ChangedBy}
	if o.ChangedBy != "" {
		addr := calendar.NormalizeEmail(o.ChangedBy)
		switch {
		case addr == calendar.NormalizeEmail(g.rep.Me) || slices.ContainsFunc(me, func(m string) bool { return calendar.NormalizeEmail(m) == addr }):
			c.by = ChangedByMe
		case addr == calendar.NormalizeEmail(g.rep.Counterpart):
			c.by = ChangedByCounterpart
		}
	}
	return c, true
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// PairSummary is one pair for the series command: who, which series, and
// its metrics over the trailing window that ends with Now's week.
type PairSummary struct {
	PairInfo
	Sources     []string   `json:"sources"` // every source the pair's series were seen in, sorted
	Ended       bool       `json:"ended"`   // every series ended or was deleted before Now
	Trailing    Trailing   `json:"trailing"`
	OpenActions int        `json:"open_actions"`
	NextStart   *time.Time `json:"next_start"` // the next occurrence that is still on, in Location; null when none is known
	WayBack     *WayBack   `json:"way_back"`   // as PairReport.WayBack
}

// PairInfo says who a pair is and which series it has; the report and the
// series summaries both start with it.
type PairInfo struct {
	Pair            string           `json:"pair"` // calendar.Pair.String()
	Me              string           `json:"me"`
	Counterpart     string           `json:"counterpart"`
	CounterpartName string           `json:"counterpart_name,omitempty"`
	Relationship    string           `json:"relationship"`
	Title           string           `json:"title"`
	Source          string           `json:"source"`
	Cadence         calendar.Cadence `json:"cadence"`
	Series          []string         `json:"series"` // ids of the pair's series, oldest first
}

// info is the pair's identity, from its representative series.
func (g *group) info() PairInfo {
	rep := g.rep
	return PairInfo{
		Pair:            g.pair.String(),
		Me:              rep.Me,
		Counterpart:     rep.Counterpart,
		CounterpartName: rep.Name,
		Relationship:    rep.Relationship,
		Title:           rep.Title,
		Source:          rep.Source,
		Cadence:         rep.Cadence,
		Series:          g.seriesIDs(),
	}
}

// Summaries returns every pair with a series, sorted by counterpart, with
// its metrics over the TrailingWeeks weeks that end with Now's week, as of
// Now (Input.Week is not used).
func Summaries(in Input) []PairSummary {
	in = in.normalized()
	in.Week = WeekOf(in.Now, in.Location)
	groups := groupByPair(in)
	out := make([]PairSummary, 0, len(groups))
	for _, g := range groups {
		out = append(out, g.summary(in))
	}
	slices.SortStableFunc(out, func(a, b PairSummary) int {
		return cmp.Or(cmp.Compare(a.Counterpart, b.Counterpart), cmp.Compare(a.Pair, b.Pair))
	})
	return out
}

// PairOf returns the summary of pair p with its metrics exactly as Build
// gives them in the report of in.Week (the last full week when zero): over
// the same window, as of the same instant. false when p has no series.
func PairOf(in Input, p calendar.Pair) (PairSummary, bool) {
	in = in.normalized()
	for _, g := range groupByPair(in) {
		if g.pair == p {
			return g.summary(in), true
		}
	}
	return PairSummary{}, false
}

// summary is the pair's PairSummary for the report of in.Week; Ended and
// NextStart are as of in.Now, since they speak of what is still to come.
func (g *group) summary(in Input) PairSummary {
	ended := true
	for _, s := range g.series {
		if end := seriesEnd(s); end.IsZero() || end.After(in.Now) {
			ended = false
		}
	}
	var next *time.Time
	for _, o := range g.occ {
		if o.State == calendar.StateSkipped || o.State == calendar.StateDeclined || !o.Start.After(in.Now) {
			continue
		}
		if next == nil || o.Start.Before(*next) {
			t := o.Start.In(in.Location)
			next = &t
		}
	}
	return PairSummary{
		PairInfo:    g.info(),
		Sources:     g.sources,
		Ended:       ended,
		Trailing:    g.trailing(in),
		OpenActions: in.OpenActions[g.pair],
		NextStart:   next,
		WayBack:     g.wayBack(in),
	}
}
