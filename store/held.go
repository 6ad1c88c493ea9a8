package store

import (
	"slices"
	"time"

	"oneonone/calendar"
)

// HeldStarts returns the actual starts, from from up to now and oldest
// first, of a pair's 1:1s that took place or are taking place (held,
// postponed, advanced, or upcoming and begun; not skipped, declined or
// vanished): where the ticked items of the pair's block start
// (agenda.Blocks.Since), the meetings a talking point can have been
// discussed in (agenda.DiscussedIn), and the pair page's timeline. It
// reads each of the pair's series from from on, never the whole history.
func (s *Store) HeldStarts(pair calendar.Pair, from, now time.Time) ([]time.Time, error) {
	series, err := s.Series()
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for _, ser := range series {
		if ser.Pair != pair {
			continue
		}
		occ, err := s.OccurrencesFrom(ser.ID, from)
		if err != nil {
			return nil, err
		}
		for _, o := range occ {
			switch {
			case o.Vanished, o.Start.IsZero(), o.Start.After(now), o.Start.Before(from):
			case o.State == calendar.StateSkipped, o.State == calendar.StateDeclined:
			default:
				out = append(out, o.Start)
			}
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal), nil
}
