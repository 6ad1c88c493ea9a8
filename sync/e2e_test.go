package sync_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/history"
	"oneonone/internal/demo"
	"oneonone/internal/fake/caldavserver"
	"oneonone/store"
	"oneonone/sync"
)

var _ sync.Source = (*caldav.Client)(nil)

// seededServer serves the demo team from the in-process CalDAV server.
func seededServer(t *testing.T, team demo.Team) (*caldavserver.Server, string) {
	t.Helper()
	dav := caldavserver.New("anna")
	dav.SetBasicAuth("anna", "secret")
	paths := map[string]string{}
	for _, obj := range team.Objects {
		if _, ok := paths[obj.Calendar]; !ok {
			p, err := dav.CreateCalendar(obj.Calendar, obj.Calendar)
			if err != nil {
				t.Fatal(err)
			}
			paths[obj.Calendar] = p
		}
		if _, _, err := dav.PutObject(paths[obj.Calendar], obj.Name, obj.Data); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(dav.Handler())
	t.Cleanup(srv.Close)
	return dav, srv.URL + "/"
}

func newEngine(t *testing.T, url string, loc *time.Location, now *time.Time) (*sync.Engine, *store.Store, *caldav.Client) {
	t.Helper()
	client, err := caldav.New(caldav.Options{URL: url, Username: "anna", Password: "secret", Zone: loc})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng := &sync.Engine{
		Store:   st,
		Sources: []sync.NamedSource{{Name: "team", Source: client}},
		Rules:   history.DetectRules{Me: []string{"anna@example.com"}},
		Horizon: 14 * 24 * time.Hour,
		Now:     func() time.Time { return *now },
	}
	return eng, st, client
}

// TestDemoTeamEndToEnd syncs the seeded team through the real CalDAV client
// and checks every occurrence against what the seed says it must be.
func TestDemoTeamEndToEnd(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{
		time.Date(2026, 11, 20, 22, 30, 0, 0, loc), // a Friday night
		time.Date(2026, 11, 23, 0, 30, 0, 0, loc),  // just after a week began
		time.Date(2026, 3, 30, 12, 0, 0, 0, loc),   // after the spring DST change
		time.Date(2026, 10, 25, 2, 30, 0, 0, loc),  // inside the autumn DST change
	} {
		t.Run(now.Format("2006-01-02T15:04"), func(t *testing.T) {
			team := demo.Seed(now, loc)
			_, url := seededServer(t, team)
			eng, st, _ := newEngine(t, url, loc, &now)
			sums, err := eng.SyncAll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := sums[0].Series, len(team.Series); got != want {
				t.Errorf("series found = %d, want %d", got, want)
			}
			if n := len(sums[0].Problems); n > 0 {
				t.Errorf("%d unreadable objects: %v", n, sums[0].Problems)
			}
			occ, err := st.AllOccurrences()
			if err != nil {
				t.Fatal(err)
			}
			compareWithSeed(t, team, occ)
		})
	}
}

func compareWithSeed(t *testing.T, team demo.Team, occ []calendar.Occurrence) {
	t.Helper()
	type key struct {
		who  string
		orig int64
	}
	got := map[key]calendar.Occurrence{}
	for _, o := range occ {
		if o.OriginalStart.Before(team.From) || !o.OriginalStart.Before(team.To) {
			continue
		}
		who := o.Pair.Other(team.Me.Email)
		got[key{who, o.OriginalStart.Unix()}] = o
	}
	for _, want := range team.Expect {
		k := key{want.Counterpart, want.OriginalStart.Unix()}
		o, ok := got[k]
		if !ok {
			t.Errorf("%s %s: missing, want %s (%s)", want.Counterpart, want.OriginalStart, want.State, want.Why)
			continue
		}
		delete(got, k)
		if o.State != want.State || !o.Start.Equal(want.Start) {
			t.Errorf("%s %s: got %s at %s, want %s at %s (%s)", want.Counterpart, want.OriginalStart,
				o.State, o.Start, want.State, want.Start, want.Why)
		}
	}
	for k, o := range got {
		t.Errorf("%s %s: unexpected occurrence, state %s", k.who, o.OriginalStart, o.State)
	}
}

// TestSecondSyncCostsOneRequestPerCalendar: an unchanged calendar costs one
// request, and the history does not change.
func TestSecondSyncCostsOneRequestPerCalendar(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 11, 20, 22, 30, 0, 0, loc)
	team := demo.Seed(now, loc)
	dav, url := seededServer(t, team)
	eng, st, client := newEngine(t, url, loc, &now)
	if _, err := eng.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	before, _ := st.AllOccurrences()
	reqs := client.Requests()
	sums, err := eng.SyncAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Counted at the client: discovery is not repeated every cycle.
	if n := client.Requests() - reqs; n != int64(sums[0].Calendars) {
		t.Errorf("second sync made %d requests in all for %d calendars; want one each", n, sums[0].Calendars)
	}
	// Calendars() (discovery) plus one request per calendar.
	if sums[0].Changed != 0 || sums[0].Requests != sums[0].Calendars {
		t.Errorf("second sync: %d changed, %d requests for %d calendars; want 0 changed, one request each",
			sums[0].Changed, sums[0].Requests, sums[0].Calendars)
	}
	after, _ := st.AllOccurrences()
	if len(before) != len(after) {
		t.Errorf("history changed on an unchanged calendar: %d → %d occurrences", len(before), len(after))
	}

	// Deleting the Bob series ends its expectations: no future slots remain,
	// the past ones stay.
	var bobHref string
	for _, s := range team.Series {
		if s.Counterpart == "bob@example.com" {
			bobHref = "/anna/calendars/work/" + s.UID + ".ics"
		}
	}
	if err := dav.DeleteObject(bobHref); err != nil {
		t.Fatalf("delete %s: %v", bobHref, err)
	}
	if _, err := eng.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	occ, _ := st.AllOccurrences()
	past := 0
	for _, o := range occ {
		if o.Pair.Has("bob@example.com") {
			if !o.OriginalStart.Before(now) {
				t.Errorf("deleted series kept an upcoming slot %s", o.OriginalStart)
			}
			past++
		}
	}
	if past == 0 {
		t.Error("deleting the series lost its history")
	}
}

// TestBadObjectsDoNotStopTheCalendar: an unreadable object is reported by
// href and skipped; an object with a bad property still gives its events.
func TestBadObjectsDoNotStopTheCalendar(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 11, 20, 22, 30, 0, 0, loc)
	team := demo.Seed(now, loc)
	dav, url := seededServer(t, team)
	garbage := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\nUID:broken\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:2026-13-45 25:99\r\nSUMMARY:\xff\xfe\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	if _, _, err := dav.PutObject("/anna/calendars/work/", "garbage.ics", garbage); err != nil {
		t.Fatal(err)
	}
	// A weekly 1:1 with Zoe whose EXDATE is malformed: the series still counts.
	partial := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:zoe-1on1\r\n" +
		"DTSTAMP:20261101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20261005T090000\r\nDURATION:PT30M\r\n" +
		"RRULE:FREQ=WEEKLY\r\nEXDATE;TZID=Europe/Berlin:not-a-date\r\nSUMMARY:Zoe / Anna\r\n" +
		"ORGANIZER:mailto:anna@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:zoe@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if _, _, err := dav.PutObject("/anna/calendars/work/", "zoe.ics", []byte(partial)); err != nil {
		t.Fatal(err)
	}
	eng, _, _ := newEngine(t, url, loc, &now)
	sums, err := eng.SyncAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sums[0].Series, len(team.Series)+1; got != want {
		t.Errorf("series = %d, want %d (the seeded ones and Zoe's)", got, want)
	}
	if len(sums[0].Problems) != 2 {
		t.Fatalf("problems = %v, want the two bad objects", sums[0].Problems)
	}
	for _, p := range sums[0].Problems {
		msg := p.Error()
		if !strings.Contains(msg, "garbage.ics") && !strings.Contains(msg, "zoe.ics") {
			t.Errorf("problem does not name its object: %s", msg)
		}
	}
}
