package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"oneonone/calendar"
)

// Series returns every stored series, of all sources, sorted by ID. A
// record that does not decode is skipped (see WithBadRecord).
func (s *Store) Series() ([]calendar.Series, error) {
	var out []calendar.Series
	err := s.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSeries).ForEach(func(k, v []byte) error {
			var se calendar.Series
			if err := json.Unmarshal(v, &se); err != nil {
				s.badRecord(bucketSeries, k, err)
				return nil
			}
			out = append(out, se)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list series: %w", err)
	}
	return out, nil
}

// SeriesOf returns the stored series of one source, sorted by ID: those
// whose ID begins with source + "/" (every series ID does: history builds
// it as source/calendar/UID) and whose Source is source. It reads only
// that run of keys, so a cycle of one source of many does not decode the
// series of all the others. A record that does not decode is skipped.
func (s *Store) SeriesOf(source string) ([]calendar.Series, error) {
	var out []calendar.Series
	prefix := []byte(source + "/")
	err := s.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketSeries).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var se calendar.Series
			if err := json.Unmarshal(v, &se); err != nil {
				s.badRecord(bucketSeries, k, err)
				continue
			}
			if se.Source == source {
				out = append(out, se)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list series of %s: %w", source, err)
	}
	return out, nil
}

// SeriesByID returns one series.
func (s *Store) SeriesByID(id string) (calendar.Series, bool, error) {
	var se calendar.Series
	if err := checkPart("series id", id); err != nil {
		return se, false, fmt.Errorf("get series: %w", err)
	}
	var ok bool
	err := s.view(func(tx *bbolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketSeries), []byte(id), &se)
		return err
	})
	if err != nil {
		return calendar.Series{}, false, fmt.Errorf("get series %s: %w", id, err)
	}
	return se, ok, nil
}
