package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/config"
	"oneonone/report"
	"oneonone/store"
	"oneonone/sync"
)

// The daemon's nudges reach a [[notify]] webhook once each: two skips in
// a row (and the overdue pair they leave) make one POST each, a second run
// none, and what is queued is delivered at shutdown.
func TestNudgesReachTheWebhook(t *testing.T) {
	var mu gosync.Mutex
	var got []map[string]any
	var events []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		mu.Lock()
		got = append(got, m)
		events = append(events, r.Header.Get("X-Oneonone-Event"))
		mu.Unlock()
	}))
	defer recv.Close()
	cfg, st := hookConfig(t, recv.URL, "")
	n, err := newNudger(cfg, st, nil, nil)
	if err != nil || n == nil || n.notify == nil {
		t.Fatalf("nudger %v, %v", n, err)
	}
	loc := cfg.Location()
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, loc) }
	s := calendar.Series{ID: "team/bob", Source: "team", UID: "bob", Pair: calendar.NewPair("anna@example.com", "bob@example.com"),
		Me: "anna@example.com", Counterpart: "bob@example.com", Name: "Bob", Cadence: calendar.CadenceWeekly, Start: at(3, 10)}
	occ := func(d int, state calendar.State) calendar.Occurrence {
		return calendar.Occurrence{SeriesID: s.ID, Pair: s.Pair, OriginalStart: at(d, 10), Start: at(d, 10), End: at(d, 11), State: state}
	}
	in := report.Input{Now: at(25, 12), Location: loc, Series: []calendar.Series{s},
		Occurrences: []calendar.Occurrence{occ(10, calendar.StateHeld), occ(17, calendar.StateSkipped), occ(24, calendar.StateSkipped)}}
	for range 2 {
		if _, err := n.runner.Run(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := n.notify.Close(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Fifteen days since the last kept one: overdue too; each once.
	slices.Sort(events)
	if !slices.Equal(events, []string{"nudge.overdue", "nudge.two-skips"}) || got[1]["text"] == "" {
		t.Fatalf("%d deliveries %v: %v", len(got), events, got)
	}
}

// report.notify's targets get the weekly report: the scheduler hands it
// over, one message with the report's subject.
func TestWeeklyReportReachesTheTargets(t *testing.T) {
	var mu gosync.Mutex
	var events, titles []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		events = append(events, r.Header.Get("X-Oneonone-Event"))
		titles = append(titles, fmt.Sprint(m["title"]))
		mu.Unlock()
	}))
	defer recv.Close()
	cfg, st := hookConfig(t, recv.URL, "[report]\nnotify = [\"team-hook\"]\n")
	s, targets, err := newReportNotifier(cfg, st, &sync.Daemon{Engine: &sync.Engine{Store: st}}, nil)
	if err != nil || s == nil || targets == nil {
		t.Fatalf("%v %v %v", s, targets, err)
	}
	week := report.LastFullWeek(time.Now(), cfg.Location())
	r, err := s.Build(context.Background(), week)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Report(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := targets.Close(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 1 || events[0] != "report.weekly" || !strings.Contains(titles[0], week.String()) {
		t.Fatalf("events %v, titles %v", events, titles)
	}
}

// hookConfig is a config with one CalDAV source and a webhook target
// "team-hook" at url (extra goes before the source), and its open store.
func hookConfig(t *testing.T, url, extra string) (*config.Config, *store.Store) {
	t.Helper()
	t.Setenv("TEAM_HOOK", url+"/hook")
	t.Setenv("TEAM_PASSWORD", "secret")
	cfg, err := config.Parse([]byte(`state = "`+filepath.Join(t.TempDir(), "state.db")+`"
timezone = "Europe/Berlin"
[identity]
me = ["anna@example.com"]
`+extra+`[[source]]
name = "team"
kind = "caldav"
url = "http://127.0.0.1:1/"
username = "anna"
password_env = "TEAM_PASSWORD"
[[notify]]
name = "team-hook"
kind = "webhook"
url_env = "TEAM_HOOK"
`), "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(cfg.State)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return cfg, st
}

// A nudge is mailed to report.email.to, to the pair's manager with
// per_person (it is their report), to the counterpart when asked; each
// address once.
func TestNudgeRecipients(t *testing.T) {
	nu := report.Nudge{Me: "anna@example.com", Counterpart: "bob@example.com"}
	for _, c := range []struct {
		name        string
		to          []string
		perPerson   bool
		counterpart bool
		want        []string
	}{
		{"to only", []string{"boss@example.com"}, false, false, []string{"boss@example.com"}},
		{"per person, no to", nil, true, false, []string{"anna@example.com"}},
		{"per person and to", []string{"boss@example.com"}, true, false, []string{"boss@example.com", "anna@example.com"}},
		{"per person, to holds the manager", []string{"Anna@example.com"}, true, false, []string{"Anna@example.com"}},
		{"counterpart too", nil, true, true, []string{"anna@example.com", "bob@example.com"}},
		{"nobody", nil, false, false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := &config.Config{}
			cfg.Report.Email.To, cfg.Report.Email.PerPerson, cfg.Nudges.EmailCounterpart = c.to, c.perPerson, c.counterpart
			if got := nudgeRecipients(cfg, nu); !slices.Equal(got, c.want) {
				t.Errorf("recipients = %v, want %v", got, c.want)
			}
		})
	}
}
