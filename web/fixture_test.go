package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/history"
	"oneonone/internal/demo"
	"oneonone/internal/fake/caldavserver"
	"oneonone/report"
	"oneonone/store"
	"oneonone/sync"
	"oneonone/web"
)

const (
	me         = "anna@example.com"
	testToken  = "s3cret-token-0123456789abcdef"
	bobAddr    = "bob@example.com"
	scriptBit  = `<script>alert("x")</script>`
	bobTitle   = "Anna / Bob 1:1"
	hostile    = bobTitle + " " + scriptBit
	cookieName = "oneonone_session"
)

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

// fixture is a store filled by syncing the demo team through the real
// CalDAV client from the in-process CalDAV server, and the web face over it.
type fixture struct {
	t        *testing.T
	now      time.Time
	clock    *clock
	team     demo.Team
	store    *store.Store
	engine   *sync.Engine
	server   *web.Server
	srv      *httptest.Server
	metrics  *web.Metrics
	registry *prometheus.Registry
	health   *healthState
	source   *caldav.Client
}

// clock is the fixture's Now: fixed, and moved by tests.
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type healthState struct {
	mu      gosync.Mutex
	sources []web.SourceHealth
}

func (h *healthState) get() []web.SourceHealth {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sources
}

func (h *healthState) set(s []web.SourceHealth) {
	h.mu.Lock()
	h.sources = s
	h.mu.Unlock()
}

// fixedNow is a Friday night; the last full week is 2026-W46.
var fixedNow = time.Date(2026, 11, 20, 22, 30, 0, 0, berlin)

type fixtureOptions struct {
	token   string
	tls     bool
	actions func(ctx context.Context, p calendar.Pair) ([]agenda.Action, error)
	me      []string // identity.me; nil is just me
	outbox  bool     // anna's schedule outbox answers free/busy
}

func newFixture(t *testing.T, fo fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{t: t, now: fixedNow, clock: &clock{t: fixedNow}, health: &healthState{}}
	f.team = demo.Seed(f.now, berlin)

	// The in-process CalDAV server, with one title made hostile.
	dav := caldavserver.New("anna")
	dav.SetBasicAuth("anna", "secret")
	paths := map[string]string{}
	hostileSet := false
	for _, obj := range f.team.Objects {
		if _, ok := paths[obj.Calendar]; !ok {
			p, err := dav.CreateCalendar(obj.Calendar, obj.Calendar)
			if err != nil {
				t.Fatal(err)
			}
			paths[obj.Calendar] = p
		}
		data := obj.Data
		if bytes.Contains(data, []byte("\r\nSUMMARY:"+bobTitle+"\r\n")) {
			data = bytes.ReplaceAll(data, []byte("\r\nSUMMARY:"+bobTitle+"\r\n"), []byte("\r\nSUMMARY:"+hostile+"\r\n"))
			hostileSet = true
		}
		if _, _, err := dav.PutObject(paths[obj.Calendar], obj.Name, data); err != nil {
			t.Fatal(err)
		}
	}
	if !hostileSet {
		t.Fatalf("no object with SUMMARY:%s in the seed", bobTitle)
	}
	if fo.outbox {
		dav.SetOutbox(me)
	}
	davSrv := httptest.NewServer(dav.Handler())
	t.Cleanup(davSrv.Close)

	client, err := caldav.New(caldav.Options{URL: davSrv.URL + "/", Username: "anna", Password: "secret", Zone: berlin})
	if err != nil {
		t.Fatal(err)
	}
	f.source = client
	f.store, err = store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	f.engine = &sync.Engine{
		Store:   f.store,
		Sources: []sync.NamedSource{{Name: "team", Source: client}},
		Rules:   history.DetectRules{Me: []string{me}},
		Relationship: func(who string) string {
			for _, p := range f.team.People {
				if p.Email == who {
					return p.Relationship
				}
			}
			return "1:1"
		},
		Horizon: 14 * 24 * time.Hour,
		Now:     f.clock.Now,
	}
	if _, err := f.engine.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Two stored actions with Bob, one done.
	for _, a := range []agenda.Action{
		{Pair: calendar.NewPair(me, bobAddr), Owner: bobAddr, Text: "send the Q4 hiring plan draft", Since: f.now.AddDate(0, 0, -8), Origin: "store"},
		{Pair: calendar.NewPair(me, bobAddr), Owner: me, Text: "book the offsite room", Since: f.now.AddDate(0, 0, -3), Due: f.now.AddDate(0, 0, 6), Origin: "store"},
		{Pair: calendar.NewPair(me, bobAddr), Owner: me, Text: "an old one", Since: f.now.AddDate(0, 0, -30), Done: f.now.AddDate(0, 0, -20), Origin: "store"},
	} {
		if _, err := f.store.AddAction(a); err != nil {
			t.Fatal(err)
		}
	}

	if fo.me == nil {
		fo.me = []string{me}
	}
	reg := prometheus.NewRegistry()
	f.registry = reg
	f.metrics = web.NewMetrics(reg)
	f.server, err = web.New(web.Options{
		Store:         f.store,
		Location:      berlin,
		TrailingWeeks: 12,
		Me:            fo.me,
		Token:         fo.token,
		Now:           f.clock.Now,
		Actions:       fo.actions,
		SyncNow:       f.engine.SyncAll,
		Health:        f.health.get,
		Registry:      reg,
		Log:           slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if fo.tls {
		f.srv = httptest.NewTLSServer(f.server.Handler())
	} else {
		f.srv = httptest.NewServer(f.server.Handler())
	}
	t.Cleanup(f.srv.Close)
	return f
}

// with returns a copy of f whose requests go to another server over the
// same store.
func (f *fixture) with(s *web.Server) *fixture {
	g := *f
	g.server = s
	g.srv = httptest.NewServer(s.Handler())
	f.t.Cleanup(g.srv.Close)
	return &g
}

// input is what the server should build reports from: read straight from
// the store, open actions counted from the stored ones.
func (f *fixture) input(week report.Week) report.Input {
	f.t.Helper()
	series, err := f.store.Series()
	if err != nil {
		f.t.Fatal(err)
	}
	occ, err := f.store.AllOccurrences()
	if err != nil {
		f.t.Fatal(err)
	}
	open := map[calendar.Pair]int{}
	for _, s := range series {
		acts, err := f.store.Actions(s.Pair)
		if err != nil {
			f.t.Fatal(err)
		}
		n := 0
		for _, a := range acts {
			if a.Done.IsZero() {
				n++
			}
		}
		open[s.Pair] = n
	}
	if week.IsZero() {
		week = report.LastFullWeek(f.now, berlin)
	}
	return report.Input{
		Week: week, Location: berlin, Now: f.now, TrailingWeeks: 12,
		Series: series, Occurrences: occ, OpenActions: open,
	}
}

// response is what a request got back.
type response struct {
	Code   int
	Header http.Header
	Body   string
}

// request sends method path with body (JSON when not "") and the headers
// given as "Name: value".
func (f *fixture) request(method, path, body string, headers ...string) response {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, h := range headers {
		if h == "" {
			continue
		}
		k, v, _ := strings.Cut(h, ": ")
		if k == "Host" { // the client sends req.Host, not a Host header
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := f.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{Code: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

func (f *fixture) get(path string, headers ...string) response {
	f.t.Helper()
	return f.request(http.MethodGet, path, "", headers...)
}

// jsonHeaders are what a script sends with a JSON body.
var jsonHeaders = []string{"Content-Type: application/json"}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, r.Body)
	}
	return v
}

func wantCode(t *testing.T, what string, r response, code int) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.Code, code, r.Body)
	}
}

// lastWeekMissed returns the seed's skipped and postponed occurrences of
// the last full week.
func (f *fixture) lastWeekMissed() []demo.Expectation {
	from, to := report.LastFullWeek(f.now, berlin).Range(berlin)
	var out []demo.Expectation
	for _, e := range f.team.Expect {
		if e.OriginalStart.Before(from) || !e.OriginalStart.Before(to) {
			continue
		}
		if e.State == calendar.StateSkipped || e.State == calendar.StatePostponed {
			out = append(out, e)
		}
	}
	return out
}

func bobPair() calendar.Pair { return calendar.NewPair(me, bobAddr) }
