package report

import (
	"context"
	"fmt"

	"oneonone/calendar"
)

// History is where a report's input is read from; *store.Store is one.
type History interface {
	Series() ([]calendar.Series, error)
	AllOccurrences() ([]calendar.Occurrence, error)
}

// Load returns in with Series and Occurrences read from h, and with
// OpenActions counted by open for every pair that has a series (none when
// open is nil). An error of open fails the load: a caller that would rather
// show what it has returns the count without the error. Build and Summaries
// stay pure; Load is where the web face and the commands read.
func Load(ctx context.Context, in Input, h History, open func(context.Context, calendar.Pair) (int, error)) (Input, error) {
	series, err := h.Series()
	if err != nil {
		return Input{}, err
	}
	occ, err := h.AllOccurrences()
	if err != nil {
		return Input{}, err
	}
	in.Series, in.Occurrences = series, occ
	in.OpenActions = map[calendar.Pair]int{}
	if open == nil {
		return in, nil
	}
	for _, s := range series {
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
