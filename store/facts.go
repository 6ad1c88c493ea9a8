package store

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// Meta returns a small stored fact (such as when the last report was mailed).
func (s *Store) Meta(key string) (string, bool, error) {
	if key == "" {
		return "", false, errors.New("get meta: empty key")
	}
	var v string
	var ok bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketFacts), []byte(key), &v)
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("get meta %s: %w", key, err)
	}
	return v, ok, nil
}

// SetMeta stores a small fact.
func (s *Store) SetMeta(key, value string) error {
	if key == "" {
		return errors.New("set meta: empty key")
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketFacts), []byte(key), value)
	})
	if err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}

// DeleteMeta removes a fact; removing one that is not there is no error.
func (s *Store) DeleteMeta(key string) error {
	if key == "" {
		return errors.New("delete meta: empty key")
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketFacts).Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("delete meta %s: %w", key, err)
	}
	return nil
}
