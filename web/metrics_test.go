package web_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"oneonone/report"
	"oneonone/sync"
	"oneonone/web"
)

// TestMetricsFromTheStart: right after start, before any cycle, /metrics
// lists every series for every configured source: counters and histogram at
// zero, the series gauge NaN, and the last success as stored (0: never).
func TestMetricsFromTheStart(t *testing.T) {
	f := newFixture(t, fixtureOptions{}) // the fixture synced "team" once
	eng := &sync.Engine{Store: f.store, Now: f.clock.Now, Sources: []sync.NamedSource{
		f.engine.Sources[0], {Name: "work", Source: f.engine.Sources[0].Source},
	}}
	d := &sync.Daemon{Engine: eng}
	f.metrics.Start(d.Status())

	r := f.get("/metrics")
	wantCode(t, "metrics", r, 200)
	for _, source := range []string{"team", "work"} {
		for _, name := range []string{
			"oneonone_sync_cycle_seconds_count", "oneonone_sync_requests_total", "oneonone_sync_errors_total",
			"oneonone_agenda_blocks_written_total", "oneonone_agenda_conflicts_total", "oneonone_series_tracked",
			"oneonone_source_last_success_timestamp_seconds",
		} {
			if !strings.Contains(r.Body, name+`{source="`+source+`"}`) {
				t.Errorf("/metrics lacks %s for %s", name, source)
			}
		}
		for _, want := range []string{
			`oneonone_sync_errors_total{source="` + source + `"} 0`,
			`oneonone_sync_cycle_seconds_count{source="` + source + `"} 0`,
			`oneonone_series_tracked{source="` + source + `"} NaN`,
		} {
			if !strings.Contains(r.Body, want+"\n") {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	}
	if !strings.Contains(r.Body, `oneonone_source_last_success_timestamp_seconds{source="work"} 0`+"\n") {
		t.Error("a source never synced: last success is not 0")
	}
	last := d.Status()[0].LastSuccess
	if last.IsZero() {
		t.Fatal("the fixture's sync left no last success in the store")
	}
	if got := gauge(t, f, "oneonone_source_last_success_timestamp_seconds", "team"); got != float64(last.UnixNano())/1e9 {
		t.Errorf("team last success = %v, want the stored %v (%v)", got, float64(last.UnixNano())/1e9, last)
	}

	// A cycle that succeeds sets it to the clock; one that fails keeps it.
	f.clock.Add(10 * time.Minute)
	f.metrics.Now = f.clock.Now
	f.metrics.Cycle(sync.Summary{Source: "work", Calendars: 1, Series: 2}, time.Second)
	at := f.clock.Now()
	f.clock.Add(time.Minute)
	f.metrics.Cycle(sync.Summary{Source: "work", Err: errors.New("list calendars: 401")}, time.Second)
	if got := gauge(t, f, "oneonone_source_last_success_timestamp_seconds", "work"); got != float64(at.UnixNano())/1e9 {
		t.Errorf("work last success = %v, want %v", got, at)
	}
	if got := gauge(t, f, "oneonone_series_tracked", "work"); got != 2 {
		t.Errorf("work series = %v, want 2", got)
	}

	// A reload with "work" gone drops its series and keeps team's.
	f.metrics.Start(d.Status()[:1])
	r = f.get("/metrics")
	if strings.Contains(r.Body, `source="work"`) || !strings.Contains(r.Body, `oneonone_sync_errors_total{source="team"} 0`) {
		t.Errorf("after a reload without work:\n%s", r.Body)
	}
	if problems, err := testutil.GatherAndLint(f.registry); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

// gauge returns the value of a gauge for a source, NaN when absent.
func gauge(t *testing.T, f *fixture, name, source string) float64 {
	t.Helper()
	mfs, err := f.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if hasLabel(m, "source", source) {
				return m.GetGauge().GetValue()
			}
		}
	}
	return math.NaN()
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// TestReportListsStaleSources: the web report and GET /api/report list the
// sources Health says are stale.
func TestReportListsStaleSources(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	since := fixedNow.Add(-time.Hour)
	f.health.set([]web.SourceHealth{
		{Source: "team", LastAttempt: fixedNow, LastSuccess: fixedNow},
		{Source: "work", LastAttempt: fixedNow, LastSuccess: since, LastError: "401 Unauthorized", Stale: true},
	})
	var rep struct {
		Stale []report.StaleSource `json:"stale"`
	}
	if err := json.Unmarshal([]byte(f.get("/api/report").Body), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Stale) != 1 || rep.Stale[0].Name != "work" || rep.Stale[0].Since == nil || !rep.Stale[0].Since.Equal(since) || rep.Stale[0].Error != "401 Unauthorized" {
		t.Errorf("/api/report stale = %+v", rep.Stale)
	}
	page := f.get("/").Body
	if !strings.Contains(page, report.StaleHeading) || !strings.Contains(page, "work: last synced") || !strings.Contains(page, "401 Unauthorized") {
		t.Errorf("the report page does not list the stale source:\n%s", page)
	}
}
