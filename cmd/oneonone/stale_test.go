package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/config"
	"oneonone/report"
	"oneonone/store"
)

// TestReportInputStaleSources: a one-shot report, without a daemon, lists
// the configured sources whose stored last success is more than three
// intervals old or missing, and names them in every format.
func TestReportInputStaleSources(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	for _, c := range []store.CalendarState{
		{Source: "fresh", Calendar: "/cal/", LastSync: now.Add(-10 * time.Minute), LastSuccess: now.Add(-10 * time.Minute)},
		{Source: "team", Calendar: "/cal/", LastSync: now.Add(-time.Minute), LastSuccess: now.Add(-2 * time.Hour), LastError: "503 Service Unavailable"},
	} {
		if err := st.PutCalendarState(c); err != nil {
			t.Fatal(err)
		}
	}
	cfg := &config.Config{Interval: config.Duration{Duration: 5 * time.Minute},
		Sources: []config.Source{{Name: "fresh"}, {Name: "team"}, {Name: "work"}}}
	in, err := reportInput(cfg, st, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Stale) != 2 || in.Stale[0].Name != "team" || in.Stale[0].Since == nil ||
		!in.Stale[0].Since.Equal(now.Add(-2*time.Hour)) || in.Stale[0].Error != "503 Service Unavailable" ||
		in.Stale[1].Name != "work" || in.Stale[1].Since != nil {
		t.Fatalf("stale = %+v, want team (2h ago, 503) and work (never)", in.Stale)
	}
	r := report.Build(in)
	for _, format := range report.Formats {
		var b bytes.Buffer
		if err := report.Write(&b, r, format); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "team") || !strings.Contains(b.String(), "503 Service Unavailable") || !strings.Contains(b.String(), "work") {
			t.Errorf("%s report does not name the stale sources:\n%s", format, b.String())
		}
	}
}
