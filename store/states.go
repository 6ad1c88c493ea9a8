package store

import (
	"fmt"

	"go.etcd.io/bbolt"
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
