package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"oneonone/calendar"
)

// schema2 is what a file of schema 2 holds, and what it must read as after
// the migration.
type schema2 struct {
	objects []calendar.Object     // of team /cal/
	series  []calendar.Series     // of team
	occ     []calendar.Occurrence // of those series
}

func newSchema2() schema2 {
	var f schema2
	for i := range 300 {
		f.objects = append(f.objects, calendar.Object{
			Href: fmt.Sprintf("/cal/%04d.ics", i), ETag: fmt.Sprintf(`"etag-%d"`, i),
			Data: fmt.Appendf(nil, "BEGIN:VCALENDAR\r\nUID:%d\r\n%s\r\nEND:VCALENDAR\r\n", i, string(make([]byte, i%50))),
		})
	}
	f.objects = append(f.objects, calendar.Object{Href: "/cal/empty.ics"})
	occ := randomOccurrences(2000, 11)
	byID := map[string]bool{}
	for i := range occ {
		id := fmt.Sprintf("team/cal/s%d", i%40)
		occ[i].SeriesID = id
		if !byID[id] {
			byID[id] = true
			f.series = append(f.series, series(id))
		}
	}
	slices.SortFunc(f.series, func(a, b calendar.Series) int { return cmpString(a.ID, b.ID) })
	f.occ = occ
	return f
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writeSchema2 makes path a file of schema 2 holding f, written with bbolt
// as schema 2 wrote it: objects and occurrences in JSON.
func writeSchema2(t *testing.T, path string, f schema2) {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("2")); err != nil {
			return err
		}
		st, _ := json.Marshal(CalendarState{Source: "team", Calendar: "/cal/", Objects: len(f.objects)})
		if err := tx.Bucket(bucketCalendars).Put([]byte("team\x00/cal/"), st); err != nil {
			return err
		}
		for _, o := range f.objects {
			v, _ := json.Marshal(legacyObject{ETag: o.ETag, Data: o.Data})
			if err := tx.Bucket(bucketObjects).Put([]byte("team\x00/cal/\x00"+o.Href), v); err != nil {
				return err
			}
		}
		for _, se := range f.series {
			v, _ := json.Marshal(se)
			if err := tx.Bucket(bucketSeries).Put([]byte(se.ID), v); err != nil {
				return err
			}
		}
		for _, o := range f.occ {
			v, _ := json.Marshal(o)
			if err := tx.Bucket(bucketOccurrences).Put([]byte(o.SeriesID+sep+o.Key()), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkHolds checks that s reads as f: every object, series and
// occurrence, the occurrences as schema 2 gave them back (to the
// nanosecond and the zone: also where an offset had seconds, which JSON
// dropped, so that the value's start is not the key's).
func checkHolds(t *testing.T, s *Store, f schema2) {
	t.Helper()
	objs, err := s.Objects("team", "/cal/")
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(f.objects)
	slices.SortFunc(want, func(a, b calendar.Object) int { return cmpString(a.Href, b.Href) })
	if len(objs) != len(want) {
		t.Fatalf("%d objects, want %d", len(objs), len(want))
	}
	for i := range want {
		if objs[i].Href != want[i].Href || objs[i].ETag != want[i].ETag || string(objs[i].Data) != string(want[i].Data) {
			t.Fatalf("object %d: %q %q %q, want %q %q %q", i, objs[i].Href, objs[i].ETag, objs[i].Data, want[i].Href, want[i].ETag, want[i].Data)
		}
	}
	ser, err := s.Series()
	if err != nil || !reflect.DeepEqual(ser, jsonBack(t, f.series)) {
		t.Fatalf("series differ: %v", err)
	}
	got := map[string]calendar.Occurrence{}
	err = s.ForEachOccurrence(func(o calendar.Occurrence) error {
		got[o.SeriesID+sep+o.Key()] = o
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantOcc := map[string]calendar.Occurrence{}
	for _, o := range f.occ {
		w := jsonRoundtrip(t, o) // what schema 2 held
		wantOcc[w.SeriesID+sep+w.Key()] = w
	}
	if len(got) != len(wantOcc) {
		t.Fatalf("%d occurrences, want %d", len(got), len(wantOcc))
	}
	for k, w := range wantOcc {
		if g := got[k]; !reflect.DeepEqual(g, w) {
			t.Fatalf("occurrence %q:\n got %+v\nwant %+v", k, g, w)
		}
	}
}

func jsonBack[T any](t *testing.T, v T) T {
	t.Helper()
	var back T
	if err := json.Unmarshal(mustJSON(t, v), &back); err != nil {
		t.Fatal(err)
	}
	return back
}

// A file of schema 2 is checked as schema 2 wrote it, refused by a
// read-only open, and migrated by Open after a backup of it as it was:
// every object, series and occurrence reads as before.
func TestMigrateSchema2(t *testing.T) {
	day := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "state.db")
	f := newSchema2()
	writeSchema2(t, path, f)

	rep, err := Check(path)
	if err != nil || len(rep.Problems) != 0 || rep.Schema != 2 {
		t.Fatalf("check of schema 2: %+v, %v", rep, err)
	}
	if _, err := OpenReadOnly(path); err == nil {
		t.Fatal("read-only open of schema 2")
	}

	s, err := Open(path, WithClock(func() time.Time { return day }))
	if err != nil {
		t.Fatal(err)
	}
	bak := s.MigrationBackup()
	if want := filepath.Join(BackupDir(path), "2026-12-03-schema2.db"); bak != want {
		t.Errorf("migration backup %q, want %q", bak, want)
	}
	checkHolds(t, s, f)
	if o, ok, err := s.Object("team", "/cal/", "/cal/0007.ics"); err != nil || !ok || o.ETag != `"etag-7"` {
		t.Errorf("object: %+v, %v, %v", o, ok, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The backup is the file as it was, mode 0600, and checks as schema 2.
	if fi, err := os.Stat(bak); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup: %v, %v", fi, err)
	}
	rep, err = Check(bak)
	if err != nil || len(rep.Problems) != 0 || rep.Schema != 2 || rep.Records < len(f.occ) {
		t.Errorf("check of the backup: %+v, %v", rep, err)
	}
	// The migrated file was compacted: smaller than the backup, no
	// temporary file left.
	fi, err := os.Stat(path)
	bi, _ := os.Stat(bak)
	if err != nil || fi.Size() >= bi.Size() {
		t.Errorf("migrated file %d bytes, the file before %d", fi.Size(), bi.Size())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".compact-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	// The migrated file checks as schema 3; a second Open migrates nothing.
	rep, err = Check(path)
	if err != nil || len(rep.Problems) != 0 || rep.Schema != SchemaVersion() {
		t.Errorf("check after migration: %+v, %v", rep, err)
	}
	s, err = Open(path, WithClock(func() time.Time { return day }))
	if err != nil {
		t.Fatal(err)
	}
	if b := s.MigrationBackup(); b != "" {
		t.Errorf("second open took a migration backup %s", b)
	}
	checkHolds(t, s, f)
	// The daily backups' rotation leaves the migration's copy alone.
	for i := range BackupsKept + 3 {
		d := day.AddDate(0, 0, i+1)
		s.now = func() time.Time { return d }
		if _, err := s.Backup(); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	list, _ := Backups(path)
	if len(list) != BackupsKept || slices.Contains(list, bak) {
		t.Errorf("backups %v", list)
	}
	if _, err := os.Stat(bak); err != nil {
		t.Errorf("the migration backup went: %v", err)
	}
}

// A migration backup (of an older schema) restores, and the next Open
// migrates it again, keeping the first backup.
func TestRestoreMigrationBackup(t *testing.T) {
	day := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	clock := WithClock(func() time.Time { return day })
	path := filepath.Join(t.TempDir(), "state.db")
	f := newSchema2()
	writeSchema2(t, path, f)
	s, err := Open(path, clock)
	if err != nil {
		t.Fatal(err)
	}
	bak := s.MigrationBackup()
	// A change after the migration, which the restore undoes.
	if err := s.RemoveCalendar("team", "/cal/"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	restored, aside, err := Restore(path, bak, day)
	if err != nil || restored != bak || aside == "" {
		t.Fatalf("restore: %q, %q, %v", restored, aside, err)
	}
	s, err = Open(path, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if want := filepath.Join(BackupDir(path), "2026-12-03-schema2-2.db"); s.MigrationBackup() != want {
		t.Errorf("second migration backup %q, want %q", s.MigrationBackup(), want)
	}
	if _, err := os.Stat(bak); err != nil {
		t.Errorf("first migration backup: %v", err)
	}
	checkHolds(t, s, f)
}

// A record of schema 2 that does not decode stays as it was through the
// migration: Check names it, reads skip it.
func TestMigrateKeepsBadRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	f := newSchema2()
	writeSchema2(t, path, f)
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := []byte("team/cal/s1\x0020260105T100000Z")
	_ = db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketOccurrences).Put(bad, []byte("{not json")) })
	db.Close()
	var skipped []BadRecord
	s, err := Open(path, WithBadRecord(func(b BadRecord) { skipped = append(skipped, b) }))
	if err != nil {
		t.Fatal(err)
	}
	checkHolds(t, s, f)
	s.Close()
	if len(skipped) != 1 {
		t.Errorf("skipped %v", skipped)
	}
	rep, err := Check(path)
	if err != nil || len(rep.Problems) != 1 {
		t.Errorf("check: %+v, %v", rep, err)
	}
}
