package wayback

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/report"
	"oneonone/store"
)

// asker answers free/busy from fixed busy spans per address and counts
// the requests.
type asker struct {
	busy    map[string][]calendar.Busy
	unknown map[string]string // address → reason
	err     error
	queries []calendar.FreeBusyQuery
}

func (a *asker) FreeBusy(_ context.Context, q calendar.FreeBusyQuery) ([]calendar.Availability, error) {
	a.queries = append(a.queries, q)
	if a.err != nil {
		return nil, a.err
	}
	var out []calendar.Availability
	for _, addr := range q.Addresses {
		if r, ok := a.unknown[addr]; ok {
			out = append(out, calendar.Availability{Address: addr, Unknown: true, Reason: r})
			continue
		}
		out = append(out, calendar.Availability{Address: addr, Busy: a.busy[addr]})
	}
	return out, nil
}

const (
	me  = "me@x.example"
	bob = "bob@x.example"
)

var (
	mon  = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) // a Monday
	pair = calendar.NewPair(me, bob)
)

func input(states ...calendar.State) report.Input {
	s := calendar.Series{ID: "team/cal/bob", Source: "team", Pair: pair, Me: me, Counterpart: bob, Name: "Bob", Cadence: calendar.CadenceWeekly, Start: mon.AddDate(0, 0, -7)}
	in := report.Input{Series: []calendar.Series{s}}
	for i, st := range states {
		start := mon.AddDate(0, 0, 7*(i-1))
		in.Occurrences = append(in.Occurrences, calendar.Occurrence{SeriesID: s.ID, Pair: pair, OriginalStart: start, Start: start, End: start.Add(30 * time.Minute), State: st})
	}
	return in
}

func newStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func at(s string) time.Time {
	v, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestFinder(t *testing.T) {
	st := newStore(t)
	now := at("2026-12-01 12:05") // Tuesday, a day after the skip
	a := &asker{busy: map[string][]calendar.Busy{
		me:  {{Start: at("2026-12-01 12:00"), End: at("2026-12-01 16:00")}},
		bob: {{Start: at("2026-12-01 16:00"), End: at("2026-12-02 11:00")}, {Start: at("2026-12-02 11:20"), End: at("2026-12-02 12:00")}},
	}}
	f := &Finder{Store: st, Sources: map[string]Asker{"team": a}, Hours: calendar.DefaultWorkingHours(), Location: time.UTC, Now: func() time.Time { return now }}
	in := input(calendar.StateHeld, calendar.StateSkipped, calendar.StateUpcoming)

	got, asked, err := f.Run(context.Background(), in)
	if err != nil || asked != 1 || len(a.queries) != 1 {
		t.Fatalf("Run = %v, %d, %v; queries %d", got, asked, err, len(a.queries))
	}
	q := a.queries[0]
	if q.Organizer != me || fmt.Sprint(q.Addresses) != fmt.Sprint([]string{me, bob}) || !q.From.Equal(at("2026-12-01 12:15")) || !q.To.Equal(mon.AddDate(0, 0, 7)) {
		t.Errorf("query = %+v", q)
	}
	if len(got) != 1 {
		t.Fatalf("stored = %v", got)
	}
	for _, w := range got {
		if w.Start == nil || !w.Start.Equal(at("2026-12-02 12:00")) || !w.Both {
			t.Errorf("way back = %+v; want Wed 12:00, both", w)
		}
	}
	// Stored: the report shows it, and a second run within the refresh
	// asks nothing.
	in.Now, in.Location, in.Week = now, time.UTC, report.WeekOf(mon, time.UTC)
	loaded, err := report.ReadWayBacks(st)
	if err != nil {
		t.Fatal(err)
	}
	in.WayBacks = loaded
	if r := report.Build(in); r.Pairs[0].WayBack == nil || r.Pairs[0].WayBack.Text("Bob") != "free together: Wed 2 Dec 12:00–12:30" {
		t.Errorf("report way back = %+v", r.Pairs[0].WayBack)
	}
	if _, asked, err := f.Run(context.Background(), in); err != nil || asked != 0 || len(a.queries) != 1 {
		t.Fatalf("second Run asked %d (%v), queries %d; want none", asked, err, len(a.queries))
	}
	// After the refresh, asked again.
	now = now.Add(DefaultRefresh)
	if _, asked, _ := f.Run(context.Background(), in); asked != 1 || len(a.queries) != 2 {
		t.Fatalf("Run after the refresh asked %d; want 1", asked)
	}
}

func TestFinderAsksNothingWithoutNeed(t *testing.T) {
	st := newStore(t)
	a := &asker{}
	f := &Finder{Store: st, Sources: map[string]Asker{"team": a}, Hours: calendar.DefaultWorkingHours(), Now: func() time.Time { return at("2026-12-01 12:05") }}
	for _, in := range []report.Input{
		input(calendar.StateSkipped, calendar.StateHeld, calendar.StateUpcoming), // the last slot held
		input(calendar.StateHeld, calendar.StateDeclined, calendar.StateUpcoming),
		input(calendar.StateHeld, calendar.StatePostponed, calendar.StateUpcoming),
		{},
	} {
		if _, asked, err := f.Run(context.Background(), in); err != nil || asked != 0 {
			t.Fatalf("Run = %d, %v; want no request", asked, err)
		}
	}
	if len(a.queries) != 0 {
		t.Fatalf("free/busy asked %d times with nothing to suggest", len(a.queries))
	}
}

func TestFinderOwnCalendarOnly(t *testing.T) {
	st := newStore(t)
	a := &asker{unknown: map[string]string{bob: "3.7;Could not find principal"}}
	f := &Finder{Store: st, Sources: map[string]Asker{"team": a}, Hours: calendar.DefaultWorkingHours(), Now: func() time.Time { return at("2026-12-01 12:05") }}
	got, _, err := f.Run(context.Background(), input(calendar.StateHeld, calendar.StateSkipped, calendar.StateUpcoming))
	if err != nil || len(got) != 1 {
		t.Fatalf("Run = %v, %v", got, err)
	}
	for _, w := range got {
		if w.Both || w.Start == nil || w.Text("Bob") != "you are free: Tue 1 Dec 12:15–12:45 (Bob's calendar is not available: 3.7;Could not find principal)" {
			t.Errorf("way back = %+v (%s)", w, w.Text("Bob"))
		}
	}
}

func TestFinderSourceErrors(t *testing.T) {
	st := newStore(t)
	now := at("2026-12-01 12:05")
	a := &asker{err: fmt.Errorf("no outbox: %w", calendar.ErrNoFreeBusy)}
	f := &Finder{Store: st, Sources: map[string]Asker{"team": a}, Hours: calendar.DefaultWorkingHours(), Now: func() time.Time { return now }}
	in := input(calendar.StateHeld, calendar.StateSkipped, calendar.StateUpcoming)
	for i := 0; i < 3; i++ {
		if got, _, err := f.Run(context.Background(), in); err != nil || len(got) != 0 {
			t.Fatalf("Run = %v, %v; want nothing, no error", got, err)
		}
	}
	if len(a.queries) != 1 {
		t.Fatalf("a source without free/busy was asked %d times within the refresh; want 1", len(a.queries))
	}
	a.err = errors.New("503 Service Unavailable")
	now = now.Add(DefaultRefresh)
	if _, _, err := f.Run(context.Background(), in); err == nil {
		t.Fatal("a failing source is no error")
	}
	if w, _ := report.ReadWayBacks(st); len(w) != 0 {
		t.Fatalf("a failed request stored %v", w)
	}
}
