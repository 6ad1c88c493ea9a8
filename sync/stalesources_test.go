package sync

import (
	"testing"
	"time"

	"oneonone/store"
)

func TestStoredStatus(t *testing.T) {
	st := openStore(t)
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	for _, c := range []store.CalendarState{
		{Source: "team", Calendar: "/a/", LastSync: now.Add(-time.Hour), LastSuccess: now.Add(-time.Hour)},
		{Source: "team", Calendar: "/b/", LastSync: now.Add(-time.Minute), LastSuccess: now.Add(-2 * time.Hour), LastError: "b: 503"},
		{Source: "half", Calendar: "/a/", LastSync: now.Add(-time.Hour), LastSuccess: now.Add(-time.Hour)},
		{Source: "half", Calendar: "/new/", LastSync: now.Add(-time.Minute), LastError: "new: 403"},
	} {
		if err := st.PutCalendarState(c); err != nil {
			t.Fatal(err)
		}
	}
	team, err := StoredStatus(st, "team")
	if err != nil {
		t.Fatal(err)
	}
	if !team.LastSuccess.Equal(now.Add(-2*time.Hour)) || !team.LastAttempt.Equal(now.Add(-time.Minute)) || team.LastError != "b: 503" {
		t.Errorf("team = %+v, want last success 2h ago (its least fresh calendar), attempt 1m ago, error b: 503", team)
	}
	half, _ := StoredStatus(st, "half")
	if !half.LastSuccess.IsZero() || half.LastError != "new: 403" {
		t.Errorf("half = %+v, want never (a calendar never synced)", half)
	}
	none, _ := StoredStatus(st, "none")
	if !none.LastSuccess.IsZero() || !none.LastAttempt.IsZero() {
		t.Errorf("none = %+v, want zero", none)
	}

	got := StaleSources([]SourceStatus{team, half, none}, func(s SourceStatus) bool { return IsStale(s, 30*time.Minute, now) })
	if len(got) != 3 || got[0].Name != "team" || got[0].Since == nil || !got[0].Since.Equal(now.Add(-2*time.Hour)) ||
		got[0].Error != "b: 503" || got[1].Name != "half" || got[1].Since != nil || got[2].Name != "none" {
		t.Errorf("stale sources = %+v", got)
	}
	if got := StaleSources([]SourceStatus{team}, func(s SourceStatus) bool { return IsStale(s, time.Hour, now) }); len(got) != 0 {
		t.Errorf("2h old with a 1h interval is not stale (3 intervals); got %+v", got)
	}
}

// TestDaemonStaleSourcesBeforeTheFirstCycle: right after it is made, before
// any cycle, the daemon knows from the store that a source is stale and
// since when — a report made at start says so rather than "never".
func TestDaemonStaleSourcesBeforeTheFirstCycle(t *testing.T) {
	st := openStore(t)
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	last := now.Add(-time.Hour)
	if err := st.PutCalendarState(store.CalendarState{Source: "team", Calendar: "/cal/", LastSync: now.Add(-time.Minute), LastSuccess: last, LastError: "server down"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutCalendarState(store.CalendarState{Source: "fresh", Calendar: "/cal/", LastSync: now.Add(-time.Minute), LastSuccess: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	eng := &Engine{Store: st, Now: func() time.Time { return now }, Sources: []NamedSource{
		{Name: "team", Source: &countingSource{}}, {Name: "fresh", Source: &countingSource{}}, {Name: "new", Source: &countingSource{}},
	}}
	d := &Daemon{Engine: eng, Interval: 5 * time.Minute}
	got := d.StaleSources(now)
	if len(got) != 2 || got[0].Name != "team" || got[0].Since == nil || !got[0].Since.Equal(last) || got[0].Error != "server down" ||
		got[1].Name != "new" || got[1].Since != nil {
		t.Errorf("stale sources = %+v, want team since %v (server down) and new (never)", got, last)
	}
}
