package google_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/calendar/google"
	"oneonone/history"
	"oneonone/store"
	"oneonone/sync"
)

// TestEngineCycles runs the sync engine over the Google client and the fake:
// the occurrence states come out of Google's exceptions as docs/DESIGN.md,
// "Occurrence states", says, the agenda block is written once, and an
// unchanged calendar then costs one request per cycle.
func TestEngineCycles(t *testing.T) {
	berlin := loadZone(t, "Europe/Berlin")
	now := time.Date(2025, 4, 10, 12, 0, 0, 0, berlin) // a Thursday
	f := newFake(t)
	f.apply(t, "master_exdate.json", "exception_moved.json", "exception_cancelled.json", "exception_declined.json", "allday_recurring.json")
	c := f.client(t, nil, func(o *google.Options) { o.Zone = berlin })
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng := &sync.Engine{
		Store:   st,
		Sources: []sync.NamedSource{{Name: "work", Source: c}},
		Rules:   history.DetectRules{Me: []string{anna}},
		Horizon: 14 * 24 * time.Hour,
		Now:     func() time.Time { return now },
		Agenda: func(ctx context.Context, s calendar.Series, alone bool) (agenda.Block, error) {
			return agenda.Block{Link: "https://docs.example.com/1on1/" + s.Counterpart, With: s.Counterpart, Location: berlin}, nil
		},
	}
	cycle := func(name string) (sync.Summary, int64) {
		t.Helper()
		before := f.srv.Requests()
		sums, err := eng.SyncAll(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(sums[0].Problems) > 0 {
			t.Errorf("%s: problems %v", name, sums[0].Problems)
		}
		reqs := f.srv.Requests() - before
		t.Logf("%s cycle: %d requests (list %d), %d changed, %d blocks written, %d right", name, reqs, sums[0].Requests, sums[0].Changed, sums[0].Blocks.Written, sums[0].Blocks.AlreadyRight)
		return sums[0], reqs
	}

	sum, reqs := cycle("first")
	// The summary counts every request, the write included: what the
	// server saw.
	if sum.Series != 1 || sum.Requests != 2 || sum.Blocks.Written != 1 || reqs != 2 {
		t.Errorf("first cycle: %d series, %d requests counted, %d blocks written, %d requests served; want 1, 2, 1 (the master) and 2",
			sum.Series, sum.Requests, sum.Blocks.Written, reqs)
	}
	master, _ := f.srv.Event(anna, masterID)
	evs, _ := c.Decode("primary", calendar.Object{Href: masterID, Data: master})
	if d := evs[0].Description; strings.Count(d, agenda.BeginLine) != 1 || !strings.Contains(d, "docs.example.com/1on1/bob@example.com") || !strings.HasPrefix(d, "Weekly check-in.") {
		t.Errorf("master description after the write: %q", d)
	}

	occ, err := st.AllOccurrences()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]calendar.State{}
	for _, o := range occ {
		got[o.OriginalStart.In(berlin).Format("01-02")] = o.State
	}
	for day, want := range map[string]calendar.State{
		"03-04": calendar.StateHeld,
		"03-11": calendar.StateSkipped,   // cancelled exception
		"03-18": calendar.StateDeclined,  // bob declined
		"03-25": calendar.StatePostponed, // moved to 03-27
		"04-01": calendar.StateSkipped,   // EXDATE
		"04-08": calendar.StateHeld,
		"04-15": calendar.StateUpcoming,
	} {
		if got[day] != want {
			t.Errorf("occurrence %s: %q, want %q", day, got[day], want)
		}
	}

	// Our own write comes back once through the sync token; then the
	// calendar is quiet.
	cycle("second")
	for i := range 3 {
		sum, reqs = cycle("quiet")
		if sum.Requests != 1 || reqs != 1 || sum.Changed != 0 || sum.Blocks.Written != 0 {
			t.Errorf("quiet cycle %d: %d requests (%d by the engine's count), %d changed, %d written; want 1, 1, 0, 0",
				i+1, reqs, sum.Requests, sum.Changed, sum.Blocks.Written)
		}
	}

	// Bob's next occurrence is cancelled in the UI: one request brings it.
	if err := f.srv.Delete(anna, masterID+"_20250415T080000Z"); err != nil {
		t.Fatal(err)
	}
	now = time.Date(2025, 4, 16, 12, 0, 0, 0, berlin)
	sum, _ = cycle("after a skip")
	if sum.Requests != 1 {
		t.Errorf("after a skip: %d list requests, want 1", sum.Requests)
	}
	occ, _ = st.AllOccurrences()
	for _, o := range occ {
		if o.OriginalStart.In(berlin).Format("01-02") == "04-15" && o.State != calendar.StateSkipped {
			t.Errorf("04-15: %q, want skipped", o.State)
		}
	}
}
