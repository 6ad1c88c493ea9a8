package report

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"oneonone/calendar"
	"oneonone/store"
)

// History is where a report's input is read from; *store.Store is one.
type History interface {
	Series() ([]calendar.Series, error)
	AllOccurrences() ([]calendar.Occurrence, error)
}

// WindowHistory is a History that can read part of the occurrences, each
// series from a start, in one read transaction; *store.Store is one. Load
// reads only the trailing window from it.
type WindowHistory interface {
	History
	ViewRecent(fn func(*store.RecentTx) error) error
}

var _ WindowHistory = (*store.Store)(nil)

// Load returns in with Series read from h, the Occurrences that Build,
// Summaries and PairOf of in need, and OpenActions counted by open for
// every pair that has a series (none when open is nil). An error of open
// fails the load: a caller that would rather show what it has returns the
// count without the error. Build and Summaries stay pure; Load is where
// the web face and the commands read.
//
// From a WindowHistory, Load reads the occurrences of the trailing windows
// that end with in.Week and with in.Now's week (so in.Week, in.Now,
// in.Location and in.TrailingWeeks must be set before Load; a zero Now is
// time.Now(): set it, so that Build measures at the same instant), plus,
// for a pair that kept no 1:1 in them (or only one that started near their
// start), the stretch around its last kept one (days_since_last,
// overdue), found by a seek backwards: the figures are those of the whole
// history, in a time that does not grow with it, for occurrences moved by
// at most store.MaxShift. From another History, it reads every occurrence.
// PairHistory and the pages that list a pair's whole history use LoadAll.
func Load(ctx context.Context, in Input, h History, open func(context.Context, calendar.Pair) (int, error)) (Input, error) {
	wh, ok := h.(WindowHistory)
	if !ok {
		return LoadAll(ctx, in, h, open)
	}
	series, err := h.Series()
	if err != nil {
		return Input{}, err
	}
	occ, err := loadWindow(in, series, wh)
	if err != nil {
		return Input{}, err
	}
	in.Series, in.Occurrences = series, occ
	return countOpen(ctx, in, h, open)
}

// LoadAll is Load with every occurrence ever stored, for what shows a
// pair's whole history (PairHistory, the pair page): its time and memory
// grow with the history.
func LoadAll(ctx context.Context, in Input, h History, open func(context.Context, calendar.Pair) (int, error)) (Input, error) {
	series, err := h.Series()
	if err != nil {
		return Input{}, err
	}
	occ, err := h.AllOccurrences()
	if err != nil {
		return Input{}, err
	}
	in.Series, in.Occurrences = series, occ
	return countOpen(ctx, in, h, open)
}

// countOpen fills in.OpenActions with open, and in.WayBacks from the
// store when h is one.
func countOpen(ctx context.Context, in Input, h History, open func(context.Context, calendar.Pair) (int, error)) (Input, error) {
	if st, ok := h.(*store.Store); ok {
		w, err := ReadWayBacks(st)
		if err != nil {
			return Input{}, err
		}
		in.WayBacks = w
	}
	in.OpenActions = map[calendar.Pair]int{}
	if open == nil {
		return in, nil
	}
	for _, s := range in.Series {
		if _, ok := in.OpenActions[s.Pair]; ok {
			continue
		}
		n, err := open(ctx, s.Pair)
		if err != nil {
			return Input{}, fmt.Errorf("count open actions of %s: %w", s.Pair, err)
		}
		in.OpenActions[s.Pair] = n
	}
	return in, nil
}

// windowStart returns the start of the earliest window Build, Summaries
// or PairOf of in measure over, to the second.
func windowStart(in Input) time.Time {
	n := in.normalized()
	a, _ := n.Week.Add(-(n.TrailingWeeks - 1)).Range(n.Location)
	b, _ := WeekOf(n.Now, n.Location).Add(-(n.TrailingWeeks - 1)).Range(n.Location)
	if b.Before(a) {
		a = b
	}
	return a.Truncate(time.Second)
}

// loadWindow reads the occurrences of series that in needs (see Load).
//
// Every occurrence whose original start is at or after the window's start,
// or after Now minus store.MaxShift (the next start of Summaries, for a
// slot moved by at most MaxShift), is read: everything the figures count
// by original start. Older ones can only matter as a pair's last kept
// occurrence, and an occurrence whose original start is before low started
// before low+MaxShift: a pair whose latest kept start L in what was read is
// at least that needs nothing older. For the others (pairs that kept
// nothing lately, ended series, moves near the window's edge), a stretch of
// the pair's series is read further back (needOlder, readBack).
//
// The figures are those of the whole history because the metrics
// de-duplicate by (pair, series, original start), every stretch read holds
// every occurrence of the pair's series in it, and the occurrences come
// series by series in ID order, so that where the last one given of a slot
// wins, the same one wins as in store.AllOccurrences' order.
func loadWindow(in Input, series []calendar.Series, h WindowHistory) ([]calendar.Occurrence, error) {
	n := in.normalized()
	low := windowStart(in)
	if s := n.Now.Add(-store.MaxShift).Truncate(time.Second); s.Before(low) {
		low = s
	}
	// The as-of instants of Build and PairOf (the end of a past week) and
	// of Summaries (Now): a kept occurrence is one that started before.
	asOfs := []time.Time{n.Now}
	if a := AsOf(n.Week, n.Now, n.Location); a.Before(n.Now) {
		asOfs = append(asOfs, a)
	}
	byPair := map[calendar.Pair][]calendar.Series{}
	for _, s := range series {
		byPair[s.Pair] = append(byPair[s.Pair], s)
	}
	pairs := make([]calendar.Pair, 0, len(byPair))
	for p, ss := range byPair {
		slices.SortFunc(ss, func(a, b calendar.Series) int { return strings.Compare(a.ID, b.ID) })
		byPair[p] = slices.CompactFunc(ss, func(a, b calendar.Series) bool { return a.ID == b.ID })
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, calendar.Pair.Compare)
	dup := sameMeeting(series)
	// About one occurrence a week of the window per series, as a start.
	occ := make([]calendar.Occurrence, 0, len(series)*int(n.Now.Sub(low)/(7*24*time.Hour)+1))
	var mine []calendar.Occurrence // reused from pair to pair
	err := h.ViewRecent(func(tx *store.RecentTx) error {
		for _, p := range pairs {
			mine = mine[:0]
			for _, s := range byPair[p] {
				o, err := tx.Between(s.ID, low, time.Time{}, nil)
				if err != nil {
					return err
				}
				mine = append(mine, o...)
			}
			if needOlder(mine, p, byPair[p], dup, low, asOfs) {
				var err error
				if mine, err = readBack(tx, p, byPair[p], mine, low, asOfs); err != nil {
					return err
				}
			}
			occ = append(occ, mine...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return occ, nil
}

// needOlder reports whether occurrences of pair p before low might hold its
// last kept one as of one of asOfs, judged from occ, those from low on:
// not when a kept one that counts surely (of a series that is not the same
// meeting as another, dup) started at or after low+MaxShift.
func needOlder(occ []calendar.Occurrence, p calendar.Pair, series []calendar.Series, dup map[string]string, low time.Time, asOfs []time.Time) bool {
	bound := low.Add(store.MaxShift)
	asOf := slices.MinFunc(asOfs, time.Time.Compare)
	for _, o := range occ {
		if dup[o.SeriesID] != "" || (o.Pair != (calendar.Pair{}) && o.Pair != p) {
			continue
		}
		start := o.Start
		if start.IsZero() {
			start = o.OriginalStart
		}
		if o.State.Kept() && !start.Before(bound) && start.Before(asOf) {
			return false
		}
	}
	return true
}

// readBack returns occ, the occurrences of pair p's series from low on,
// with those of a stretch before low that holds the pair's last kept
// occurrence as of each of asOfs, if it kept one, and everything that may
// have started after it. The stretch only grows downwards: [lo, low)
// holds every occurrence of the series in it. What lies before lo started
// before lo+MaxShift, so when the pair's last kept start L (de-duplicated,
// as the metrics do) is at least that, nothing older counts; when it is
// not, the stretch is extended to L−MaxShift; when the pair kept nothing
// in it, to 2·MaxShift before the latest kept occurrence of its series
// before lo (found by a seek backwards), and checked again.
func readBack(tx *store.RecentTx, p calendar.Pair, series []calendar.Series, occ []calendar.Occurrence, low time.Time, asOfs []time.Time) ([]calendar.Occurrence, error) {
	// extend reads [lo, low); false when lo is not before low.
	extend := func(lo time.Time) (bool, error) {
		lo = lo.Truncate(time.Second)
		if !lo.Before(low) {
			return false, nil
		}
		var older []calendar.Occurrence
		for _, s := range series {
			o, err := tx.Between(s.ID, lo, low, nil)
			if err != nil {
				return false, err
			}
			older = append(older, o...)
		}
		occ, low = append(older, occ...), lo
		return true, nil
	}
	for _, asOf := range asOfs {
		for {
			var last time.Time
			var ok bool
			for _, g := range groupByPair(Input{Series: series, Occurrences: occ}) {
				if g.pair == p {
					last, ok = g.lastKept(asOf)
				}
			}
			if ok && !last.Before(low.Add(store.MaxShift)) {
				break
			}
			if ok {
				// Then last starts at least MaxShift after low: done
				// at the next turn.
				grew, err := extend(last.Add(-store.MaxShift))
				if err != nil {
					return nil, err
				}
				if !grew {
					break // cannot be: last is before low+MaxShift
				}
				continue
			}
			var latest time.Time
			for _, s := range series {
				o, found, err := tx.LastOccurrenceBefore(s.ID, low, func(o calendar.Occurrence) bool {
					if o.Start.IsZero() {
						o.Start = o.OriginalStart
					}
					return kept(o, asOf)
				})
				if err != nil {
					return nil, err
				}
				if found && o.OriginalStart.After(latest) {
					latest = o.OriginalStart
				}
			}
			if latest.IsZero() {
				break // nothing kept before low
			}
			grew, err := extend(latest.Add(-2 * store.MaxShift))
			if err != nil {
				return nil, err
			}
			if !grew {
				break // cannot be: latest is before low
			}
		}
	}
	return occ, nil
}
