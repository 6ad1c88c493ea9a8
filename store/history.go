package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"oneonone/calendar"
)

// SaveHistory stores the series of source and their occurrences in one
// transaction: each series is upserted by ID, and for each of them, the
// stored occurrences become exactly those in occ with its SeriesID (keyed by
// Occurrence.Key; a later one wins over an earlier one with the same key).
// Series not in series are left alone. An occurrence of a series not in
// series, a series of another source, an empty ID, or an occurrence without
// an original start is an error, and nothing is stored.
func (s *Store) SaveHistory(source string, series []calendar.Series, occ []calendar.Occurrence) error {
	return s.saveHistory(source, series, occ, time.Time{})
}

// SaveHistoryFrom is SaveHistory for the recent part of the history only:
// for each series saved, the stored occurrences whose original start is at
// or after from (to the second) become exactly those in occ with its
// SeriesID and such a start; older stored occurrences are left alone, and
// older ones in occ are upserted. A cycle that recomputes only the last
// months of history saves them in a time that does not grow with the years
// of history kept.
func (s *Store) SaveHistoryFrom(source string, series []calendar.Series, occ []calendar.Occurrence, from time.Time) error {
	if from.IsZero() {
		return fmt.Errorf("save history of %s: no start of the window", source)
	}
	return s.saveHistory(source, series, occ, from)
}

// occKeyFrom is the key, within a series' prefix, of the first occurrence at
// or after from: the layout of calendar.Occurrence.Key, to the second.
func occKeyFrom(prefix []byte, from time.Time) []byte {
	if from.IsZero() {
		return prefix
	}
	return append(slices.Clip(prefix), calendar.Occurrence{OriginalStart: from.Truncate(time.Second)}.Key()...)
}

// saveHistory is SaveHistory (from zero) and SaveHistoryFrom.
func (s *Store) saveHistory(source string, series []calendar.Series, occ []calendar.Occurrence, from time.Time) error {
	wrap := func(err error) error { return fmt.Errorf("save history of %s: %w", source, err) }
	idx := make(map[string][]int, len(series)) // series ID → indexes into occ
	for _, se := range series {
		if err := checkPart("series id", se.ID); err != nil {
			return wrap(err)
		}
		if se.Source != "" && se.Source != source {
			return wrap(fmt.Errorf("series %s belongs to source %q", se.ID, se.Source))
		}
		idx[se.ID] = nil
	}
	for i, o := range occ {
		list, ok := idx[o.SeriesID]
		if !ok {
			return wrap(fmt.Errorf("occurrence %s of series %q, which is not saved with it", o.Key(), o.SeriesID))
		}
		if o.OriginalStart.IsZero() {
			return wrap(fmt.Errorf("occurrence of series %s without an original start", o.SeriesID))
		}
		idx[o.SeriesID] = append(list, i)
	}
	err := s.update(func(tx *bbolt.Tx) error {
		sb, ob := tx.Bucket(bucketSeries), tx.Bucket(bucketOccurrences)
		// A series' occurrences are a run of keys, written in order.
		sb.FillPercent, ob.FillPercent = compactFillPercent, compactFillPercent
		for _, se := range series {
			v, err := json.Marshal(se)
			if err != nil {
				return fmt.Errorf("encode series %s: %w", se.ID, err)
			}
			if err := putIfChanged(sb, []byte(se.ID), v); err != nil {
				return err
			}
		}
		done := make(map[string]bool, len(series))
		for _, se := range series {
			if done[se.ID] {
				continue
			}
			done[se.ID] = true
			id, list := se.ID, idx[se.ID]
			prefix, _ := seriesPrefix(id) // checked above
			want := make(map[string][]byte, len(list))
			for _, i := range list {
				v, err := encodeOccurrence(occ[i])
				if err != nil {
					return err
				}
				want[string(prefix)+occ[i].Key()] = v
			}
			// Keep what is unchanged, delete what is gone, write the rest;
			// before from, only write what changed.
			start := occKeyFrom(prefix, from)
			err := deleteRange(ob, prefix, start, func(k, v []byte) bool {
				w, ok := want[string(k)]
				if ok && bytes.Equal(w, v) {
					delete(want, string(k))
				}
				return ok
			})
			if err != nil {
				return err
			}
			keys := make([]string, 0, len(want))
			for k := range want {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				put := ob.Put
				if k < string(start) {
					put = func(key, v []byte) error { return putIfChanged(ob, key, v) }
				}
				if err := put([]byte(k), want[k]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// Occurrences returns the stored occurrences of one series, sorted by
// original start. A record that does not decode is skipped (see
// WithBadRecord); the next save of the series replaces or deletes it. Times come back in fixed-offset zones; compare them with
// Equal.
func (s *Store) Occurrences(seriesID string) ([]calendar.Occurrence, error) {
	return s.occurrences(seriesID, time.Time{})
}

// OccurrencesFrom returns the stored occurrences of one series whose
// original start is at or after from (to the second), sorted by original
// start: the part of the history a cycle recomputes (see SaveHistoryFrom).
func (s *Store) OccurrencesFrom(seriesID string, from time.Time) ([]calendar.Occurrence, error) {
	return s.occurrences(seriesID, from)
}

func (s *Store) occurrences(seriesID string, from time.Time) ([]calendar.Occurrence, error) {
	prefix, err := seriesPrefix(seriesID)
	if err != nil {
		return nil, fmt.Errorf("list occurrences: %w", err)
	}
	var out []calendar.Occurrence
	err = s.view(func(tx *bbolt.Tx) error {
		return scanRange(tx.Bucket(bucketOccurrences), prefix, occKeyFrom(prefix, from), func(k, v []byte) error {
			o, err := decodeOccurrence(k, v)
			if err != nil {
				s.badRecord(bucketOccurrences, k, err)
				return nil
			}
			out = append(out, o)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list occurrences of %s: %w", seriesID, err)
	}
	return out, nil
}

// AllOccurrences returns the occurrences of every series, sorted by original
// start, then series. For large stores, ForEachOccurrence does not hold them
// all in memory.
func (s *Store) AllOccurrences() ([]calendar.Occurrence, error) {
	var out []calendar.Occurrence
	err := s.ForEachOccurrence(func(o calendar.Occurrence) error {
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The order of calendar.SortOccurrences, without sort.Slice's reflection.
	slices.SortFunc(out, func(a, b calendar.Occurrence) int {
		if c := a.OriginalStart.Compare(b.OriginalStart); c != 0 {
			return c
		}
		return strings.Compare(a.SeriesID, b.SeriesID)
	})
	return out, nil
}

// ForEachOccurrence calls fn for every stored occurrence, series by series
// (in ID order) and, within a series, by original start, all from one
// consistent snapshot. It stops at fn's first error and returns it. fn runs
// inside a read transaction: it must not write to the store.
func (s *Store) ForEachOccurrence(fn func(calendar.Occurrence) error) error {
	var fnErr error
	err := s.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketOccurrences).ForEach(func(k, v []byte) error {
			o, err := decodeOccurrence(k, v)
			if err != nil {
				s.badRecord(bucketOccurrences, k, err)
				return nil
			}
			if err := fn(o); err != nil {
				fnErr = err
				return err
			}
			return nil
		})
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("list occurrences: %w", err)
	}
	return nil
}
