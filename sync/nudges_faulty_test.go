package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/google"
	"oneonone/history"
	"oneonone/internal/fake/googleapi"
	"oneonone/internal/faulty"
	"oneonone/nudge"
	"oneonone/report"
	"oneonone/store"
	"oneonone/sync"
	"oneonone/wayback"
)

// TestNudgesAndWaysBackUnderFaults: eight weeks of a team on Google
// Calendar, the clock moving six hours a cycle and cancellations landing
// between cycles, run twice: once cleanly, once behind a proxy that fails a
// quarter of the requests (429, 503, 500, resets, cut answers, lost writes)
// with a process restart every ten cycles and a notification target that
// fails a fifth of its deliveries. Both runs deliver the same nudges, each
// exactly once, and find the same way back after bob's two skips, from
// both calendars' free/busy; no free/busy request is made before there is
// a skip to make up.
func TestNudgesAndWaysBackUnderFaults(t *testing.T) {
	loc := faultZone
	at := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, loc) }
	start := at(2026, 1, 5, 0, 0)                                                    // a Monday
	tue := func(w int) time.Time { return at(2026, 1, 6, 10, 0).AddDate(0, 0, 7*w) } // bob, weekly
	fri := func(w int) time.Time { return at(2026, 1, 9, 14, 0).AddDate(0, 0, 7*w) } // erin, weekly
	const me, bob, erin = teamMe, "bob@example.com", "erin@example.com"
	gtime := func(t time.Time) map[string]string {
		return map[string]string{"dateTime": t.Format(time.RFC3339), "timeZone": loc.String()}
	}
	item := func(v map[string]any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	people := func(other string) []map[string]any {
		return []map[string]any{
			{"email": me, "responseStatus": "accepted", "self": true, "organizer": true},
			{"email": other, "responseStatus": "accepted"},
		}
	}
	master := func(id, title, other string, first time.Time) []byte {
		return item(map[string]any{"kind": "calendar#event", "id": id, "status": "confirmed", "summary": title, "iCalUID": id + "@example.com",
			"start": gtime(first), "end": gtime(first.Add(30 * time.Minute)), "recurrence": []string{"RRULE:FREQ=WEEKLY"},
			"organizer": map[string]any{"email": me, "self": true}, "attendees": people(other)})
	}
	cancel := func(id, other string, slot time.Time) []byte {
		return item(map[string]any{"kind": "calendar#event", "id": id + "_" + slot.UTC().Format("20060102T150405Z"), "status": "cancelled",
			"recurringEventId": id, "originalStartTime": gtime(slot), "start": gtime(slot), "end": gtime(slot.Add(30 * time.Minute)),
			"organizer": map[string]any{"email": me, "self": true}, "attendees": people(other)})
	}
	busy := func(id string, s, e map[string]string) []byte {
		return item(map[string]any{"kind": "calendar#event", "id": id, "status": "confirmed", "summary": "busy", "start": s, "end": e})
	}
	ny := mustZone("America/New_York")
	// What the calendars hold before the first cycle: the two series, and
	// the busy time around bob's second skip (Tue 27 Jan): anna away all
	// of Wednesday, bob busy Tuesday afternoon and Thursday morning (in
	// his New York time).
	seed := func(srv *googleapi.Server) {
		srv.AddCalendar(me, me, loc.String())
		srv.AddCalendar(bob, bob, "America/New_York")
		for _, err := range []error{
			srv.Apply(me, master("bobseries", "Anna / Bob", bob, tue(0)), master("erinseries", "Anna / Erin 1:1", erin, fri(0)),
				busy("offsite", map[string]string{"date": "2026-01-28"}, map[string]string{"date": "2026-01-29"})),
			srv.Apply(bob, busy("bobtue", map[string]string{"dateTime": at(2026, 1, 27, 12, 0).In(ny).Format(time.RFC3339), "timeZone": ny.String()},
				map[string]string{"dateTime": at(2026, 1, 27, 17, 0).In(ny).Format(time.RFC3339), "timeZone": ny.String()}),
				busy("bobthu", map[string]string{"dateTime": at(2026, 1, 29, 9, 0).In(ny).Format(time.RFC3339), "timeZone": ny.String()},
					map[string]string{"dateTime": at(2026, 1, 29, 10, 30).In(ny).Format(time.RFC3339), "timeZone": ny.String()})),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	// The cancellations, each landing at its time.
	type edit struct {
		at   time.Time
		item func() []byte
	}
	edits := []edit{
		{tue(2).Add(-13 * time.Hour), func() []byte { return cancel("bobseries", bob, tue(2)) }},   // the evening before
		{tue(3).AddDate(0, 0, -3), func() []byte { return cancel("bobseries", bob, tue(3)) }},      // three days before
		{fri(5).Add(-7 * time.Hour), func() []byte { return cancel("erinseries", erin, fri(5)) }},  // the same morning
		{fri(6).AddDate(0, 0, -10), func() []byte { return cancel("erinseries", erin, fri(6)) }},   // ten days before
		{tue(7).Add(-30 * time.Minute), func() []byte { return cancel("bobseries", bob, tue(7)) }}, // half an hour before
	}

	type run struct {
		name      string
		srv       *googleapi.Server
		faults    *faulty.Faults // nil: clean
		path      string
		st        *store.Store
		client    *google.Client
		eng       *sync.Engine
		runner    *nudge.Runner
		finder    *wayback.Finder
		delivered map[string]int
		fbBefore  int    // free/busy requests before the first skip
		wayBack   string // the way back found by the first cycle after bob's second skip that succeeded
		rng       *rand.Rand
		edits     []edit
	}
	var now time.Time
	newRun := func(name string, faults *faulty.Faults) *run {
		r := &run{name: name, srv: googleapi.New(), faults: faults, path: filepath.Join(t.TempDir(), "state.db"),
			delivered: map[string]int{}, rng: rand.New(rand.NewPCG(7, 7)), edits: slices.Clone(edits)}
		seed(r.srv)
		var h http.Handler = r.srv
		if faults != nil {
			h = faults.Handler(r.srv)
		}
		ts := httptest.NewServer(h)
		t.Cleanup(ts.Close)
		c, err := google.New(context.Background(), google.Options{
			Calendar: me, Endpoint: ts.URL + "/calendar/v3/", Zone: loc,
			HTTPClient: &http.Client{Timeout: 5 * time.Second},
			Retry:      google.RetryPolicy{Attempts: 2, Sleep: func(context.Context, time.Duration) error { return nil }},
		})
		if err != nil {
			t.Fatal(err)
		}
		r.client = c
		return r
	}
	// start opens the state file and builds what a process builds.
	startProcess := func(r *run) {
		st, err := store.Open(r.path)
		if err != nil {
			t.Fatal(err)
		}
		r.st = st
		clock := func() time.Time { return now }
		r.eng = &sync.Engine{Store: st, Sources: []sync.NamedSource{{Name: "g", Source: r.client}},
			Rules: history.DetectRules{Me: []string{me}}, Horizon: 14 * 24 * time.Hour, Now: clock, Log: quiet}
		r.runner = &nudge.Runner{Rules: report.NudgeRules{Overdue: true, TwoSkips: true, LateCancel: true}, Store: st, Now: clock,
			Deliver: []nudge.Deliverer{func(_ context.Context, n report.Nudge) error {
				if r.faults != nil && r.rng.Float64() < 0.2 {
					return fmt.Errorf("target: 502 Bad Gateway")
				}
				r.delivered[n.ID]++
				return nil
			}}}
		r.finder = &wayback.Finder{Store: st, Sources: map[string]wayback.Asker{"g": r.client}, Hours: calendar.DefaultWorkingHours(),
			Location: loc, Now: clock}
	}
	freeBusyRequests := func(r *run) int {
		n := 0
		for _, l := range r.srv.RequestLog() {
			if strings.Contains(l, "freeBusy") {
				n++
			}
		}
		return n
	}
	// cycle is one sync, then (after a success) the ways back and the
	// nudges, as the daemon's nudger runs them.
	cycle := func(r *run) {
		for len(r.edits) > 0 && !r.edits[0].at.After(now) {
			if err := r.srv.Apply(me, r.edits[0].item()); err != nil {
				t.Fatal(err)
			}
			r.edits = r.edits[1:]
		}
		if _, err := r.eng.SyncAll(context.Background()); err != nil {
			if r.faults == nil {
				t.Fatalf("%s %s: %v", r.name, now, err)
			}
			return
		}
		in, err := report.Load(context.Background(), report.Input{Now: now, Location: loc}, r.st, nil)
		if err != nil {
			t.Fatal(err)
		}
		found, _, err := r.finder.Run(context.Background(), in)
		if err != nil && r.faults == nil {
			t.Fatalf("%s %s: way back: %v", r.name, now, err)
		}
		in.WayBacks = found
		if r.wayBack == "" && !now.Before(tue(3)) {
			for _, n := range report.WayBackNeeds(in) {
				if w, ok := found[n.ID]; ok && n.Slot.Equal(tue(3)) {
					r.wayBack = w.In(loc).Text("Bob")
				}
			}
		}
		if _, err := r.runner.Run(context.Background(), in); err != nil && r.faults == nil {
			t.Fatalf("%s %s: nudges: %v", r.name, now, err)
		}
	}
	clean := newRun("clean", nil)
	faults := faulty.New(faulty.Config{Rate: 0.25, Seed: faultSeed(t, 14),
		Kinds: []faulty.Kind{faulty.TooMany, faulty.Unavailable, faulty.ServerError, faulty.Reset, faulty.Cut, faulty.Lost}})
	faulted := newRun("faulty", faults)
	runs := []*run{clean, faulted}
	for _, r := range runs {
		startProcess(r)
	}
	end := start.AddDate(0, 0, 7*8)
	i := 0
	for now = start; now.Before(end); now = now.Add(6 * time.Hour) {
		for _, r := range runs {
			if r.faults != nil && i > 0 && i%10 == 0 { // a restart
				if err := r.st.Close(); err != nil {
					t.Fatal(err)
				}
				startProcess(r)
			}
			cycle(r)
			if now.Before(tue(2)) {
				r.fbBefore = freeBusyRequests(r)
			}
		}
		i++
	}
	// The faults stop; the faulty run converges at the last instant.
	faults.SetRate(0)
	faults.Wait()
	now = end
	for k := 0; k < 3; k++ {
		cycle(faulted)
	}
	if faults.Requests() == 0 || len(faults.ByKind()) < 3 {
		t.Fatalf("the proxy injected too little: %s", faults.Summary())
	}
	t.Logf("faults: %s", faults.Summary())

	key := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	bobs, erins := calendar.NewPair(me, bob).String(), calendar.NewPair(me, erin).String()
	wantNudges := []string{
		"late-cancel g/bobseries " + key(tue(2)),  // the evening before
		"two-skips " + bobs + " " + key(tue(3)),   // bob's second skip in a row
		"overdue " + bobs + " " + key(tue(1)),     // no 1:1 with bob for two weeks since
		"late-cancel g/erinseries " + key(fri(5)), // the same morning
		"two-skips " + erins + " " + key(fri(6)),  // erin's second in a row (ten days' notice)
		"overdue " + erins + " " + key(fri(4)),    // and none with erin for two weeks since
		"late-cancel g/bobseries " + key(tue(7)),  // half an hour before
	}
	slices.Sort(wantNudges)
	for _, r := range runs {
		got := slices.Sorted(maps.Keys(r.delivered))
		if !slices.Equal(got, wantNudges) {
			t.Errorf("%s: nudges delivered %v\nwant %v", r.name, got, wantNudges)
		}
		for id, n := range r.delivered {
			if n != 1 {
				t.Errorf("%s: nudge %s delivered %d times", r.name, id, n)
			}
		}
		if r.fbBefore != 0 {
			t.Errorf("%s: %d free/busy requests before the first skip; want none", r.name, r.fbBefore)
		}
	}
	// The way back after bob's second skip, as the first cycle after it
	// found it: not Tuesday afternoon (bob), not Wednesday (anna's all-day
	// offsite), Thursday after bob's morning. The faulty run's first
	// successful cycle may come later, with less choice left.
	if want := "free together: Thu 29 Jan 10:30–11:00"; clean.wayBack != want {
		t.Errorf("clean: way back %q, want %q", clean.wayBack, want)
	}
	if !strings.HasPrefix(faulted.wayBack, "free together: ") {
		t.Errorf("faulty: way back %q, want one from both calendars", faulted.wayBack)
	}
}
