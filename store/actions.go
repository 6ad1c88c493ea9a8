package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.etcd.io/bbolt"

	"oneonone/agenda"
	"oneonone/calendar"
)

// AddAction stores a new action and returns it with its ID.
func (s *Store) AddAction(a agenda.Action) (agenda.Action, error) {
	err := s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketActions)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		a.ID = strconv.FormatUint(seq, 10)
		return putJSON(b, []byte(a.ID), a)
	})
	if err != nil {
		return agenda.Action{}, fmt.Errorf("add action: %w", err)
	}
	return a, nil
}

// Action returns one action by ID.
func (s *Store) Action(id string) (agenda.Action, bool, error) {
	var a agenda.Action
	var ok bool
	err := s.view(func(tx *bbolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketActions), []byte(id), &a)
		return err
	})
	if err != nil {
		return agenda.Action{}, false, fmt.Errorf("read action %s: %w", id, err)
	}
	return a, ok, nil
}

// Actions returns the actions of a pair, or of every pair when pair is
// the zero Pair, oldest first. A record that does not decode is skipped
// (see WithBadRecord).
func (s *Store) Actions(pair calendar.Pair) ([]agenda.Action, error) {
	var out []agenda.Action
	err := s.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketActions).ForEach(func(k, v []byte) error {
			var a agenda.Action
			if err := json.Unmarshal(v, &a); err != nil {
				s.badRecord(bucketActions, k, err)
				return nil
			}
			if pair == (calendar.Pair{}) || a.Pair == pair {
				out = append(out, a)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read actions: %w", err)
	}
	slices.SortStableFunc(out, func(a, b agenda.Action) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return compareIDs(a.ID, b.ID)
	})
	return out, nil
}

// SetActionDone marks an action done at t, or open again when t is zero.
// ok is false when there is no action with that ID.
func (s *Store) SetActionDone(id string, t time.Time) (a agenda.Action, ok bool, err error) {
	err = s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketActions)
		if ok, err = getJSON(b, []byte(id), &a); err != nil || !ok {
			return err
		}
		a.Done = t
		return putJSON(b, []byte(id), a)
	})
	if err != nil {
		return agenda.Action{}, false, fmt.Errorf("update action %s: %w", id, err)
	}
	return a, ok, nil
}

// UpdateAction replaces the stored action of a.ID with a (an edit, made by
// agenda.EditAction). ok is false when there is no action with that ID:
// nothing is stored then.
func (s *Store) UpdateAction(a agenda.Action) (ok bool, err error) {
	err = s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketActions)
		if b.Get([]byte(a.ID)) == nil {
			return nil
		}
		ok = true
		return putJSON(b, []byte(a.ID), a)
	})
	if err != nil {
		return false, fmt.Errorf("update action %s: %w", a.ID, err)
	}
	return ok, nil
}

// DeleteAction deletes an action and returns it. ok is false when there
// is no action with that ID.
func (s *Store) DeleteAction(id string) (a agenda.Action, ok bool, err error) {
	err = s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketActions)
		v := b.Get([]byte(id))
		if v == nil {
			return nil
		}
		ok = true
		// A record that does not decode is deleted all the same: it is
		// what a user deletes it for.
		_ = json.Unmarshal(v, &a)
		a.ID = id
		return b.Delete([]byte(id))
	})
	if err != nil {
		return agenda.Action{}, false, fmt.Errorf("delete action %s: %w", id, err)
	}
	return a, ok, nil
}

// KnowsCounterpart says whether a stored series is a 1:1 with the
// counterpart addr, ended or deleted ones too (agenda.ActionInput.Known:
// an action of a pair that never met is refused unless forced).
func (s *Store) KnowsCounterpart(addr string) (bool, error) {
	addr = calendar.NormalizeEmail(addr)
	if addr == "" {
		return false, nil
	}
	series, err := s.Series()
	if err != nil {
		return false, err
	}
	for _, se := range series {
		if calendar.NormalizeEmail(se.Counterpart) == addr || (se.Pair.Has(addr) && calendar.NormalizeEmail(se.Me) != addr) {
			return true, nil
		}
	}
	return false, nil
}

// compareIDs orders decimal IDs numerically.
func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DocItemSeen returns when the agenda-document item key was first seen
// (agenda.ActionStore; the facts of namespace FactsDocItems). A malformed
// time reads as never seen, so that the agenda records it again.
func (s *Store) DocItemSeen(key string) (time.Time, bool, error) {
	t, ok, err := s.Facts(FactsDocItems).Time(key)
	if errors.Is(err, ErrBadFact) {
		return time.Time{}, false, nil
	}
	return t, ok, err
}

// SetDocItemSeen records when the agenda-document item key was first seen.
// A read-only store records nothing (the next command that writes does).
func (s *Store) SetDocItemSeen(key string, t time.Time) error {
	if s.readOnly {
		return nil
	}
	return s.Facts(FactsDocItems).PutTime(key, t)
}
