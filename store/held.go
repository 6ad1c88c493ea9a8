package store

import (
	"slices"
	"time"

	"oneonone/calendar"
)

// HeldStarts returns the actual starts of a pair's 1:1s that took place
// (held, postponed or advanced) and started before now, oldest first: the
// meetings a talking point can have been discussed in (agenda.DiscussedIn)
// and the pair page's timeline. An occurrence stored without its pair is
// the pair's when its series is.
func (s *Store) HeldStarts(pair calendar.Pair, now time.Time) ([]time.Time, error) {
	series, err := s.Series()
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, ser := range series {
		if ser.Pair == pair {
			ids[ser.ID] = true
		}
	}
	var out []time.Time
	err = s.ForEachOccurrence(func(o calendar.Occurrence) error {
		if o.Pair != pair && (o.Pair != calendar.Pair{} || !ids[o.SeriesID]) {
			return nil
		}
		switch o.State {
		case calendar.StateHeld, calendar.StatePostponed, calendar.StateAdvanced:
		default:
			return nil
		}
		if o.Start.IsZero() || o.Start.After(now) {
			return nil
		}
		out = append(out, o.Start)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal), nil
}
