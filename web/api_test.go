package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/internal/agendatest"
	"oneonone/report"
	"oneonone/sync"
	"oneonone/web"
)

// designReport is the report JSON of the contract's example (docs/DESIGN.md,
// "Report JSON"; report/testdata/design_example.json), field by field.
type designReport struct {
	Week        string       `json:"week"`
	From        string       `json:"from"`
	To          string       `json:"to"`
	Timezone    string       `json:"timezone"`
	GeneratedAt time.Time    `json:"generated_at"`
	Pairs       []designPair `json:"pairs"`
	Totals      designCounts `json:"totals"`
}

type designPair struct {
	Pair         string       `json:"pair"`
	Me           string       `json:"me"`
	Counterpart  string       `json:"counterpart"`
	Relationship string       `json:"relationship"`
	Title        string       `json:"title"`
	Source       string       `json:"source"`
	Cadence      string       `json:"cadence"`
	Week         designCounts `json:"week"`
	Occurrences  []struct {
		OriginalStart time.Time `json:"original_start"`
		Start         time.Time `json:"start"`
		State         string    `json:"state"`
		ShiftMinutes  int       `json:"shift_minutes"`
	} `json:"occurrences"`
	Trailing struct {
		Weeks            int     `json:"weeks"`
		Due              int     `json:"due"`
		Kept             int     `json:"kept"`
		Consistency      float64 `json:"consistency"`
		OnTime           float64 `json:"on_time"`
		Streak           int     `json:"streak"`
		DaysSinceLast    *int    `json:"days_since_last"`
		MeanShiftMinutes int     `json:"mean_shift_minutes"`
		Overdue          bool    `json:"overdue"`
	} `json:"trailing"`
	OpenActions int `json:"open_actions"`
}

type designCounts struct {
	Planned, Held, Postponed, Advanced, Skipped, Declined, Upcoming int
}

// designKeys are the keys the contract's example (docs/DESIGN.md, "Report
// JSON"; report/testdata/design_example.json) has, by level.
var designKeys = map[string][]string{
	"report":     {"week", "from", "to", "timezone", "generated_at", "pairs", "totals"},
	"pair":       {"pair", "me", "counterpart", "relationship", "title", "source", "cadence", "week", "occurrences", "trailing", "open_actions"},
	"counts":     {"planned", "held", "postponed", "advanced", "skipped", "declined", "upcoming"},
	"occurrence": {"original_start", "start", "state", "shift_minutes"},
	"trailing":   {"weeks", "due", "kept", "consistency", "on_time", "streak", "days_since_last", "mean_shift_minutes", "overdue"},
}

func hasKeys(t *testing.T, what string, m map[string]any) {
	t.Helper()
	for _, k := range designKeys[what] {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q", what, k)
		}
	}
}

func TestAPIReport(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, tt := range []struct {
		query string
		week  report.Week
	}{
		{"", report.LastFullWeek(fixedNow, berlin)},
		{"?week=2026-W45", report.Week{Year: 2026, Week: 45}},
		{"?week=2026-W47", report.Week{Year: 2026, Week: 47}},
	} {
		r := f.get("/api/report" + tt.query)
		wantCode(t, tt.query, r, 200)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q", ct)
		}
		var want bytes.Buffer
		if err := report.Build(f.input(tt.week)).WriteJSON(&want); err != nil {
			t.Fatal(err)
		}
		if r.Body != want.String() {
			t.Errorf("%s: differs from report.Build's\n--- got\n%s\n--- want\n%s", tt.query, r.Body, want.String())
		}
		// The shape of the contract's example, key by key.
		raw := decode[map[string]any](t, r)
		hasKeys(t, "report", raw)
		hasKeys(t, "counts", raw["totals"].(map[string]any))
		for _, p := range raw["pairs"].([]any) {
			pm := p.(map[string]any)
			hasKeys(t, "pair", pm)
			hasKeys(t, "counts", pm["week"].(map[string]any))
			hasKeys(t, "trailing", pm["trailing"].(map[string]any))
			for _, o := range pm["occurrences"].([]any) {
				hasKeys(t, "occurrence", o.(map[string]any))
			}
		}
		rep := decode[designReport](t, r)
		if rep.Week != tt.week.String() || rep.Timezone != "Europe/Berlin" || len(rep.Pairs) == 0 {
			t.Errorf("%s: week %s, zone %s, %d pairs", tt.query, rep.Week, rep.Timezone, len(rep.Pairs))
		}
	}

	// The last full week holds the seed's skipped and postponed ones.
	rep := decode[designReport](t, f.get("/api/report"))
	for _, e := range f.lastWeekMissed() {
		found := false
		for _, p := range rep.Pairs {
			for _, o := range p.Occurrences {
				if p.Counterpart == e.Counterpart && o.OriginalStart.Equal(e.OriginalStart) {
					found = o.State == string(e.State) && o.Start.Equal(e.Start)
				}
			}
		}
		if !found {
			t.Errorf("%s %s %s not in the report JSON", e.Counterpart, e.State, e.OriginalStart)
		}
	}
	if rep.Totals.Skipped == 0 || rep.Totals.Postponed == 0 {
		t.Errorf("totals %+v", rep.Totals)
	}

	for _, bad := range []string{"2026-W54", "2026W47", "x"} {
		r := f.get("/api/report?week=" + bad)
		wantCode(t, bad, r, 400)
		e := decode[map[string]string](t, r)
		if e["field"] != "week" || !strings.HasPrefix(e["error"], "week: ") {
			t.Errorf("%s: error %v", bad, e)
		}
	}
}

func TestAPISeries(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := f.get("/api/series")
	wantCode(t, "series", r, 200)
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	if err := enc.Encode(report.Summaries(f.input(report.Week{}))); err != nil {
		t.Fatal(err)
	}
	if r.Body != want.String() {
		t.Errorf("differs from report.Summaries\n--- got\n%s\n--- want\n%s", r.Body, want.String())
	}
	sums := decode[[]report.PairSummary](t, r)
	people := map[string]bool{}
	for _, p := range f.team.People {
		people[p.Email] = true
	}
	for _, s := range sums {
		delete(people, s.Counterpart)
		if s.Counterpart == bobAddr && s.OpenActions != 2 {
			t.Errorf("bob has %d open actions, want 2", s.OpenActions)
		}
	}
	if len(people) > 0 {
		t.Errorf("people of the seed missing from /api/series: %v", people)
	}
}

type apiAction struct {
	ID     string    `json:"id"`
	Pair   string    `json:"pair"`
	With   string    `json:"with"`
	Owner  string    `json:"owner"`
	Text   string    `json:"text"`
	Since  time.Time `json:"since"`
	Due    string    `json:"due"`
	Done   time.Time `json:"done"`
	Origin string    `json:"origin"`
}

func findAction(list []apiAction, id string) (apiAction, bool) {
	for _, a := range list {
		if a.ID == id {
			return a, true
		}
	}
	return apiAction{}, false
}

func TestActionsRoundTrip(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := f.request("POST", "/api/actions", `{"with":"Bob@Example.com","text":"  draft the plan  ","due":"2026-11-27"}`, jsonHeaders...)
	wantCode(t, "add", r, 201)
	a := decode[apiAction](t, r)
	if a.ID == "" || r.Header.Get("Location") != "/api/actions/"+a.ID {
		t.Errorf("id %q, Location %q", a.ID, r.Header.Get("Location"))
	}
	if a.Owner != me || a.With != bobAddr || a.Text != "draft the plan" || a.Due != "2026-11-27" ||
		a.Origin != "store" || !a.Since.Equal(fixedNow) || !a.Done.IsZero() || a.Pair != me+"|"+bobAddr {
		t.Errorf("added %+v", a)
	}
	stored, ok, err := f.store.Action(a.ID)
	if err != nil || !ok || stored.Text != "draft the plan" || stored.Pair != calendar.NewPair(me, bobAddr) {
		t.Fatalf("stored %+v %v %v", stored, ok, err)
	}

	list := decode[[]apiAction](t, f.get("/api/actions?with=bob@example.com"))
	if _, ok := findAction(list, a.ID); !ok || len(list) != 3 {
		t.Errorf("open actions with bob: %+v; want the 2 seeded and the new one", list)
	}
	// Bob's page counts it now.
	if rep := decode[designReport](t, f.get("/api/report")); true {
		for _, p := range rep.Pairs {
			if p.Counterpart == bobAddr && p.OpenActions != 3 {
				t.Errorf("report: bob has %d open actions, want 3", p.OpenActions)
			}
		}
	}

	f.clock.Add(time.Hour)
	r = f.request("PATCH", "/api/actions/"+a.ID, `{"done":true}`, jsonHeaders...)
	wantCode(t, "done", r, 200)
	done := decode[apiAction](t, r)
	if !done.Done.Equal(fixedNow.Add(time.Hour)) {
		t.Errorf("done at %v, want %v", done.Done, fixedNow.Add(time.Hour))
	}
	// Done again keeps when.
	f.clock.Add(time.Hour)
	again := decode[apiAction](t, f.request("PATCH", "/api/actions/"+a.ID, `{"done":true}`, jsonHeaders...))
	if !again.Done.Equal(done.Done) {
		t.Errorf("done twice: %v, want %v", again.Done, done.Done)
	}
	list = decode[[]apiAction](t, f.get("/api/actions?with=bob@example.com"))
	if _, ok := findAction(list, a.ID); ok {
		t.Errorf("a done action is listed as open")
	}
	list = decode[[]apiAction](t, f.get("/api/actions?with=bob@example.com&all=1"))
	if got, ok := findAction(list, a.ID); !ok || got.Done.IsZero() || len(list) != 4 {
		t.Errorf("all=1: %+v", list)
	}
	r = f.request("PATCH", "/api/actions/"+a.ID, `{"done":false}`, jsonHeaders...)
	wantCode(t, "reopen", r, 200)
	if got := decode[apiAction](t, r); !got.Done.IsZero() {
		t.Errorf("reopened: %+v", got)
	}
	if _, ok := findAction(decode[[]apiAction](t, f.get("/api/actions")), a.ID); !ok {
		t.Errorf("reopened action missing from every pair's list")
	}

	r = f.request("PATCH", "/api/actions/999", `{"done":true}`, jsonHeaders...)
	wantCode(t, "unknown id", r, 404)
	decode[map[string]string](t, r)
}

func TestActionsValidation(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, tt := range []struct {
		name, method, path, body, field string
	}{
		{"no with", "POST", "/api/actions", `{"text":"x"}`, "with"},
		{"bad with", "POST", "/api/actions", `{"with":"bob","text":"x"}`, "with"},
		{"with is @", "POST", "/api/actions", `{"with":"@","text":"x"}`, "with"},
		{"with is me", "POST", "/api/actions", `{"with":"anna@example.com","text":"x"}`, "with"},
		{"with is a number", "POST", "/api/actions", `{"with":5,"text":"x"}`, "with"},
		{"no text", "POST", "/api/actions", `{"with":"bob@example.com","text":"   "}`, "text"},
		{"long text", "POST", "/api/actions", `{"with":"bob@example.com","text":"` + strings.Repeat("a", 1001) + `"}`, "text"},
		{"NUL in text", "POST", "/api/actions", `{"with":"bob@example.com","text":"a\u0000b"}`, "text"},
		{"bad owner", "POST", "/api/actions", `{"with":"bob@example.com","text":"x","owner":"someone"}`, "owner"},
		{"owner not of the pair", "POST", "/api/actions", `{"with":"bob@example.com","text":"x","owner":"carl@example.com"}`, "owner"},
		{"bad due", "POST", "/api/actions", `{"with":"bob@example.com","text":"x","due":"27.11.2026"}`, "due"},
		{"unknown field", "POST", "/api/actions", `{"with":"bob@example.com","text":"x","colour":"red"}`, "colour"},
		{"not json", "POST", "/api/actions", `with=bob`, "body"},
		{"empty", "POST", "/api/actions", ` `, "body"},
		{"two objects", "POST", "/api/actions", `{"with":"bob@example.com","text":"x"}{}`, "body"},
		{"no change", "PATCH", "/api/actions/1", `{}`, "body"},
		{"done not bool", "PATCH", "/api/actions/1", `{"done":"yes"}`, "done"},
		{"bad with in list", "GET", "/api/actions?with=nobody", "", "with"},
		{"bad all", "GET", "/api/actions?all=yes", "", "all"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := f.request(tt.method, tt.path, tt.body, jsonHeaders...)
			wantCode(t, tt.name, r, 400)
			e := decode[map[string]string](t, r)
			if e["field"] != tt.field || !strings.HasPrefix(e["error"], tt.field+": ") {
				t.Errorf("error %v, want it to name %q", e, tt.field)
			}
		})
	}
	if acts, _ := f.store.Actions(calendar.Pair{}); len(acts) != 3 {
		t.Errorf("%d actions stored after refused requests, want the 3 seeded", len(acts))
	}
	// Owner given, of the pair.
	r := f.request("POST", "/api/actions", `{"with":"bob@example.com","text":"x","owner":"BOB@example.com"}`, jsonHeaders...)
	wantCode(t, "owner bob", r, 201)
	if a := decode[apiAction](t, r); a.Owner != bobAddr {
		t.Errorf("owner %q", a.Owner)
	}
}

// TestActionsRefusedAsOnTheCommandLine: POST /api/actions refuses the
// cases that oneonone actions add refuses (agendatest.Refusals), naming the
// same field, with a user of two addresses.
func TestActionsRefusedAsOnTheCommandLine(t *testing.T) {
	f := newFixture(t, fixtureOptions{me: agendatest.Me})
	for _, tt := range agendatest.Refusals {
		t.Run(tt.Name, func(t *testing.T) {
			body := map[string]string{"with": tt.With, "text": tt.Text}
			if tt.Owner != "" {
				body["owner"] = tt.Owner
			}
			if tt.Due != "" {
				body["due"] = tt.Due
			}
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			r := f.request("POST", "/api/actions", string(b), jsonHeaders...)
			wantCode(t, tt.Name, r, 400)
			e := decode[map[string]string](t, r)
			if e["field"] != tt.Field || !strings.HasPrefix(e["error"], tt.Field+": ") || len(e) != 2 {
				t.Errorf("error %v, want it to name %q", e, tt.Field)
			}
		})
	}
	if acts, _ := f.store.Actions(calendar.Pair{}); len(acts) != 3 {
		t.Errorf("%d actions stored after refused requests, want the 3 seeded", len(acts))
	}
	// The valid counterpart, owned by the user's other address: the user.
	r := f.request("POST", "/api/actions", `{"with":"`+agendatest.With+`","text":"x","owner":"`+agendatest.Me[1]+`"}`, jsonHeaders...)
	wantCode(t, "owner my other address", r, 201)
	if a := decode[apiAction](t, r); a.Owner != agendatest.Me[0] || a.With != agendatest.With {
		t.Errorf("added %+v", a)
	}
	// Listing with one of the user's own addresses is refused too.
	r = f.get("/api/actions?with=" + agendatest.Me[1])
	wantCode(t, "list with me", r, 400)
	if e := decode[map[string]string](t, r); e["field"] != "with" {
		t.Errorf("list with me: %v", e)
	}
}

func TestActionsFromTheDocument(t *testing.T) {
	var f *fixture
	docErr := errors.New("read notes.md: permission denied")
	f = newFixture(t, fixtureOptions{actions: func(ctx context.Context, p calendar.Pair) ([]agenda.Action, error) {
		open, err := agenda.Actions{Store: f.store}.Open(ctx, p, "")
		if err != nil {
			return nil, err
		}
		switch p.Other(me) {
		case bobAddr:
			open = append(open, agenda.Action{Pair: p, Owner: bobAddr, Text: "read the design doc", Since: fixedNow.AddDate(0, 0, -2), Origin: "notes/bob.md"})
		case "chen@example.com":
			return open, docErr // what could be read, and why not the rest
		}
		return open, nil
	}})
	list := decode[[]apiAction](t, f.get("/api/actions?with=bob@example.com"))
	var doc []apiAction
	for _, a := range list {
		if a.Origin != "store" {
			doc = append(doc, a)
		}
	}
	if len(list) != 3 || len(doc) != 1 || doc[0].ID != "" || doc[0].Origin != "notes/bob.md" || doc[0].Text != "read the design doc" {
		t.Errorf("bob's actions: %+v", list)
	}
	// Without with=, only stored ones.
	for _, a := range decode[[]apiAction](t, f.get("/api/actions")) {
		if a.Origin != "store" {
			t.Errorf("doc item without with=: %+v", a)
		}
	}
	r := f.get(pairPath(bobAddr))
	if !strings.Contains(r.Body, "read the design doc") || !strings.Contains(r.Body, "agenda document") {
		t.Errorf("bob's page lacks the document's item")
	}
	// A document that cannot be read does not break the pages.
	wantCode(t, "chen", f.get(pairPath("chen@example.com")), 200)
	wantCode(t, "report", f.get("/"), 200)
	rep := decode[designReport](t, f.get("/api/report"))
	for _, p := range rep.Pairs {
		if p.Counterpart == bobAddr && p.OpenActions != 3 {
			t.Errorf("bob: %d open actions, want 3 (2 stored, 1 from the document)", p.OpenActions)
		}
	}
}

type syncResult struct {
	Source   string `json:"source"`
	Objects  int    `json:"objects"`
	Changed  int    `json:"changed"`
	Series   int    `json:"series"`
	Requests int    `json:"requests"`
	Blocks   struct {
		Written int `json:"written"`
	} `json:"blocks"`
	Error string `json:"error"`
}

func TestAPISync(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	// A script: no Origin, no body.
	r := f.request("POST", "/api/sync", "")
	wantCode(t, "sync", r, 200)
	sums := decode[[]syncResult](t, r)
	if len(sums) != 1 || sums[0].Source != "team" || sums[0].Series != len(f.team.Series) || sums[0].Requests == 0 || sums[0].Objects == 0 || sums[0].Error != "" {
		t.Errorf("summaries %+v (seed has %d series)", sums, len(f.team.Series))
	}
	if !strings.Contains(r.Body, `"blocks": {`) {
		t.Errorf("no blocks in %s", r.Body)
	}
	wantCode(t, "GET sync", f.get("/api/sync"), 405)
}

func TestAPISyncFailure(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	srv, err := web.New(web.Options{
		Store: f.store, Me: []string{me},
		SyncNow: func(context.Context) ([]sync.Summary, error) {
			return []sync.Summary{{Source: "team", Err: errors.New("list calendars: 503")}}, errors.New("sync source team: list calendars: 503")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := f.with(srv).request("POST", "/api/sync", "")
	wantCode(t, "failed sync", r, 200)
	if sums := decode[[]syncResult](t, r); len(sums) != 1 || sums[0].Error != "list calendars: 503" {
		t.Errorf("summaries %+v", sums)
	}

	srv, _ = web.New(web.Options{Store: f.store, Me: []string{me}})
	r = f.with(srv).request("POST", "/api/sync", "")
	wantCode(t, "no SyncNow", r, 503)
}

func TestHealthz(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ok := web.SourceHealth{Source: "team", LastAttempt: fixedNow, LastSuccess: fixedNow, NextRun: fixedNow.Add(5 * time.Minute)}
	stale := web.SourceHealth{Source: "work", LastAttempt: fixedNow, LastError: "401 Unauthorized", Stale: true}
	for _, tt := range []struct {
		name    string
		sources []web.SourceHealth
		code    int
		status  string
	}{
		{"none", nil, 503, "stale"},
		{"fresh", []web.SourceHealth{ok}, 200, "ok"},
		{"one stale", []web.SourceHealth{ok, stale}, 200, "degraded"},
		{"all stale", []web.SourceHealth{stale}, 503, "stale"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.health.set(tt.sources)
			r := f.get("/healthz")
			wantCode(t, tt.name, r, tt.code)
			var h struct {
				Status  string             `json:"status"`
				Sources []web.SourceHealth `json:"sources"`
			}
			if err := json.Unmarshal([]byte(r.Body), &h); err != nil {
				t.Fatal(err)
			}
			if h.Status != tt.status || len(h.Sources) != len(tt.sources) {
				t.Errorf("got %+v", h)
			}
			if tt.name == "one stale" && (h.Sources[1].LastError != "401 Unauthorized" || !h.Sources[0].NextRun.Equal(ok.NextRun)) {
				t.Errorf("sources %+v", h.Sources)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	sums, err := f.engine.SyncAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.metrics.Cycle(sums[0], 1500*time.Millisecond)
	failed := sync.Summary{Source: "work", Err: errors.New("list calendars: 401")}
	f.metrics.Cycle(failed, 200*time.Millisecond)
	f.metrics.Cycle(sync.Summary{Source: "work", Requests: 3, Series: 2, Calendars: 1, Blocks: sync.Blocks{Written: 2, Conflicts: 1}}, time.Second)
	f.metrics.Cycle(failed, 200*time.Millisecond) // keeps the series count

	r := f.get("/metrics")
	wantCode(t, "metrics", r, 200)
	for _, name := range []string{
		"oneonone_sync_cycle_seconds_bucket", "oneonone_sync_requests_total", "oneonone_sync_errors_total",
		"oneonone_agenda_blocks_written_total", "oneonone_agenda_conflicts_total", "oneonone_series_tracked",
	} {
		if !strings.Contains(r.Body, name+`{source="team"`) {
			t.Errorf("/metrics lacks %s for team", name)
		}
	}
	for _, want := range []string{
		`oneonone_series_tracked{source="team"} ` + strconv.Itoa(len(f.team.Series)),
		`oneonone_series_tracked{source="work"} 2`,
		`oneonone_sync_errors_total{source="work"} 2`,
		`oneonone_sync_errors_total{source="team"} 0`,
		`oneonone_agenda_conflicts_total{source="work"} 1`,
		`oneonone_sync_cycle_seconds_count{source="work"} 3`,
	} {
		if !strings.Contains(r.Body, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// And through the client library's own linter.
	problems, err := testutil.GatherAndLint(f.registry)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

// The daemon hears of every cycle through *Metrics.
var _ sync.Observer = (*web.Metrics)(nil)

func TestNewNeedsStoreAndIdentity(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	if _, err := web.New(web.Options{Me: []string{me}}); err == nil {
		t.Error("New without a store: no error")
	}
	if _, err := web.New(web.Options{Store: f.store}); err == nil {
		t.Error("New without identity.me: no error")
	}
	// With nothing else given, the defaults serve: UTC, the store's actions,
	// no /metrics, no sources.
	s, err := web.New(web.Options{Store: f.store, Me: []string{me}})
	if err != nil {
		t.Fatal(err)
	}
	g := f.with(s)
	wantCode(t, "report", g.get("/"), 200)
	wantCode(t, "metrics", g.get("/metrics"), 404)
	wantCode(t, "healthz", g.get("/healthz"), 503)
	if rep := decode[designReport](t, g.get("/api/report")); rep.Timezone != "UTC" {
		t.Errorf("timezone %q, want UTC", rep.Timezone)
	}
}
