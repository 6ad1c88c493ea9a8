package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.etcd.io/bbolt"

	"oneonone/agenda"
	"oneonone/calendar"
)

// AddPoint stores a new talking point and returns it with its ID.
func (s *Store) AddPoint(p agenda.Point) (agenda.Point, error) {
	err := s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketPoints)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		p.ID = "p" + strconv.FormatUint(seq, 10)
		return putJSON(b, []byte(p.ID), p)
	})
	if err != nil {
		return agenda.Point{}, fmt.Errorf("add talking point: %w", err)
	}
	return p, nil
}

// Point returns one talking point by ID.
func (s *Store) Point(id string) (agenda.Point, bool, error) {
	var p agenda.Point
	var ok bool
	err := s.view(func(tx *bbolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketPoints), []byte(id), &p)
		return err
	})
	if err != nil {
		return agenda.Point{}, false, fmt.Errorf("read talking point %s: %w", id, err)
	}
	return p, ok, nil
}

// Points returns the talking points of a pair, or of every pair when pair
// is the zero Pair, oldest first. A record that does not decode is skipped
// (see WithBadRecord).
func (s *Store) Points(pair calendar.Pair) ([]agenda.Point, error) {
	var out []agenda.Point
	err := s.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketPoints).ForEach(func(k, v []byte) error {
			var p agenda.Point
			if err := json.Unmarshal(v, &p); err != nil {
				s.badRecord(bucketPoints, k, err)
				return nil
			}
			if pair == (calendar.Pair{}) || p.Pair == pair {
				out = append(out, p)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read talking points: %w", err)
	}
	slices.SortStableFunc(out, func(a, b agenda.Point) int {
		if c := a.Added.Compare(b.Added); c != 0 {
			return c
		}
		return compareIDs(a.ID[1:], b.ID[1:])
	})
	return out, nil
}

// SetPointDiscussed marks a talking point discussed at t in the 1:1 that
// started at meeting, or open again when t is zero. ok is false when there
// is no point with that ID.
func (s *Store) SetPointDiscussed(id string, t, meeting time.Time) (p agenda.Point, ok bool, err error) {
	err = s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketPoints)
		if ok, err = getJSON(b, []byte(id), &p); err != nil || !ok {
			return err
		}
		p.Discussed, p.Meeting = t, meeting
		if t.IsZero() {
			p.Meeting = time.Time{}
		}
		return putJSON(b, []byte(id), p)
	})
	if err != nil {
		return agenda.Point{}, false, fmt.Errorf("update talking point %s: %w", id, err)
	}
	return p, ok, nil
}

// DeletePoint deletes a talking point and returns it. ok is false when
// there is no point with that ID.
func (s *Store) DeletePoint(id string) (p agenda.Point, ok bool, err error) {
	err = s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketPoints)
		v := b.Get([]byte(id))
		if v == nil {
			return nil
		}
		ok = true
		_ = json.Unmarshal(v, &p)
		p.ID = id
		return b.Delete([]byte(id))
	})
	if err != nil {
		return agenda.Point{}, false, fmt.Errorf("delete talking point %s: %w", id, err)
	}
	return p, ok, nil
}
