package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// clock is a fake clock for the store.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openClocked(t *testing.T, path string, c *clock) *Store {
	t.Helper()
	s, err := Open(path, WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var factT0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// rawFact returns the stored bytes of a fact, straight from bbolt.
func rawFact(t *testing.T, s *Store, ns, key string) []byte {
	t.Helper()
	var v []byte
	_ = s.db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bucketFacts).Bucket([]byte(ns)); b != nil {
			v = slices.Clone(b.Get([]byte(key)))
		}
		return nil
	})
	return v
}

func TestFactsRoundTrip(t *testing.T) {
	s := openTemp(t)
	f := s.Facts("test")
	berlin := time.FixedZone("CET", 3600)
	when := time.Date(2026, 11, 20, 12, 30, 15, 123456789, berlin)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.PutString("s", "a string\x00with a NUL"))
	must(f.PutString("empty", ""))
	must(f.PutBytes("b", []byte{0, 1, 2, 255}))
	must(f.PutBytes("nil", nil))
	must(f.PutTime("t", when))
	must(f.PutInt64("i", -42))
	must(f.PutBool("yes", true))
	must(f.PutBool("no", false))

	if v, ok, err := f.String("s"); v != "a string\x00with a NUL" || !ok || err != nil {
		t.Errorf("String = %q, %v, %v", v, ok, err)
	}
	if v, ok, err := f.String("empty"); v != "" || !ok || err != nil {
		t.Errorf("String(empty) = %q, %v, %v", v, ok, err)
	}
	if v, ok, err := f.Bytes("b"); string(v) != "\x00\x01\x02\xff" || !ok || err != nil {
		t.Errorf("Bytes = %q, %v, %v", v, ok, err)
	}
	if v, ok, err := f.Bytes("nil"); v == nil || len(v) != 0 || !ok || err != nil {
		t.Errorf("Bytes(nil) = %#v, %v, %v; want empty, present", v, ok, err)
	}
	if v, ok, err := f.Time("t"); !v.Equal(when) || !ok || err != nil {
		t.Errorf("Time = %v, %v, %v", v, ok, err)
	} else if _, off := v.Zone(); off != 3600 {
		t.Errorf("Time lost the offset: %v", v)
	}
	if v, ok, err := f.Int64("i"); v != -42 || !ok || err != nil {
		t.Errorf("Int64 = %v, %v, %v", v, ok, err)
	}
	if v, ok, err := f.Bool("yes"); !v || !ok || err != nil {
		t.Errorf("Bool(yes) = %v, %v, %v", v, ok, err)
	}
	if v, ok, err := f.Bool("no"); v || !ok || err != nil {
		t.Errorf("Bool(no) = %v, %v, %v", v, ok, err)
	}
	if _, ok, err := f.String("missing"); ok || err != nil {
		t.Errorf("String(missing) = %v, %v", ok, err)
	}
	if _, ok, err := s.Facts("never written").String("s"); ok || err != nil {
		t.Errorf("String in an empty namespace = %v, %v", ok, err)
	}

	// A read of another type is an error, not a value.
	if _, _, err := f.Int64("s"); !errors.Is(err, ErrBadFact) {
		t.Errorf("Int64 of a string: %v, want ErrBadFact", err)
	}
	if _, _, err := f.Time("b"); !errors.Is(err, ErrBadFact) {
		t.Errorf("Time of bytes: %v, want ErrBadFact", err)
	}
	if _, _, err := f.Bool("i"); !errors.Is(err, ErrBadFact) {
		t.Errorf("Bool of an int: %v, want ErrBadFact", err)
	}

	// Overwriting replaces; bytes read are the caller's.
	must(f.PutString("s", "second"))
	if v, _, _ := f.String("s"); v != "second" {
		t.Errorf("String after overwrite = %q", v)
	}
	b, _, _ := f.Bytes("b")
	b[0] = 'x'
	if v, _, _ := f.Bytes("b"); v[0] != 0 {
		t.Error("Bytes returned the stored slice")
	}

	// Values survive a reopen.
	path := s.Path()
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if v, ok, err := s2.Facts("test").Time("t"); !v.Equal(when) || !ok || err != nil {
		t.Errorf("Time after reopen = %v, %v, %v", v, ok, err)
	}
}

func TestFactsNamespacesAreIsolated(t *testing.T) {
	s := openTemp(t)
	// Keys that would collide were namespace and key joined by a space,
	// a dot or nothing.
	a, b, c := s.Facts("a"), s.Facts("a b"), s.Facts("a.b")
	if err := a.PutString("b c", "in a"); err != nil {
		t.Fatal(err)
	}
	if err := b.PutString("c", "in a b"); err != nil {
		t.Fatal(err)
	}
	if err := c.PutString("c", "in a.b"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f         Facts
		key, want string
	}{{a, "b c", "in a"}, {b, "c", "in a b"}, {c, "c", "in a.b"}} {
		if v, ok, err := tc.f.String(tc.key); v != tc.want || !ok || err != nil {
			t.Errorf("%s: String(%q) = %q, %v, %v; want %q", tc.f.Namespace(), tc.key, v, ok, err, tc.want)
		}
	}
	if _, ok, _ := a.String("c"); ok {
		t.Error("namespace a sees the key of namespace a b")
	}
	if _, ok, _ := b.String("b c"); ok {
		t.Error("namespace a b sees the key of namespace a")
	}
	// Deleting in one namespace leaves the others alone.
	if err := b.Delete("c"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.String("c"); !ok {
		t.Error("Delete in a b deleted c in a.b")
	}
	if n, err := a.DeletePrefix(""); n != 1 || err != nil {
		t.Errorf("DeletePrefix(all of a) = %d, %v", n, err)
	}
	if _, ok, _ := c.String("c"); !ok {
		t.Error("deleting namespace a deleted a.b's fact")
	}
	// The store's own buckets are not facts.
	if _, ok, _ := s.Facts("meta").String(string(keySchemaVersion)); ok {
		t.Error("schema version visible as a fact")
	}
}

func TestFactsDelete(t *testing.T) {
	s := openTemp(t)
	f := s.Facts("test")
	for _, k := range []string{"team /a.ics", "team /b.ics", "teamwork /c.ics", "other /d.ics"} {
		if err := f.PutString(k, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Delete("other /d.ics"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := f.String("other /d.ics"); ok {
		t.Error("deleted fact still there")
	}
	if err := f.Delete("other /d.ics"); err != nil {
		t.Errorf("Delete of a missing fact: %v", err)
	}
	if err := s.Facts("never written").Delete("k"); err != nil {
		t.Errorf("Delete in an empty namespace: %v", err)
	}
	if keys, err := f.Keys("team "); !slices.Equal(keys, []string{"team /a.ics", "team /b.ics"}) || err != nil {
		t.Errorf("Keys(team ) = %q, %v", keys, err)
	}
	if n, err := f.DeletePrefix("team "); n != 2 || err != nil {
		t.Errorf("DeletePrefix(team ) = %d, %v", n, err)
	}
	if keys, _ := f.Keys(""); !slices.Equal(keys, []string{"teamwork /c.ics"}) {
		t.Errorf("Keys after DeletePrefix = %q", keys)
	}
	if n, err := f.DeletePrefix(""); n != 1 || err != nil {
		t.Errorf("DeletePrefix(all) = %d, %v", n, err)
	}
	if keys, err := f.Keys(""); len(keys) != 0 || err != nil {
		t.Errorf("Keys of a deleted namespace = %q, %v", keys, err)
	}
	if err := f.PutString("again", "y"); err != nil {
		t.Errorf("put into a deleted namespace: %v", err)
	}
}

func TestFactsExpire(t *testing.T) {
	c := &clock{factT0}
	s := openClocked(t, filepath.Join(t.TempDir(), "state.db"), c)
	f := s.Facts("cache")
	if err := f.Expiring(time.Hour).PutTime("soon", factT0); err != nil {
		t.Fatal(err)
	}
	if err := f.Expiring(48*time.Hour).PutString("later", "v"); err != nil {
		t.Fatal(err)
	}
	if err := f.PutString("never", "v"); err != nil {
		t.Fatal(err)
	}

	c.t = factT0.Add(time.Hour - time.Nanosecond)
	if _, ok, err := f.Time("soon"); !ok || err != nil {
		t.Fatalf("before its expiry: Time = %v, %v", ok, err)
	}
	c.t = factT0.Add(time.Hour)
	if keys, _ := f.Keys(""); !slices.Equal(keys, []string{"later", "never"}) {
		t.Errorf("Keys at the expiry = %q, want the expired one left out", keys)
	}
	if rawFact(t, s, "cache", "soon") == nil {
		t.Fatal("the expired fact is gone before it was read or swept")
	}
	if _, ok, err := f.Time("soon"); ok || err != nil {
		t.Errorf("at its expiry: Time = %v, %v; want absent", ok, err)
	}
	if rawFact(t, s, "cache", "soon") != nil {
		t.Error("an expired fact read is still in the file")
	}

	// Rewriting a fact renews its expiry; writing it without Expiring
	// makes it permanent.
	if err := f.Expiring(48*time.Hour).PutString("later", "v"); err != nil {
		t.Fatal(err)
	}
	c.t = factT0.Add(48*time.Hour + 30*time.Minute)
	if _, ok, _ := f.String("later"); !ok {
		t.Error("a rewritten fact expired at its first expiry")
	}
	if err := f.PutString("later", "v"); err != nil {
		t.Fatal(err)
	}
	c.t = factT0.Add(1000 * time.Hour)
	if _, ok, _ := f.String("later"); !ok {
		t.Error("a fact rewritten without Expiring expired")
	}
	if _, ok, _ := f.String("never"); !ok {
		t.Error("a fact without expiry expired")
	}
	if err := f.Expiring(-time.Hour).PutString("k", "v"); err == nil {
		t.Error("a negative expiry was accepted")
	}
}

func TestSweepFacts(t *testing.T) {
	c := &clock{factT0}
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	for i, ns := range []string{"a", "b"} {
		f := s.Facts(ns)
		for _, k := range []string{"x", "y"} {
			if err := f.Expiring(time.Duration(i+1)*time.Hour).PutString(k, "v"); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.PutString("kept", "v"); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.SweepFacts(); n != 0 || err != nil {
		t.Errorf("SweepFacts before any expiry = %d, %v", n, err)
	}
	c.t = factT0.Add(time.Hour)
	if n, err := s.SweepFacts(); n != 2 || err != nil {
		t.Errorf("SweepFacts after an hour = %d, %v; want a's 2", n, err)
	}
	if rawFact(t, s, "a", "x") != nil || rawFact(t, s, "a", "y") != nil || rawFact(t, s, "b", "x") == nil {
		t.Error("SweepFacts deleted the wrong facts")
	}
	s.Close()

	// Open sweeps.
	c.t = factT0.Add(2 * time.Hour)
	s = openClocked(t, path, c)
	for _, ns := range []string{"a", "b"} {
		if rawFact(t, s, ns, "x") != nil || rawFact(t, s, ns, "y") != nil {
			t.Errorf("%s: expired facts left after Open", ns)
		}
		if rawFact(t, s, ns, "kept") == nil {
			t.Errorf("%s: Open swept a fact without expiry", ns)
		}
	}

	// A write to the facts sweeps once sweepInterval passed since the
	// last sweep, not before.
	f := s.Facts("a")
	if err := f.Expiring(time.Minute).PutString("short", "v"); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(2 * time.Minute)
	if err := s.Facts("b").PutString("w1", "v"); err != nil {
		t.Fatal(err)
	}
	if rawFact(t, s, "a", "short") == nil {
		t.Error("a write swept sooner than sweepInterval after Open's sweep")
	}
	c.t = c.t.Add(sweepInterval)
	if err := s.Facts("b").PutString("w2", "v"); err != nil {
		t.Fatal(err)
	}
	if rawFact(t, s, "a", "short") != nil {
		t.Error("a write sweepInterval after the last sweep did not sweep")
	}
}

// putV1 writes a state file of schema 1: bucket "facts" of flat keys with
// JSON string values, and the other buckets, as the last release did.
func putV1(t *testing.T, path string, facts map[string]string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("1")); err != nil {
			return err
		}
		for k, v := range facts {
			data, _ := json.Marshal(v)
			if err := tx.Bucket(bucketFacts).Put([]byte(k), data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateFactsFromSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	refused := `{"since":"2026-11-20T09:00:00Z","failures":3,"next":"2026-11-20T10:10:00Z","answer":"500"}`
	memory := `{"calendars":["/anna/calendars/work/"]}`
	putV1(t, path, map[string]string{
		"docitem anna@example.com/bob@example.com 0123456789abcdef01234567": "2026-11-02T08:00:00Z",
		"docitem anna@example.com/bob@example.com broken":                   "not a time",
		"email.report.2026-W47":                                             "sent 2026-11-23T07:00:12Z",
		"readonly team /cal/bob.ics":                                        "2026-11-20T11:00:00Z",
		"readonly team /cal/bob.ics 2026-11-24T09:00:00Z":                   "2026-11-20T11:00:00Z",
		"write-refused team /cal/carol.ics":                                 refused,
		"source-memory team":                                                memory,
		"last_report":                                                       "2026-W46",
	})

	c := &clock{time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
	check := func(s *Store) {
		t.Helper()
		if v, ok, err := s.Facts(FactsDocItems).Time("anna@example.com/bob@example.com 0123456789abcdef01234567"); !ok || err != nil || !v.Equal(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)) {
			t.Errorf("docitem = %v, %v, %v", v, ok, err)
		}
		if _, ok, err := s.Facts(FactsDocItems).Time("anna@example.com/bob@example.com broken"); ok || err != nil {
			t.Errorf("docitem with a malformed time = %v, %v; want dropped (agenda rewrote it)", ok, err)
		}
		if v, ok, err := s.DocItemSeen("anna@example.com/bob@example.com 0123456789abcdef01234567"); !ok || err != nil || v.IsZero() {
			t.Errorf("DocItemSeen = %v, %v, %v", v, ok, err)
		}
		if v, ok, err := s.Facts(FactsEmailReport).String("2026-W47"); v != "sent 2026-11-23T07:00:12Z" || !ok || err != nil {
			t.Errorf("email.report = %q, %v, %v", v, ok, err)
		}
		for _, k := range []string{"team /cal/bob.ics", "team /cal/bob.ics 2026-11-24T09:00:00Z"} {
			if v, ok, err := s.Facts(FactsReadOnly).Time(k); !ok || err != nil || !v.Equal(time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)) {
				t.Errorf("read-only %q = %v, %v, %v", k, v, ok, err)
			}
		}
		if v, ok, err := s.Facts(FactsWriteRefused).Bytes("team /cal/carol.ics"); string(v) != refused || !ok || err != nil {
			t.Errorf("write-refused = %s, %v, %v", v, ok, err)
		}
		if v, ok, err := s.Facts(FactsSourceMemory).Bytes("team"); string(v) != memory || !ok || err != nil {
			t.Errorf("source-memory = %s, %v, %v", v, ok, err)
		}
		if v, ok, err := s.Facts(FactsLegacy).String("last_report"); v != "2026-W46" || !ok || err != nil {
			t.Errorf("legacy = %q, %v, %v", v, ok, err)
		}
		_ = s.db.View(func(tx *bbolt.Tx) error {
			if got := string(tx.Bucket(bucketMeta).Get(keySchemaVersion)); got != fmt.Sprint(SchemaVersion()) {
				t.Errorf("schema version %s after migration, want %d", got, SchemaVersion())
			}
			// No flat key is left beside the namespaces.
			_ = tx.Bucket(bucketFacts).ForEach(func(k, v []byte) error {
				if v != nil {
					t.Errorf("flat fact %q left after migration", k)
				}
				return nil
			})
			return nil
		})
	}
	for i := range 2 { // the second Open finds schema 2 and changes nothing
		s, err := Open(path, WithClock(c.now))
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		check(s)
		s.Close()
	}

	// The migrated read-only marks expire ReadOnlyTTL after the refusal
	// they record; the other caches their TTL after the migration.
	c.t = time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC)
	s := openClocked(t, path, c)
	if keys, _ := s.Facts(FactsReadOnly).Keys(""); len(keys) != 0 {
		t.Errorf("read-only marks a day after the refusal: %q, want none", keys)
	}
	if _, ok, _ := s.Facts(FactsWriteRefused).Bytes("team /cal/carol.ics"); !ok {
		t.Error("write-refused record expired within its TTL")
	}
	c.t = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC).Add(WriteRefusedTTL)
	if _, ok, _ := s.Facts(FactsWriteRefused).Bytes("team /cal/carol.ics"); ok {
		t.Error("write-refused record outlived its TTL")
	}
	if _, ok, _ := s.Facts(FactsSourceMemory).Bytes("team"); !ok {
		t.Error("source memory expired within its TTL")
	}
	c.t = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC).Add(SourceMemoryTTL)
	if _, ok, _ := s.Facts(FactsSourceMemory).Bytes("team"); ok {
		t.Error("source memory outlived its TTL")
	}
	if _, ok, _ := s.Facts(FactsEmailReport).String("2026-W47"); !ok {
		t.Error("the mailed week expired")
	}
}

// A file of schema 1 without facts, or without a facts bucket, migrates.
func TestMigrateEmptyFacts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	putV1(t, path, nil)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Facts(FactsEmailReport).PutString("2026-W47", "sent"); err != nil {
		t.Error(err)
	}
	s.Close()

	path = filepath.Join(t.TempDir(), "state.db")
	setSchemaVersion(t, path, 1) // only a meta bucket
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
