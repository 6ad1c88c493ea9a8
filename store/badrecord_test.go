package store

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"oneonone/agenda"
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
	var bad []string
	s, err := Open(path, WithBadRecord(func(b BadRecord) { bad = append(bad, b.Bucket+" "+b.Key) }))
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
	if _, err := s.Series(); err != nil { // a second read reports nothing again
		t.Fatal(err)
	}
	want := []string{"series team/cal/uid-bad", "occurrences team/cal/uid-1\x0019990105T100000Z", "actions 999"}
	if !slices.Equal(bad, want) {
		t.Fatalf("bad records reported %q, want %q (each once)", bad, want)
	}
	rep, err := Check(path + ".copy")
	if err == nil {
		t.Fatalf("Check of a missing file: %+v", rep)
	}
}

// TestCheck: a sound file checks clean; the same file with bad records
// lists each, naming its bucket and key.
func TestCheck(t *testing.T) {
	path := filledStore(t)
	rep, err := Check(path)
	if err != nil || len(rep.Problems) != 0 || rep.Schema != SchemaVersion() || rep.Records < 300 {
		t.Fatalf("Check of a sound file: %+v, %v", rep, err)
	}
	putRaw(t, path, "series", "team/cal/uid-bad", []byte("{not json"))
	putRaw(t, path, "actions", "999", []byte("[1,2"))
	rep, err = Check(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 2 || !strings.Contains(rep.Problems[0], `bucket actions: record "999"`) || !strings.Contains(rep.Problems[1], `bucket series: record "team/cal/uid-bad"`) {
		t.Fatalf("problems %q", rep.Problems)
	}
	for _, c := range corruptions {
		path := filledStore(t)
		c.do(t, path)
		rep, err := Check(path)
		if err == nil && len(rep.Problems) == 0 {
			t.Errorf("%s: Check found nothing", c.name)
		}
		t.Logf("%s: %v %q", c.name, err, rep.Problems)
	}
}

// TestOpenReadOnlyWritesNothing: a read-only open reads, refuses writes,
// and leaves the file's bytes as they were, even with an expired fact to
// sweep; an older schema is refused with what to do.
func TestOpenReadOnlyWritesNothing(t *testing.T) {
	path := filledStore(t)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Facts(FactsReadOnly).Expiring(time.Hour).PutString("x", "y"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before := readFile(t, path)
	later := func() time.Time { return time.Now().Add(48 * time.Hour) }
	r, err := OpenReadOnly(path, WithClock(later))
	if err != nil {
		t.Fatal(err)
	}
	if l, err := r.Series(); err != nil || len(l) != 5 {
		t.Fatalf("Series: %d, %v", len(l), err)
	}
	if _, ok, err := r.Facts(FactsReadOnly).String("x"); ok || err != nil {
		t.Fatalf("an expired fact read %v, %v", ok, err)
	}
	if _, err := r.AddAction(agenda.Action{Text: "x"}); err == nil {
		t.Fatal("a read-only store added an action")
	}
	r.Close()
	if !bytes.Equal(before, readFile(t, path)) {
		t.Fatal("a read-only open changed the file")
	}
	setSchemaVersion(t, path, 1)
	if _, err := OpenReadOnly(path); err == nil || !strings.Contains(err.Error(), `run "oneonone sync" once`) {
		t.Fatalf("read-only open of schema 1: %v", err)
	}
	if _, err := OpenReadOnly(path + ".missing"); err == nil {
		t.Fatal("read-only open of a missing file")
	}
	if _, err := os.Stat(path + ".missing"); err == nil {
		t.Fatal("read-only open made a file")
	}
	empty := path + ".empty"
	writeFile(t, empty, nil)
	if _, err := OpenReadOnly(empty); err == nil || !strings.Contains(err.Error(), "the file is empty") {
		t.Fatalf("read-only open of an empty file: %v", err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Fatal("read-only open wrote into an empty file")
	}
	var de *DamagedError
	if _, err := Check(empty); !errors.As(err, &de) {
		t.Fatalf("Check of an empty file: %v", err)
	}
}
