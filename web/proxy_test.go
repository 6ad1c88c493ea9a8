package web_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	gosync "sync"
	"testing"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/report"
	"oneonone/web"
)

// Who is looking behind a sign-in proxy (docs/DESIGN.md, "Who is looking"):
// every request here is a real one to an httptest server on 127.0.0.1.

const (
	proxyHeader = "X-Forwarded-Email"
	chenAddr    = "chen@example.com"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type proxyOptions struct {
	trusted []string // web.trusted_proxies; nil is 127.0.0.1/32
	admins  []string // nil is just me (anna)
	token   string
	share   *web.ShareLinks
}

// proxied returns f with a server in proxy mode over the same store, and
// the log it writes.
func proxied(t *testing.T, f *fixture, po proxyOptions) (*fixture, *syncBuffer) {
	t.Helper()
	if po.trusted == nil {
		po.trusted = []string{"127.0.0.1/32"}
	}
	if po.admins == nil {
		po.admins = []string{"Anna@Example.com"}
	}
	var nets []netip.Prefix
	for _, c := range po.trusted {
		nets = append(nets, netip.MustParsePrefix(c))
	}
	logs := &syncBuffer{}
	s, err := web.New(web.Options{
		Store: f.store, Location: berlin, TrailingWeeks: 12, Me: []string{me}, Now: f.clock.Now,
		Token: po.token, SyncNow: f.engine.SyncAll, Health: f.health.get, Registry: f.registry, Share: po.share,
		Log:             slog.New(slog.NewTextHandler(logs, nil)),
		AuthProxyHeader: proxyHeader, TrustedProxies: nets, Admins: po.admins,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f.with(s), logs
}

func as(addr string) string { return proxyHeader + ": " + addr }

// others are the demo team's addresses that are neither anna nor bob.
func others(f *fixture) []string {
	var out []string
	for _, p := range f.team.People {
		if p.Email != me && p.Email != bobAddr && p.Email != "" {
			out = append(out, p.Email)
		}
	}
	return out
}

// wantOnlyBob fails when body names any pair but anna and bob's (which,
// told from bob's side, names anna, or her pair's key with both).
func wantOnlyBob(t *testing.T, f *fixture, what, body string) {
	t.Helper()
	if !strings.Contains(body, bobAddr) && !strings.Contains(body, me) {
		t.Errorf("%s: bob's own pair is missing:\n%.2000s", what, body)
	}
	for _, o := range others(f) {
		if strings.Contains(strings.ToLower(body), o) {
			t.Errorf("%s: bob sees %s", what, o)
		}
	}
}

func (f *fixture) allActions(t *testing.T) []agenda.Action {
	t.Helper()
	acts, err := f.store.Actions(calendar.Pair{})
	if err != nil {
		t.Fatal(err)
	}
	return acts
}

func TestProxyViewerSeesOwnPairs(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	chenPair := calendar.NewPair(me, chenAddr)
	chenAct, err := f.store.AddAction(agenda.Action{Pair: chenPair, Owner: me, Text: "chen's secret action", Since: f.now.AddDate(0, 0, -2), Origin: "store"})
	if err != nil {
		t.Fatal(err)
	}
	chenPoint, err := f.store.AddPoint(agenda.Point{Pair: chenPair, Author: chenAddr, Text: "chen's secret point", Added: f.now.AddDate(0, 0, -1), Origin: "store"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.AddPoint(agenda.Point{Pair: bobPair(), Author: bobAddr, Text: "bob's point", Added: f.now.AddDate(0, 0, -1), Origin: "store"}); err != nil {
		t.Fatal(err)
	}
	f.health.set([]web.SourceHealth{
		{Source: "team", Stale: true, LastError: "team is down"},
		{Source: "ws/chen@example.com", Stale: true, LastError: "chen's calendar is down"},
	})
	p, _ := proxied(t, f, proxyOptions{})
	bob := as("  Bob@Example.COM ") // normalised: trimmed, lower-cased
	// Of the stale sources, bob hears of his own pair's only.
	if r := p.get("/api/report", bob); !strings.Contains(r.Body, "team is down") || strings.Contains(r.Body, "chen") {
		t.Errorf("/api/report as bob: the stale sources are not his own:\n%.3000s", r.Body)
	}
	f.health.set(nil)

	// The figures: only bob's pair.
	sums := decode[[]report.PairSummary](t, p.get("/api/series", bob))
	if len(sums) != 1 || sums[0].Pair != bobPair().String() {
		t.Errorf("/api/series as bob: %d pairs %+v, want only %s", len(sums), sums, bobPair())
	}
	// Told from bob's side: anna is the other one of it, his manager.
	if len(sums) == 1 && (sums[0].Me != bobAddr || sums[0].Counterpart != me || sums[0].Relationship != "manager") {
		t.Errorf("/api/series as bob: me %q, counterpart %q, relationship %q; want %s, %s, manager", sums[0].Me, sums[0].Counterpart, sums[0].Relationship, bobAddr, me)
	}
	for _, path := range []string{"/api/report", "/api/report?format=text", "/api/series?format=text", "/", "/series"} {
		r := p.get(path, bob)
		wantCode(t, path, r, http.StatusOK)
		wantOnlyBob(t, f, path, r.Body)
	}
	// Anna, one of every pair, sees them all (as identity.me does today).
	if sums := decode[[]report.PairSummary](t, p.get("/api/series", as(me))); len(sums) < 3 {
		t.Errorf("/api/series as anna: %d pairs, want all of hers", len(sums))
	}

	// Actions and points: bob's pair's only.
	acts := decode[[]agenda.ActionView](t, p.get("/api/actions?all=1", bob))
	if len(acts) != 3 {
		t.Errorf("/api/actions?all=1 as bob: %d actions, want bob's 3: %+v", len(acts), acts)
	}
	for _, a := range acts {
		if a.Pair != bobPair().String() {
			t.Errorf("/api/actions as bob shows %+v", a)
		}
	}
	points := decode[[]web.PointView](t, p.get("/api/points", bob))
	if len(points) != 1 || points[0].Text != "bob's point" || points[0].With != me {
		t.Errorf("/api/points as bob: %+v, want bob's point only, with anna", points)
	}
	for _, path := range []string{"/api/actions", "/api/points?all=1", "/api/actions?with=" + url.QueryEscape(me)} {
		r := p.get(path, bob)
		wantCode(t, path, r, http.StatusOK)
		if strings.Contains(r.Body, "chen") {
			t.Errorf("%s as bob shows chen's:\n%s", path, r.Body)
		}
	}

	// Pair pages: his own is there, another's is answered as one that
	// does not exist.
	wantCode(t, "bob's pair page", p.get(pairPath(bobAddr), bob), http.StatusOK)
	wantCode(t, "bob's history.csv", p.get(pairPath(bobAddr)+"/history.csv", bob), http.StatusOK)
	wantCode(t, "bob's /api/history", p.get("/api/history?with="+url.QueryEscape(me), bob), http.StatusOK)
	other := p.get(pagePath(chenPair), bob)
	wantCode(t, "chen's pair page as bob", other, http.StatusNotFound)
	none := p.get(pairPath("nobody@example.com"), bob)
	if strings.ReplaceAll(other.Body, chenAddr, "X") != strings.ReplaceAll(none.Body, "nobody@example.com", "X") {
		t.Errorf("another's pair page differs from no pair's:\n%s\n---\n%s", other.Body, none.Body)
	}
	if strings.Contains(other.Body, "Chen Wei") {
		t.Error("chen's pair page as bob names chen")
	}
	wantCode(t, "chen's history.csv as bob", p.get(pagePath(chenPair)+"/history.csv", bob), http.StatusNotFound)
	wantCode(t, "chen's /api/history as bob", p.get("/api/history?with="+chenAddr, bob), http.StatusNotFound)
	wantCode(t, "chen's pair page as chen", p.get(pagePath(chenPair), as(chenAddr)), http.StatusOK)

	// Writes to another's pair: refused, nothing stored or changed.
	before := f.allActions(t)
	r := p.request(http.MethodPost, "/api/actions", `{"with":"`+chenAddr+`","text":"sneak in"}`, append(jsonHeaders, bob)...)
	wantCode(t, "bob adds an action with chen", r, http.StatusUnprocessableEntity)
	r = p.request(http.MethodPost, "/api/points", `{"with":"`+chenAddr+`","text":"sneak in"}`, append(jsonHeaders, bob)...)
	wantCode(t, "bob adds a point with chen", r, http.StatusUnprocessableEntity)
	r = p.request(http.MethodPatch, "/api/actions/"+chenAct.ID, `{"done":true}`, append(jsonHeaders, bob)...)
	wantCode(t, "bob ticks chen's action", r, http.StatusNotFound)
	r = p.request(http.MethodDelete, "/api/actions/"+chenAct.ID, "", bob)
	wantCode(t, "bob deletes chen's action", r, http.StatusNotFound)
	if missing := p.request(http.MethodDelete, "/api/actions/99999", "", bob); strings.ReplaceAll(r.Body, chenAct.ID, "N") != strings.ReplaceAll(missing.Body, "99999", "N") {
		t.Errorf("another's action is answered unlike a missing one:\n%s\n%s", r.Body, missing.Body)
	}
	r = p.request(http.MethodPatch, "/api/points/"+chenPoint.ID, `{"discussed":true}`, append(jsonHeaders, bob)...)
	wantCode(t, "bob marks chen's point", r, http.StatusNotFound)
	r = p.request(http.MethodDelete, "/api/points/"+chenPoint.ID, "", bob)
	wantCode(t, "bob deletes chen's point", r, http.StatusNotFound)
	after := f.allActions(t)
	if len(after) != len(before) {
		t.Errorf("actions: %d before, %d after bob's refused writes", len(before), len(after))
	}
	if a, ok, err := f.store.Action(chenAct.ID); err != nil || !ok || !a.Done.IsZero() {
		t.Errorf("chen's action after bob's writes: %+v %v %v", a, ok, err)
	}
	if pt, ok, err := f.store.Point(chenPoint.ID); err != nil || !ok || !pt.Open() {
		t.Errorf("chen's point after bob's writes: %+v %v %v", pt, ok, err)
	}

	// His own: he adds one with anna, and owns it.
	r = p.request(http.MethodPost, "/api/actions", `{"with":"`+me+`","text":"bring the plan"}`, append(jsonHeaders, bob)...)
	wantCode(t, "bob adds an action with anna", r, http.StatusCreated)
	if a := decode[agenda.ActionView](t, r); a.Pair != bobPair().String() || a.Owner != bobAddr {
		t.Errorf("bob's new action: %+v", a)
	}
}

// A peer outside web.trusted_proxies is refused whatever its header says,
// and nothing runs: here the loopback peer of the test is untrusted.
func TestProxyUntrustedPeerRefused(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	p, logs := proxied(t, f, proxyOptions{trusted: []string{"10.0.0.0/8"}})
	admin := as(me)
	for _, path := range []string{"/api/report", "/", pairPath(bobAddr), "/api/actions", "/metrics", "/healthz"} {
		r := p.get(path, admin)
		wantCode(t, path+" from an untrusted peer", r, http.StatusForbidden)
		if strings.Contains(r.Body, bobAddr) || !strings.Contains(r.Body, "trusted_proxies") {
			t.Errorf("%s: the refusal says %q", path, r.Body)
		}
	}
	before := f.allActions(t)
	r := p.request(http.MethodPost, "/api/actions", `{"with":"`+bobAddr+`","text":"from outside"}`, append(jsonHeaders, admin)...)
	wantCode(t, "POST /api/actions from an untrusted peer", r, http.StatusForbidden)
	if after := f.allActions(t); len(after) != len(before) {
		t.Errorf("an untrusted peer stored an action: %d → %d", len(before), len(after))
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "remote=127.0.0.1:") {
		t.Errorf("no warning naming the peer:\n%s", l)
	}
}

// From a trusted proxy, no address in the header is 401.
func TestProxyMissingHeader(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	p, _ := proxied(t, f, proxyOptions{})
	for _, h := range []string{"", proxyHeader + ":  ", as("bob"), as("bob@example.com, chen@example.com"), "X-Forwarded-User: " + bobAddr} {
		for _, path := range []string{"/api/report", "/", "/api/points"} {
			r := p.get(path, h)
			wantCode(t, path+" with "+strings.TrimSpace(h), r, http.StatusUnauthorized)
			if strings.Contains(r.Body, bobAddr) && !strings.Contains(h, bobAddr) {
				t.Errorf("%s: the refusal shows data:\n%s", path, r.Body)
			}
		}
	}
	// The header twice (a browser's and the proxy's): neither counts.
	req, err := http.NewRequest(http.MethodGet, p.srv.URL+"/api/series", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Add(proxyHeader, me)
	req.Header.Add(proxyHeader, bobAddr)
	resp, err := p.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the header twice: %d, want 401", resp.StatusCode)
	}
	before := f.allActions(t)
	r := p.request(http.MethodPost, "/api/actions", `{"with":"`+bobAddr+`","text":"anonymous"}`, jsonHeaders...)
	wantCode(t, "POST /api/actions without a viewer", r, http.StatusUnauthorized)
	if after := f.allActions(t); len(after) != len(before) {
		t.Errorf("an anonymous request stored an action")
	}
	// /healthz asks for the trusted peer only.
	if r := p.get("/healthz"); r.Code == http.StatusUnauthorized || r.Code == http.StatusForbidden {
		t.Errorf("/healthz from the trusted proxy without a viewer: %d", r.Code)
	}
}

// requireAdmin: /metrics, POST /api/sync and the shared pages' key
// rotation are web.admins' behind the proxy.
func TestProxyAdminOnly(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	p, _ := proxied(t, f, proxyOptions{admins: []string{"boss@example.com"}})
	wantCode(t, "/metrics as an admin", p.get("/metrics", as("Boss@example.com")), http.StatusOK)
	wantCode(t, "/metrics as bob", p.get("/metrics", as(bobAddr)), http.StatusForbidden)
	wantCode(t, "/metrics as anna (identity.me, no admin)", p.get("/metrics", as(me)), http.StatusForbidden)
	wantCode(t, "POST /api/sync as bob", p.request(http.MethodPost, "/api/sync", "", as(bobAddr)), http.StatusForbidden)
	wantCode(t, "POST /api/sync as an admin", p.request(http.MethodPost, "/api/sync", "", as("boss@example.com")), http.StatusOK)
	// An admin sees their own pairs, not everyone's: the boss has none.
	if sums := decode[[]report.PairSummary](t, p.get("/api/series", as("boss@example.com"))); len(sums) != 0 {
		t.Errorf("the admin sees %d pairs of others", len(sums))
	}
	// In token mode whoever passed the token is an admin.
	wantCode(t, "/metrics in token mode", f.get("/metrics"), http.StatusOK)
}

// Behind the proxy the token is not asked of browsers and the Host rule
// is off (the proxy sends the public name); the origin check stays.
func TestProxyNoTokenNoHostRule(t *testing.T) {
	f := newFixture(t, fixtureOptions{token: testToken})
	p, _ := proxied(t, f, proxyOptions{token: testToken})
	wantCode(t, "as bob without the token", p.get("/api/series", as(bobAddr)), http.StatusOK)
	wantCode(t, "as bob under the public name", p.get("/", as(bobAddr), "Host: 1on1.example.com"), http.StatusOK)
	r := p.request(http.MethodPost, "/api/actions", `{"with":"`+me+`","text":"x"}`, append(jsonHeaders, as(bobAddr), "Host: 1on1.example.com", "Origin: https://evil.example")...)
	wantCode(t, "a cross-site post behind the proxy", r, http.StatusForbidden)
	// The token's server is unchanged: no token, 401.
	wantCode(t, "token mode without the token", f.get("/api/series"), http.StatusUnauthorized)
}

// The control socket's API sees every pair and needs no viewer.
func TestProxyControlSocketFull(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	p, _ := proxied(t, f, proxyOptions{})
	c := *f
	c.srv = httptest.NewServer(p.server.ControlHandler())
	t.Cleanup(c.srv.Close)
	sums := decode[[]report.PairSummary](t, c.get("/api/series"))
	if len(sums) < 3 {
		t.Errorf("control socket: %d pairs, want all", len(sums))
	}
	wantCode(t, "control POST /api/sync", c.request(http.MethodPost, "/api/sync", ""), http.StatusOK)
}

// A shared page (/s/…) works behind the proxy as before: its link is its
// credential, no viewer needed.
func TestProxySharePage(t *testing.T) {
	sf := newShareFixture(t, "")
	p, _ := proxied(t, sf.fixture, proxyOptions{share: sf.links})
	r := p.get("/s/" + sf.tok)
	wantCode(t, "the shared page behind the proxy", r, http.StatusOK)
	if !strings.Contains(r.Body, "send the Q4 hiring plan draft") {
		t.Errorf("the shared page lacks bob's action:\n%.1500s", r.Body)
	}
}

func pagePath(p calendar.Pair) string { return "/pair/" + url.PathEscape(p.String()) }

// TestProxyRollup: behind the sign-in proxy the roll-up is for web.admins
// only, and it is everyone's (every person of identity.me, from the whole
// store), not the admin's own pairs as the report is; the others get 403,
// and an untrusted peer gets 403 whoever it claims to be.
func TestProxyRollup(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	p, _ := proxied(t, f, proxyOptions{admins: []string{"boss@example.com"}})
	for _, path := range []string{"/rollup", "/api/rollup"} {
		wantCode(t, path+" as bob", p.get(path, as(bobAddr)), http.StatusForbidden)
		wantCode(t, path+" as anna (identity.me, no admin)", p.get(path, as(me)), http.StatusForbidden)
		wantCode(t, path+" as an admin", p.get(path, as("boss@example.com")), http.StatusOK)
	}
	ru := decode[designRollup](t, p.get("/api/rollup", as("boss@example.com")))
	want := decode[designRollup](t, f.get("/api/rollup"))
	if len(ru.People) != 1 || ru.People[0].Person != me || ru.People[0].Due == 0 {
		t.Fatalf("the admin's roll-up: %+v, want %s's figures", ru.People, me)
	}
	if ru.People[0] != want.People[0] {
		t.Errorf("the admin's roll-up %+v, the one of token mode %+v", ru.People[0], want.People[0])
	}
	u, _ := proxied(t, f, proxyOptions{admins: []string{"boss@example.com"}, trusted: []string{"10.0.0.0/8"}})
	if r := u.get("/api/rollup", as("boss@example.com")); r.Code != http.StatusForbidden || strings.Contains(r.Body, me) {
		t.Errorf("an untrusted peer claiming the admin: %d %s", r.Code, r.Body)
	}
}
