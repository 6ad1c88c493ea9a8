package report

import (
	"cmp"
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
// for a pair with no 1:1 kept in them, the stretch around its last kept
// one (days_since_last, overdue): the figures are those of the whole
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
	return countOpen(ctx, in, open)
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
	return countOpen(ctx, in, open)
}

// countOpen fills in.OpenActions with open.
func countOpen(ctx context.Context, in Input, open func(context.Context, calendar.Pair) (int, error)) (Input, error) {
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
// Every occurrence whose original start is at or after edge = the window's
// start minus store.MaxShift is read: that covers the window by original
// start, and, for moves of at most MaxShift, every occurrence whose actual
// start is in or after the window (the next start of Summaries). What
// lies before edge started before the window, so it can only matter as a
// pair's last kept occurrence, and only when the pair kept none that
// started in the window: for such a pair, lastKeptBefore adds the stretch
// around it. The figures are those of the whole history because the
// metrics de-duplicate by (pair, series, original start), and every
// stretch read holds every occurrence of the pair's series in it.
func loadWindow(in Input, series []calendar.Series, h WindowHistory) ([]calendar.Occurrence, error) {
	n := in.normalized()
	from := windowStart(in)
	edge := from.Add(-store.MaxShift)
	asOf := AsOf(n.Week, n.Now, n.Location)
	if n.Now.Before(asOf) {
		asOf = n.Now
	}
	ids := make([]string, 0, len(series))
	byPair := map[calendar.Pair][]string{}
	for _, s := range series {
		ids = append(ids, s.ID)
		byPair[s.Pair] = append(byPair[s.Pair], s.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var occ []calendar.Occurrence
	err := h.ViewRecent(func(tx *store.RecentTx) error {
		var err error
		if occ, err = tx.OccurrencesFrom(ids, from, nil); err != nil {
			return err
		}
		// A pair that kept a 1:1 started in [from, asOf) needs nothing
		// older: everything before edge started before from.
		for _, g := range groupByPair(Input{Series: series, Occurrences: occ}) {
			if last, ok := g.lastKept(asOf); ok && !last.Before(from) {
				continue
			}
			more, err := lastKeptBefore(tx, series, byPair[g.pair], edge)
			if err != nil {
				return err
			}
			occ = append(occ, more...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The order of store.AllOccurrences: where the last one given wins,
	// the same one wins.
	slices.SortFunc(occ, func(a, b calendar.Occurrence) int {
		return cmp.Or(a.OriginalStart.Compare(b.OriginalStart), strings.Compare(a.SeriesID, b.SeriesID))
	})
	return occ, nil
}

// lastKeptBefore returns every occurrence of the series ids (one pair's)
// in a stretch before hi that holds the pair's last kept occurrence before
// hi, if it kept one, and everything that could have started later than
// it. It seeks back to the latest kept occurrence of each series, reads
// all of the pair's series from 2·MaxShift before the latest of those up
// to hi, and, when de-duplication left nothing kept that started after
// what lies before the stretch, goes on further back.
func lastKeptBefore(tx *store.RecentTx, series []calendar.Series, ids []string, hi time.Time) ([]calendar.Occurrence, error) {
	keptState := func(o calendar.Occurrence) bool { return o.State.Kept() }
	var out []calendar.Occurrence
	for {
		var latest time.Time
		for _, id := range ids {
			o, ok, err := tx.LastOccurrenceBefore(id, hi, keptState)
			if err != nil {
				return nil, err
			}
			if ok && o.OriginalStart.After(latest) {
				latest = o.OriginalStart
			}
		}
		if latest.IsZero() {
			return out, nil // nothing kept before hi
		}
		lo := latest.Add(-2 * store.MaxShift).Truncate(time.Second)
		for _, id := range ids {
			occ, err := tx.Between(id, lo, hi, nil)
			if err != nil {
				return nil, err
			}
			out = append(out, occ...)
		}
		// What lies before lo started before lo+MaxShift: when a kept one
		// that counts started at or after that, it is the latest.
		var mine []calendar.Series
		for _, s := range series {
			if slices.Contains(ids, s.ID) {
				mine = append(mine, s)
			}
		}
		for _, g := range groupByPair(Input{Series: mine, Occurrences: out}) {
			if last, ok := g.lastKept(hi.Add(store.MaxShift)); ok && !last.Before(lo.Add(store.MaxShift)) {
				return out, nil
			}
		}
		hi = lo
	}
}
