package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"oneonone/calendar"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path) // never returns
	}
	os.Exit(m.Run())
}

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "state", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func obj(href, etag, data string) calendar.Object {
	return calendar.Object{Href: href, ETag: etag, Data: []byte(data)}
}

func TestOpenFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Path() != path {
		t.Errorf("Path() = %q", s.Path())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", di.Mode().Perm())
	}
}

func TestOpenTightensMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestOpenInUse(t *testing.T) {
	defer func(d time.Duration) { openTimeout = d }(openTimeout)
	openTimeout = 100 * time.Millisecond
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(path)
	if err == nil || !strings.Contains(err.Error(), "state.db is in use by another oneonone process") {
		t.Fatalf("second Open = %v", err)
	}
}

// setSchemaVersion writes a schema version straight into a closed file.
func setSchemaVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keySchemaVersion, []byte(fmt.Sprint(v)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Facts(FactsLegacy).PutString("k", "v"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	setSchemaVersion(t, path, 7)
	_, err = Open(path)
	want := fmt.Sprintf("state.db: schema version 7 is newer than this oneonone (%d)", SchemaVersion())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Open(newer) = %v, want …%s", err, want)
	}

	// An older file is migrated, once, and keeps its data.
	setSchemaVersion(t, path, SchemaVersion())
	ran := 0
	defer func(m []func(*bbolt.Tx, time.Time) error) { migrations = m }(migrations)
	migrations = append(migrations[:len(migrations):len(migrations)], func(tx *bbolt.Tx, _ time.Time) error {
		ran++
		return tx.Bucket(bucketFacts).Bucket([]byte(FactsLegacy)).Put([]byte("migrated"), encodeFact([]byte("yes"), time.Time{}))
	})
	for range 2 {
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		v, ok, err := s.Facts(FactsLegacy).String("migrated")
		if err != nil || !ok || v != "yes" {
			t.Errorf("String(migrated) = %q, %v, %v", v, ok, err)
		}
		if v, ok, _ := s.Facts(FactsLegacy).String("k"); !ok || v != "v" {
			t.Errorf("String(k) = %q, %v after migration", v, ok)
		}
		s.Close()
	}
	if ran != 1 {
		t.Errorf("migration ran %d times, want 1", ran)
	}
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bbolt.Tx) error {
		if got := string(tx.Bucket(bucketMeta).Get(keySchemaVersion)); got != fmt.Sprint(SchemaVersion()) {
			t.Errorf("stored schema version %s, want %d", got, SchemaVersion())
		}
		return nil
	})
}

func TestOpenForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
	db.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "not a oneonone state file") {
		t.Errorf("Open(foreign) = %v", err)
	}
}

func TestEmptyStore(t *testing.T) {
	s := openTemp(t)
	if _, ok, err := s.CalendarState("team", "/cal/"); ok || err != nil {
		t.Errorf("CalendarState = %v, %v", ok, err)
	}
	if _, ok, err := s.Object("team", "/cal/", "a.ics"); ok || err != nil {
		t.Errorf("Object = %v, %v", ok, err)
	}
	if _, ok, err := s.SeriesByID("team/cal/uid"); ok || err != nil {
		t.Errorf("SeriesByID = %v, %v", ok, err)
	}
	if _, ok, err := s.Facts(FactsEmailReport).String("2026-W47"); ok || err != nil {
		t.Errorf("Facts.String = %v, %v", ok, err)
	}
	if l, err := s.CalendarStates(""); len(l) != 0 || err != nil {
		t.Errorf("CalendarStates = %v, %v", l, err)
	}
	if l, err := s.Objects("team", "/cal/"); len(l) != 0 || err != nil {
		t.Errorf("Objects = %v, %v", l, err)
	}
	if m, err := s.ObjectETags("team", "/cal/"); len(m) != 0 || err != nil || m == nil {
		t.Errorf("ObjectETags = %v, %v", m, err)
	}
	if l, err := s.Series(); len(l) != 0 || err != nil {
		t.Errorf("Series = %v, %v", l, err)
	}
	if l, err := s.Occurrences("team/cal/uid"); len(l) != 0 || err != nil {
		t.Errorf("Occurrences = %v, %v", l, err)
	}
	if l, err := s.AllOccurrences(); len(l) != 0 || err != nil {
		t.Errorf("AllOccurrences = %v, %v", l, err)
	}
	if err := s.RemoveCalendar("team", "/cal/"); err != nil {
		t.Errorf("RemoveCalendar = %v", err)
	}
}

func TestApplyChanges(t *testing.T) {
	s := openTemp(t)
	now := time.Date(2026, 11, 17, 9, 0, 0, 0, time.UTC)
	st := CalendarState{Name: "Work", LastSync: now, LastSuccess: now}

	// A first, full sync.
	err := s.ApplyChanges("team", "/cal/a/", calendar.Changes{
		Full:   true,
		Put:    []calendar.Object{obj("c.ics", `"1"`, "C1"), obj("a.ics", `"1"`, "A1"), obj("b.ics", `"1"`, "B1")},
		Cursor: "tok-1",
	}, st)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, s, "team", "/cal/a/", "a.ics=A1", "b.ics=B1", "c.ics=C1")
	got, ok, err := s.CalendarState("team", "/cal/a/")
	if err != nil || !ok {
		t.Fatalf("CalendarState = %v, %v", ok, err)
	}
	want := CalendarState{Source: "team", Calendar: "/cal/a/", Name: "Work", Cursor: "tok-1", LastSync: now, LastSuccess: now, Objects: 3}
	if !got.LastSync.Equal(now) || !got.LastSuccess.Equal(now) {
		t.Errorf("times = %v %v", got.LastSync, got.LastSuccess)
	}
	got.LastSync, got.LastSuccess = now, now
	if got != want {
		t.Errorf("state = %+v\nwant   %+v", got, want)
	}

	// Another calendar of the same source, and another source, stay apart.
	if err := s.ApplyChanges("team", "/cal/b/", calendar.Changes{Full: true, Put: []calendar.Object{obj("x.ics", "1", "X")}, Cursor: "b-1"}, st); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyChanges("team2", "/cal/a/", calendar.Changes{Full: true, Put: []calendar.Object{obj("y.ics", "1", "Y")}, Cursor: "t2-1"}, st); err != nil {
		t.Fatal(err)
	}

	// Incremental: upsert and delete; an href both put and deleted is kept.
	err = s.ApplyChanges("team", "/cal/a/", calendar.Changes{
		Put:     []calendar.Object{obj("b.ics", `"2"`, "B2"), obj("d.ics", `"1"`, "D1")},
		Deleted: []string{"a.ics", "d.ics", "gone-already.ics"},
		Cursor:  "tok-2",
	}, st)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, s, "team", "/cal/a/", "b.ics=B2", "c.ics=C1", "d.ics=D1")
	if got, _, _ := s.CalendarState("team", "/cal/a/"); got.Cursor != "tok-2" || got.Objects != 3 {
		t.Errorf("state after incremental = %+v", got)
	}
	etags, err := s.ObjectETags("team", "/cal/a/")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"b.ics": `"2"`, "c.ics": `"1"`, "d.ics": `"1"`}; !reflect.DeepEqual(etags, want) {
		t.Errorf("ObjectETags = %v, want %v", etags, want)
	}

	// Full again: exactly Put remains.
	err = s.ApplyChanges("team", "/cal/a/", calendar.Changes{
		Full: true, Put: []calendar.Object{obj("c.ics", `"1"`, "C1"), obj("e.ics", `"1"`, "E1")}, Cursor: "tok-3",
		Deleted: []string{"c.ics"}, // ignored when Full
	}, st)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, s, "team", "/cal/a/", "c.ics=C1", "e.ics=E1")
	checkObjects(t, s, "team", "/cal/b/", "x.ics=X")
	checkObjects(t, s, "team2", "/cal/a/", "y.ics=Y")

	// A full sync of nothing empties the calendar.
	if err := s.ApplyChanges("team", "/cal/b/", calendar.Changes{Full: true, Cursor: "b-2"}, st); err != nil {
		t.Fatal(err)
	}
	checkObjects(t, s, "team", "/cal/b/")
	if got, _, _ := s.CalendarState("team", "/cal/b/"); got.Objects != 0 || got.Cursor != "b-2" {
		t.Errorf("state of emptied calendar = %+v", got)
	}

	// States list by source, sorted.
	states, err := s.CalendarStates("team")
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || states[0].Calendar != "/cal/a/" || states[1].Calendar != "/cal/b/" {
		t.Errorf("CalendarStates(team) = %+v", states)
	}
	all, err := s.CalendarStates("")
	if err != nil || len(all) != 3 || all[2].Source != "team2" {
		t.Errorf("CalendarStates() = %+v, %v", all, err)
	}
	// "team" must not match "team2".
	if l, _ := s.CalendarStates("tea"); len(l) != 0 {
		t.Errorf("CalendarStates(tea) = %+v", l)
	}
}

func checkObjects(t *testing.T, s *Store, source, cal string, want ...string) {
	t.Helper()
	objs, err := s.Objects(source, cal)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Href+"="+string(o.Data))
		one, ok, err := s.Object(source, cal, o.Href)
		if err != nil || !ok || !reflect.DeepEqual(one, o) {
			t.Errorf("Object(%s) = %+v, %v, %v; want %+v", o.Href, one, ok, err, o)
		}
	}
	if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("objects of %s/%s = %q, want %q", source, cal, got, want)
	}
}

func TestObjectsAreCopies(t *testing.T) {
	s := openTemp(t)
	if err := s.ApplyChanges("team", "/cal/", calendar.Changes{Full: true, Put: []calendar.Object{obj("a.ics", "1", "AAAA")}, Cursor: "1"}, CalendarState{}); err != nil {
		t.Fatal(err)
	}
	o, _, _ := s.Object("team", "/cal/", "a.ics")
	objs, _ := s.Objects("team", "/cal/")
	// More writes may remap the file; the bytes read before must stay intact.
	for i := range 50 {
		big := strings.Repeat("x", 64<<10)
		if err := s.PutObject("team", "/cal/", obj(fmt.Sprintf("big-%d.ics", i), "1", big)); err != nil {
			t.Fatal(err)
		}
	}
	if string(o.Data) != "AAAA" || string(objs[0].Data) != "AAAA" {
		t.Errorf("data changed under us: %q %q", o.Data, objs[0].Data)
	}
}

func TestPutObjectAndRemoveCalendar(t *testing.T) {
	s := openTemp(t)
	st := CalendarState{LastError: ""}
	if err := s.ApplyChanges("team", "/cal/", calendar.Changes{Full: true, Put: []calendar.Object{obj("a.ics", "1", "A1")}, Cursor: "c1"}, st); err != nil {
		t.Fatal(err)
	}
	if err := s.PutObject("team", "/cal/", obj("a.ics", "2", "A2")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutObject("team", "/cal/", obj("b.ics", "1", "B1")); err != nil {
		t.Fatal(err)
	}
	checkObjects(t, s, "team", "/cal/", "a.ics=A2", "b.ics=B1")
	got, _, _ := s.CalendarState("team", "/cal/")
	if got.Cursor != "c1" || got.Objects != 2 {
		t.Errorf("state after PutObject = %+v", got)
	}

	// Recording an error keeps the objects; the count stays true.
	got.LastError = "boom"
	got.Objects = 99
	if err := s.PutCalendarState(got); err != nil {
		t.Fatal(err)
	}
	got2, _, _ := s.CalendarState("team", "/cal/")
	if got2.LastError != "boom" || got2.Objects != 2 || got2.Cursor != "c1" {
		t.Errorf("state after PutCalendarState = %+v", got2)
	}
	checkObjects(t, s, "team", "/cal/", "a.ics=A2", "b.ics=B1")

	if err := s.RemoveCalendar("team", "/cal/"); err != nil {
		t.Fatal(err)
	}
	checkObjects(t, s, "team", "/cal/")
	if _, ok, _ := s.CalendarState("team", "/cal/"); ok {
		t.Error("state survived RemoveCalendar")
	}
}

func TestBadKeys(t *testing.T) {
	s := openTemp(t)
	tests := []struct {
		name string
		err  error
	}{
		{"empty source", s.ApplyChanges("", "/cal/", calendar.Changes{}, CalendarState{})},
		{"NUL in calendar", s.ApplyChanges("team", "/c\x00al/", calendar.Changes{}, CalendarState{})},
		{"empty href", s.ApplyChanges("team", "/cal/", calendar.Changes{Put: []calendar.Object{obj("", "", "")}}, CalendarState{})},
		{"NUL in deleted href", s.ApplyChanges("team", "/cal/", calendar.Changes{Deleted: []string{"a\x00"}}, CalendarState{})},
		{"state without calendar", s.PutCalendarState(CalendarState{Source: "team"})},
		{"put object without href", s.PutObject("team", "/cal/", calendar.Object{})},
		{"empty fact key", s.Facts(FactsLegacy).PutString("", "x")},
		{"empty fact namespace", s.Facts("").PutString("k", "x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error")
			}
			if msg := tt.err.Error(); msg != strings.ToLower(msg[:1])+msg[1:] {
				t.Errorf("error %q is not lower-case", msg)
			}
		})
	}
	if l, _ := s.CalendarStates(""); len(l) != 0 {
		t.Errorf("a failed call stored state: %+v", l)
	}
}

// ---- history

var t0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

func series(id string) calendar.Series {
	src, _, _ := strings.Cut(id, "/")
	return calendar.Series{
		ID: id, Source: src, Calendar: "/cal/", UID: id, Title: "1:1 " + id,
		Pair: calendar.NewPair("anna@example.com", "bob@example.com"), Me: "anna@example.com",
		Counterpart: "bob@example.com", Relationship: "report", Cadence: calendar.CadenceWeekly,
		RRule: "FREQ=WEEKLY", Start: t0,
	}
}

func occ(id string, week int, state calendar.State) calendar.Occurrence {
	start := t0.AddDate(0, 0, 7*week)
	return calendar.Occurrence{
		SeriesID: id, Pair: calendar.NewPair("anna@example.com", "bob@example.com"),
		OriginalStart: start, Start: start, End: start.Add(30 * time.Minute), State: state,
	}
}

// occSummary is "week:state" for each occurrence, in order.
func occSummary(l []calendar.Occurrence) []string {
	var out []string
	for _, o := range l {
		out = append(out, fmt.Sprintf("%s@%d:%s", o.SeriesID, int(o.OriginalStart.Sub(t0).Hours()/24/7), o.State))
	}
	return out
}

func TestSaveHistory(t *testing.T) {
	s := openTemp(t)
	a, b, c := "team/cal/a", "team/cal/b", "work/primary/c"
	err := s.SaveHistory("team", []calendar.Series{series(a), series(b)}, []calendar.Occurrence{
		occ(a, 2, calendar.StateUpcoming), occ(a, 0, calendar.StateHeld), occ(a, 1, calendar.StateSkipped),
		occ(b, 0, calendar.StateHeld), occ(b, 1, calendar.StateDeclined),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveHistory("work", []calendar.Series{series(c)}, []calendar.Occurrence{occ(c, 1, calendar.StateHeld)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Occurrences(a)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{a + "@0:held", a + "@1:skipped", a + "@2:upcoming"}; !reflect.DeepEqual(occSummary(got), want) {
		t.Errorf("Occurrences(a) = %q, want %q", occSummary(got), want)
	}
	// Round trip: the stored value is what was saved (times compare Equal).
	w := occ(a, 0, calendar.StateHeld)
	if g := got[0]; !g.OriginalStart.Equal(w.OriginalStart) || !g.End.Equal(w.End) || g.Pair != w.Pair || g.SeriesID != a {
		t.Errorf("occurrence = %+v, want %+v", g, w)
	}
	se, ok, err := s.SeriesByID(a)
	if err != nil || !ok {
		t.Fatalf("SeriesByID = %v, %v", ok, err)
	}
	ws := series(a)
	if !se.Start.Equal(ws.Start) {
		t.Errorf("series start %v", se.Start)
	}
	se.Start = ws.Start
	if !reflect.DeepEqual(se, ws) {
		t.Errorf("series = %+v\nwant     %+v", se, ws)
	}

	// Saving a again replaces exactly its occurrences; b and c are untouched.
	s2 := series(a)
	s2.Title = "renamed"
	if err := s.SaveHistory("team", []calendar.Series{s2}, []calendar.Occurrence{
		occ(a, 1, calendar.StatePostponed), occ(a, 3, calendar.StateUpcoming),
	}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Occurrences(a)
	if want := []string{a + "@1:postponed", a + "@3:upcoming"}; !reflect.DeepEqual(occSummary(got), want) {
		t.Errorf("Occurrences(a) after resave = %q, want %q", occSummary(got), want)
	}
	got, _ = s.Occurrences(b)
	if want := []string{b + "@0:held", b + "@1:declined"}; !reflect.DeepEqual(occSummary(got), want) {
		t.Errorf("Occurrences(b) = %q, want %q", occSummary(got), want)
	}
	if se, _, _ := s.SeriesByID(a); se.Title != "renamed" {
		t.Errorf("series title %q", se.Title)
	}

	// A series saved with no occurrences has none.
	if err := s.SaveHistory("team", []calendar.Series{series(b)}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Occurrences(b); len(got) != 0 {
		t.Errorf("Occurrences(b) = %q, want none", occSummary(got))
	}

	all, err := s.Series()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, se := range all {
		ids = append(ids, se.ID)
	}
	if want := []string{a, b, c}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Series() = %q, want %q", ids, want)
	}

	allOcc, err := s.AllOccurrences()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{a + "@1:postponed", c + "@1:held", a + "@3:upcoming"}; !reflect.DeepEqual(occSummary(allOcc), want) {
		t.Errorf("AllOccurrences = %q, want %q", occSummary(allOcc), want)
	}

	var streamed []calendar.Occurrence
	if err := s.ForEachOccurrence(func(o calendar.Occurrence) error { streamed = append(streamed, o); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(streamed) != 3 {
		t.Errorf("ForEachOccurrence saw %d", len(streamed))
	}
	stop := errors.New("stop")
	n := 0
	if err := s.ForEachOccurrence(func(calendar.Occurrence) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("ForEachOccurrence = %v after %d calls, want stop after 1", err, n)
	}
}

func TestSaveHistoryIDsWithSeparators(t *testing.T) {
	// Series IDs contain "/": "team/cal/a" must not see "team/cal/a/b"'s occurrences.
	s := openTemp(t)
	a, ab := "team/cal/a", "team/cal/a/b"
	if err := s.SaveHistory("team", []calendar.Series{series(a), series(ab)}, []calendar.Occurrence{occ(a, 0, calendar.StateHeld), occ(ab, 0, calendar.StateHeld), occ(ab, 1, calendar.StateHeld)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveHistory("team", []calendar.Series{series(a)}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Occurrences(ab); len(got) != 2 {
		t.Errorf("Occurrences(a/b) = %q", occSummary(got))
	}
}

func TestSaveHistoryRejects(t *testing.T) {
	s := openTemp(t)
	a := "team/cal/a"
	noStart := occ(a, 0, calendar.StateHeld)
	noStart.OriginalStart = time.Time{}
	tests := []struct {
		name   string
		source string
		series []calendar.Series
		occ    []calendar.Occurrence
		msg    string
	}{
		{"occurrence of another series", "team", []calendar.Series{series(a)}, []calendar.Occurrence{occ(a, 0, calendar.StateHeld), occ("team/cal/x", 0, calendar.StateHeld)}, `series "team/cal/x", which is not saved with it`},
		{"series of another source", "work", []calendar.Series{series(a)}, nil, `belongs to source "team"`},
		{"empty series id", "team", []calendar.Series{{Source: "team"}}, nil, "empty series id"},
		{"NUL in series id", "team", []calendar.Series{{ID: "a\x00b"}}, nil, "NUL"},
		{"zero original start", "team", []calendar.Series{series(a)}, []calendar.Occurrence{noStart}, "without an original start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SaveHistory(tt.source, tt.series, tt.occ)
			if err == nil || !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "save history of ") {
				t.Fatalf("SaveHistory = %v, want …%s", err, tt.msg)
			}
		})
	}
	if l, _ := s.Series(); len(l) != 0 {
		t.Errorf("a rejected save stored %d series", len(l))
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyChanges("team", "/cal/", calendar.Changes{Full: true, Put: []calendar.Object{obj("a.ics", "1", "A")}, Cursor: "c"}, CalendarState{}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveHistory("team", []calendar.Series{series("team/cal/a")}, []calendar.Occurrence{occ("team/cal/a", 0, calendar.StateHeld)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkObjects(t, s, "team", "/cal/", "a.ics=A")
	if l, _ := s.Occurrences("team/cal/a"); len(l) != 1 {
		t.Errorf("occurrences after reopen: %d", len(l))
	}
}
