package store

import (
	"fmt"

	"go.etcd.io/bbolt"

	"oneonone/calendar"
)

// PutCalendarStates stores several calendar states in one transaction,
// each as given, Objects included: the engine keeps the times of quiet
// cycles in memory and writes them all at once now and then.
func (s *Store) PutCalendarStates(states []CalendarState) error {
	if len(states) == 0 {
		return nil
	}
	keys := make([][]byte, len(states))
	for i, st := range states {
		k, err := calKey(st.Source, st.Calendar)
		if err != nil {
			return fmt.Errorf("put calendar states: %w", err)
		}
		keys[i] = k
	}
	err := s.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketCalendars)
		for i, st := range states {
			if err := putJSON(b, keys[i], st); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put calendar states: %w", err)
	}
	return nil
}

// ObjectsAt returns the stored objects of a calendar at the hrefs, in one
// read transaction; those not stored are left out.
func (s *Store) ObjectsAt(source, cal string, hrefs []string) ([]calendar.Object, error) {
	prefix, err := calPrefix(source, cal)
	if err != nil {
		return nil, fmt.Errorf("get objects: %w", err)
	}
	keys := make([][]byte, len(hrefs))
	for i, href := range hrefs {
		if keys[i], err = objKey(prefix, href); err != nil {
			return nil, fmt.Errorf("get objects: %w", err)
		}
	}
	out := make([]calendar.Object, 0, len(hrefs))
	err = s.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketObjects)
		for i, k := range keys {
			v := b.Get(k)
			if v == nil {
				continue
			}
			etag, data, err := decodeObject(v)
			if err != nil {
				return fmt.Errorf("decode %q: %w", hrefs[i], err)
			}
			out = append(out, calendar.Object{Href: hrefs[i], ETag: etag, Data: data})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get objects of %s/%s: %w", source, cal, err)
	}
	return out, nil
}
