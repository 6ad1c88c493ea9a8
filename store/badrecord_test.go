package store

import (
	"testing"

	"go.etcd.io/bbolt"

	"oneonone/calendar"
)

// putRaw writes value under key in bucket with raw bbolt, as a bug or an
// older build could have.
func putRaw(t *testing.T, path, bucket, key string, value []byte) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte(bucket)).Put([]byte(key), value) })
	if err != nil {
		t.Fatal(err)
	}
}

// TestBadSeriesRecordIsSkipped: one series record that does not decode is
// skipped and named; the other series, their occurrences and the actions
// still read.
func TestBadSeriesRecordIsSkipped(t *testing.T) {
	path := filledStore(t)
	putRaw(t, path, "series", "team/cal/uid-bad", []byte("{not json"))
	putRaw(t, path, "occurrences", "team/cal/uid-1\x0019990105T100000Z", []byte("\x00garbage"))
	putRaw(t, path, "actions", "999", []byte("[1,2"))
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.Series()
	if err != nil {
		t.Fatalf("Series: %v", err)
	}
	if len(list) != 5 {
		t.Fatalf("got %d series, want the 5 good ones", len(list))
	}
	all, err := s.AllOccurrences()
	if err != nil {
		t.Fatalf("AllOccurrences: %v", err)
	}
	if len(all) != 100 {
		t.Fatalf("got %d occurrences, want the 100 good ones", len(all))
	}
	if _, err := s.Occurrences("team/cal/uid-1"); err != nil {
		t.Fatalf("Occurrences: %v", err)
	}
	if _, err := s.Actions(calendar.Pair{}); err != nil {
		t.Fatalf("Actions: %v", err)
	}
}
