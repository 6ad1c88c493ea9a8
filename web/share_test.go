package web_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/store"
	"oneonone/web"
)

const (
	publicURL    = "https://share.example.com/oneonone"
	publicOrigin = "https://share.example.com"
	carolAddr    = "carol@example.com"
)

// shareStore is an empty store and links over it, on a clock the test
// moves.
func shareStore(t *testing.T) (*web.ShareLinks, *clock) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: fixedNow}
	return &web.ShareLinks{Store: st, PublicURL: publicURL, Days: 30, Now: c.Now}, c
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(link, publicURL+"/s/")
	if !ok || tok == "" {
		t.Fatalf("link %q is not under %s/s/", link, publicURL)
	}
	return tok
}

func mustToken(t *testing.T, l *web.ShareLinks, p calendar.Pair) string {
	t.Helper()
	link, _, err := l.NewLink(p)
	if err != nil {
		t.Fatal(err)
	}
	return tokenOf(t, link)
}

func wantRefused(t *testing.T, l *web.ShareLinks, what, tok string, want error) {
	t.Helper()
	if _, err := l.Verify(tok); !errors.Is(err, want) {
		t.Errorf("%s: Verify = %v, want %v", what, err, want)
	}
}

// TestShareTokenRoundTrip: a link names its pair, is the same all through
// its period (so the block is not rewritten each cycle), valid at least
// share_days from the end of its period, and refused from its expiry on.
func TestShareTokenRoundTrip(t *testing.T) {
	l, c := shareStore(t)
	bob := bobPair()
	tok := mustToken(t, l, bob)
	claims, err := l.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Pair != bob || claims.KeyID != 1 {
		t.Errorf("claims %+v, want pair %v, key 1", claims, bob)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 6 || parts[0] != "1" || parts[1] != "1" {
		t.Fatalf("token %q: want 1.<key>.<issued>.<expires>.<pair>.<mac>", tok)
	}
	if raw, _ := base64.RawURLEncoding.DecodeString(parts[4]); string(raw) != bob.String() {
		t.Errorf("token's pair %q, want %q", raw, bob)
	}
	// The same link through the period (7 days for 30 share days).
	period := 7 * 24 * time.Hour
	start := time.Unix(claims.Issued.Unix(), 0)
	if !claims.Expires.Equal(start.Add(37 * 24 * time.Hour)) {
		t.Errorf("issued %v expires %v: want 37 days after", start, claims.Expires)
	}
	c.t = start
	if got := mustToken(t, l, bob); got != tok {
		t.Errorf("at the period's start: %s, want %s", got, tok)
	}
	c.t = start.Add(period - time.Second)
	if got := mustToken(t, l, bob); got != tok {
		t.Errorf("at the period's end: %s, want %s", got, tok)
	}
	c.t = start.Add(period)
	next := mustToken(t, l, bob)
	if next == tok {
		t.Error("the next period has the same link")
	}
	// Still valid 30 days after its period ended; refused at its expiry.
	c.t = start.Add(period + 30*24*time.Hour - time.Second)
	if _, err := l.Verify(tok); err != nil {
		t.Errorf("30 days after its period: %v", err)
	}
	c.t = claims.Expires.Add(-time.Second)
	if _, err := l.Verify(tok); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	c.t = claims.Expires
	wantRefused(t, l, "at expiry", tok, web.ErrShareExpired)
	if _, err := l.Verify(next); err != nil {
		t.Errorf("the next period's link: %v", err)
	}
	// Link of nil links, or without a public URL: none.
	var none *web.ShareLinks
	if got := none.Link(bob); got != "" {
		t.Errorf("nil links: %q", got)
	}
}

// TestShareTokenRevokeRotate: a revocation refuses the pair's links made
// so far, not the next one nor another pair's; a rotation refuses every
// link made so far.
func TestShareTokenRevokeRotate(t *testing.T) {
	l, c := shareStore(t)
	bob, carol := bobPair(), calendar.NewPair(me, carolAddr)
	tokBob, tokCarol := mustToken(t, l, bob), mustToken(t, l, carol)
	if _, err := l.Revoke(bob); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, l, "revoked", tokBob, web.ErrShareRevoked)
	if _, err := l.Verify(tokCarol); err != nil {
		t.Errorf("another pair's link after a revocation: %v", err)
	}
	again := mustToken(t, l, bob)
	if again == tokBob {
		t.Fatal("the link after a revocation is the revoked one")
	}
	if _, err := l.Verify(again); err != nil {
		t.Errorf("the link after a revocation: %v", err)
	}
	// A second revocation in the same second refuses that one too.
	if _, err := l.Revoke(bob); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, l, "revoked twice", again, web.ErrShareRevoked)
	c.Add(time.Hour)
	third := mustToken(t, l, bob)
	if _, err := l.Verify(third); err != nil {
		t.Errorf("the link after two revocations: %v", err)
	}

	kid, err := l.Rotate()
	if err != nil || kid != 2 {
		t.Fatalf("Rotate = %d, %v; want key 2", kid, err)
	}
	wantRefused(t, l, "bob's after rotation", third, web.ErrShareSignature)
	wantRefused(t, l, "carol's after rotation", tokCarol, web.ErrShareSignature)
	fresh := mustToken(t, l, carol)
	if cl, err := l.Verify(fresh); err != nil || cl.KeyID != 2 {
		t.Errorf("after rotation: %+v, %v", cl, err)
	}
	keys, err := l.Store.Facts(store.FactsShareKeys).Keys("")
	if err != nil || len(keys) != 1 || keys[0] != "2" {
		t.Errorf("keys kept after rotation: %v, %v; want only 2", keys, err)
	}
}

// TestShareTokenTampered: a change of any field is refused, never taken
// for another pair; damaged tokens are refused without a panic.
func TestShareTokenTampered(t *testing.T) {
	l, _ := shareStore(t)
	bob, carol := bobPair(), calendar.NewPair(me, carolAddr)
	tok := mustToken(t, l, bob)
	parts := strings.Split(tok, ".")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, ".")
	}
	n := func(i int, d int64) string {
		v, _ := strconv.ParseInt(parts[i], 10, 64)
		return strconv.FormatInt(v+d, 10)
	}
	mac := []byte(parts[5])
	mac[3] ^= 1
	if mac[3] == '.' {
		mac[3] = 'A'
	}
	for what, bad := range map[string]string{
		"another pair":     with(4, base64.RawURLEncoding.EncodeToString([]byte(carol.String()))),
		"expiry later":     with(3, n(3, 86400)),
		"issued later":     with(2, n(2, 1)),
		"another key":      with(1, "2"),
		"signature":        with(5, string(mac)),
		"signature of 0s":  with(5, base64.RawURLEncoding.EncodeToString(make([]byte, 32))),
		"carol's mac":      with(5, strings.Split(mustToken(t, l, carol), ".")[5]),
		"expiry with zero": with(3, "0"+parts[3]),
	} {
		if _, err := l.Verify(bad); !errors.Is(err, web.ErrShareSignature) && !errors.Is(err, web.ErrShareMalformed) {
			t.Errorf("%s: Verify(%s) = %v, want a refusal", what, bad, err)
		}
	}
	for _, bad := range []string{"", ".", "1", "1.1.1.1.1", tok[:len(tok)-1], tok + "A", tok + ".", "2" + tok[1:],
		"1.1.-1.5.YQ.AAAA", "1.99999999999999999999.1.2.YQ.AA", strings.Repeat("A", 5000), "1.1.5.4." + parts[4] + "." + parts[5],
		"1.1.1.2." + base64.RawURLEncoding.EncodeToString([]byte("x|x")) + "." + parts[5], "1.1.1.2.%%%.%%%"} {
		if _, err := l.Verify(bad); !errors.Is(err, web.ErrShareMalformed) && !errors.Is(err, web.ErrShareSignature) {
			t.Errorf("Verify(%.60q) = %v, want a refusal", bad, err)
		}
	}
}

// FuzzShareToken: no input panics Verify, and what it takes is a token it
// made.
func FuzzShareToken(f *testing.F) {
	st, err := store.Open(filepath.Join(f.TempDir(), "state.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	l := &web.ShareLinks{Store: st, PublicURL: publicURL, Days: 30, Now: func() time.Time { return fixedNow }}
	made := map[string]bool{}
	for _, p := range []calendar.Pair{calendar.NewPair(me, bobAddr), calendar.NewPair(me, carolAddr)} {
		link, _, err := l.NewLink(p)
		if err != nil {
			f.Fatal(err)
		}
		tok := strings.TrimPrefix(link, publicURL+"/s/")
		made[tok] = true
		f.Add(tok)
		f.Add(tok[:len(tok)/2])
		f.Add(strings.ReplaceAll(tok, ".", ".."))
	}
	f.Add("")
	f.Add("1.1.1.1.1.1")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := l.Verify(tok)
		if err == nil && !made[tok] {
			t.Fatalf("Verify took %q (%+v), a token it never made", tok, c)
		}
	})
}

// shareFixture is the fixture's store behind a server with shared pages.
type shareFixture struct {
	*fixture
	links *web.ShareLinks
	tok   string // bob's
}

func newShareFixture(t *testing.T, token string) *shareFixture {
	t.Helper()
	f := newFixture(t, fixtureOptions{})
	links := &web.ShareLinks{Store: f.store, PublicURL: publicURL, Days: 30, Now: f.clock.Now,
		Agenda: func(p calendar.Pair) string { return "https://docs.example.com/1on1/" + p.Other(me) }}
	s, err := web.New(web.Options{
		Store: f.store, Location: berlin, Me: []string{me}, Token: token, Now: f.clock.Now, Share: links,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	g := f.with(s)
	return &shareFixture{fixture: g, links: links, tok: mustToken(t, links, bobPair())}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// page gets the shared page of tok and its form token.
func (f *shareFixture) page(tok string) (response, string) {
	f.t.Helper()
	r := f.get("/s/" + tok)
	wantCode(f.t, "the shared page", r, http.StatusOK)
	m := csrfRE.FindStringSubmatch(r.Body)
	if m == nil {
		f.t.Fatalf("no form token on the page:\n%s", r.Body)
	}
	return r, m[1]
}

// post sends a form to the shared page's path with the public origin.
func (f *shareFixture) post(path string, form url.Values, headers ...string) response {
	f.t.Helper()
	if len(headers) == 0 {
		headers = []string{"Origin: " + publicOrigin}
	}
	return f.request(http.MethodPost, path, form.Encode(), append(headers, "Content-Type: application/x-www-form-urlencoded")...)
}

// TestSharePage: the page shows the pair's open points and actions and
// nothing of another pair's, with its headers.
func TestSharePage(t *testing.T) {
	f := newShareFixture(t, testToken)
	carol := calendar.NewPair(me, carolAddr)
	for _, p := range []agenda.Point{
		{Pair: bobPair(), Author: bobAddr, Text: "the offsite budget", Added: f.now.Add(-time.Hour), Origin: "store"},
		{Pair: bobPair(), Author: me, Text: "a discussed one", Added: f.now.Add(-48 * time.Hour), Discussed: f.now.Add(-24 * time.Hour), Origin: "store"},
		{Pair: carol, Author: carolAddr, Text: "carol's secret point", Added: f.now.Add(-time.Hour), Origin: "store"},
	} {
		if _, err := f.store.AddPoint(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.store.AddAction(agenda.Action{Pair: carol, Owner: me, Text: "carol's secret action", Since: f.now, Origin: "store"}); err != nil {
		t.Fatal(err)
	}
	r, _ := f.page(f.tok)
	for _, want := range []string{"the offsite budget", "send the Q4 hiring plan draft", "book the offsite room", "https://docs.example.com/1on1/" + bobAddr, "Your 1:1 with " + me} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	for _, not := range []string{"carol", "a discussed one", "an old one", `href="/"`} {
		if strings.Contains(r.Body, not) {
			t.Errorf("the page shows %q", not)
		}
	}
	for k, want := range map[string]string{
		"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow", "X-Frame-Options": "DENY", "Cache-Control": "no-store",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q", csp)
	}
	if r.Header.Get("Set-Cookie") != "" {
		t.Errorf("the shared page sets a cookie: %s", r.Header.Get("Set-Cookie"))
	}
	if !strings.Contains(r.Body, `<meta name="robots" content="noindex, nofollow">`) {
		t.Error("no robots meta")
	}
}

// TestShareReachesNothingElse: the share token is no credential for any
// other route; the shared page needs no web.token.
func TestShareReachesNothingElse(t *testing.T) {
	f := newShareFixture(t, testToken)
	wantCode(t, "the shared page without web.token", f.get("/s/"+f.tok), http.StatusOK)
	for _, path := range []string{"/", "/api/report", "/api/actions?with=" + bobAddr, pairPath(bobAddr), "/series", "/api/share/link?with=" + bobAddr, "/s/../api/report"} {
		for _, h := range []string{"Authorization: Bearer " + f.tok, "Cookie: " + cookieName + "=" + f.tok} {
			r := f.get(path, h)
			if r.Code != http.StatusUnauthorized && r.Code != http.StatusMovedPermanently {
				t.Errorf("GET %s with %s: %d, want 401", path, strings.Split(h, ":")[0], r.Code)
			}
		}
	}
	r := f.request(http.MethodPost, "/api/actions", `{"with":"`+bobAddr+`","text":"x"}`, "Authorization: Bearer "+f.tok, "Content-Type: application/json")
	wantCode(t, "POST /api/actions with the share token", r, http.StatusUnauthorized)
}

// TestShareForms: adding a point (author: the counterpart), ticking an
// action done and a point discussed; another pair's items are 404.
func TestShareForms(t *testing.T) {
	f := newShareFixture(t, testToken)
	_, csrf := f.page(f.tok)
	r := f.post("/s/"+f.tok+"/points", url.Values{"csrf": {csrf}, "text": {"  the offsite budget "}})
	wantCode(t, "add a point", r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "../"+f.tok+"?ok=point" {
		t.Errorf("Location %q: want relative to the page", loc)
	}
	points, err := f.store.Points(bobPair())
	if err != nil || len(points) != 1 {
		t.Fatalf("points %v, %v", points, err)
	}
	if p := points[0]; p.Author != bobAddr || p.Text != "the offsite budget" || !p.Added.Equal(f.now) || p.Origin != agenda.OriginStore {
		t.Errorf("stored %+v", p)
	}
	if pg, _ := f.page(f.tok + "?ok=point"); !strings.Contains(pg.Body, "the offsite budget") || !strings.Contains(pg.Body, "Added.") {
		t.Errorf("the page after adding does not show the point")
	}

	// The action "send the Q4 hiring plan draft" is 1; carol's is another.
	carolAct, err := f.store.AddAction(agenda.Action{Pair: calendar.NewPair(me, carolAddr), Owner: me, Text: "carol's", Since: f.now, Origin: "store"})
	if err != nil {
		t.Fatal(err)
	}
	carolPoint, err := f.store.AddPoint(agenda.Point{Pair: calendar.NewPair(me, carolAddr), Author: me, Text: "carol's", Added: f.now, Origin: "store"})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"csrf": {csrf}}
	r = f.post("/s/"+f.tok+"/actions/1/done", form)
	wantCode(t, "tick action 1", r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "../../../"+f.tok+"?ok=done" {
		t.Errorf("Location %q", loc)
	}
	if a, _, _ := f.store.Action("1"); !a.Done.Equal(f.now) {
		t.Errorf("action 1 after the tick: %+v", a)
	}
	r = f.post("/s/"+f.tok+"/points/"+points[0].ID+"/discussed", form)
	wantCode(t, "tick the point", r, http.StatusSeeOther)
	if p, _, _ := f.store.Point(points[0].ID); p.Open() {
		t.Errorf("the point after the tick: %+v", p)
	}
	for _, path := range []string{"/actions/" + carolAct.ID + "/done", "/actions/999/done", "/points/" + carolPoint.ID + "/discussed", "/points/p999/discussed"} {
		wantCode(t, "POST "+path, f.post("/s/"+f.tok+path, form), http.StatusNotFound)
	}
	if a, _, _ := f.store.Action(carolAct.ID); !a.Done.IsZero() {
		t.Error("carol's action was ticked")
	}
	if p, _, _ := f.store.Point(carolPoint.ID); !p.Open() {
		t.Error("carol's point was ticked")
	}
	pg, _ := f.page(f.tok)
	if strings.Contains(pg.Body, "send the Q4 hiring plan draft") || strings.Contains(pg.Body, "the offsite budget") {
		t.Error("the page still shows the ticked items")
	}

	// Refusals of the text.
	wantCode(t, "empty text", f.post("/s/"+f.tok+"/points", url.Values{"csrf": {csrf}, "text": {"  "}}), http.StatusBadRequest)
	wantCode(t, "too long", f.post("/s/"+f.tok+"/points", url.Values{"csrf": {csrf}, "text": {strings.Repeat("é", agenda.MaxPointText+1)}}), http.StatusBadRequest)
	wantCode(t, "body too large", f.post("/s/"+f.tok+"/points", url.Values{"csrf": {csrf}, "text": {strings.Repeat("x", 20<<10)}}), http.StatusRequestEntityTooLarge)
}

// TestShareDiscussedInTheMeetingBegun: a point ticked on the shared page
// during a 1:1 that has begun, before a sync has seen it begin (still
// stored as upcoming), was discussed in that 1:1, as a tick in the
// calendar says (agenda.BegunStarts).
func TestShareDiscussedInTheMeetingBegun(t *testing.T) {
	f := newShareFixture(t, testToken)
	var next time.Time
	series, err := f.store.Series()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range series {
		if s.Pair != bobPair() {
			continue
		}
		occ, err := f.store.Occurrences(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range occ {
			if o.State == calendar.StateUpcoming && !o.Vanished && (next.IsZero() || o.Start.Before(next)) {
				next = o.Start
			}
		}
	}
	if next.IsZero() {
		t.Fatal("bob has no upcoming 1:1 in the fixture")
	}
	p, err := f.store.AddPoint(agenda.Point{Pair: bobPair(), Author: bobAddr, Text: "the offsite budget", Added: f.now, Origin: agenda.OriginStore})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(next.Add(10 * time.Minute).Sub(f.now))
	_, csrf := f.page(f.tok)
	wantCode(t, "tick the point", f.post("/s/"+f.tok+"/points/"+p.ID+"/discussed", url.Values{"csrf": {csrf}}), http.StatusSeeOther)
	got, _, err := f.store.Point(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Meeting.Equal(next) {
		t.Errorf("discussed in %v, want the 1:1 that began at %v", got.Meeting, next)
	}
	want, err := agenda.BegunStarts(f.store, bobPair(), f.now.AddDate(-1, 0, 0), f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if m := agenda.DiscussedIn(p, want, got.Discussed); !got.Meeting.Equal(m) {
		t.Errorf("discussed in %v, a tick in the calendar would say %v", got.Meeting, m)
	}
}

// TestShareCSRF: forms from another site, or without the page's form
// token, are refused.
func TestShareCSRF(t *testing.T) {
	f := newShareFixture(t, "")
	_, csrf := f.page(f.tok)
	other := mustToken(t, f.links, calendar.NewPair(me, carolAddr))
	path := "/s/" + f.tok + "/actions/1/done"
	for what, tt := range map[string]struct {
		form    url.Values
		headers []string
	}{
		"no form token":          {url.Values{}, []string{"Origin: " + publicOrigin}},
		"another page's token":   {url.Values{"csrf": {csrfOf(t, f, other)}}, []string{"Origin: " + publicOrigin}},
		"another site":           {url.Values{"csrf": {csrf}}, []string{"Origin: https://evil.example"}},
		"another site's referer": {url.Values{"csrf": {csrf}}, []string{"Referer: https://evil.example/x"}},
		"null origin cross-site": {url.Values{"csrf": {csrf}}, []string{"Origin: null", "Sec-Fetch-Site: cross-site"}},
		"no origin at all":       {url.Values{"csrf": {csrf}}, []string{"Accept: text/html"}},
		"http public origin":     {url.Values{"csrf": {csrf}}, []string{"Origin: http://share.example.com"}},
	} {
		wantCode(t, what, f.post(path, tt.form, tt.headers...), http.StatusForbidden)
	}
	if a, _, _ := f.store.Action("1"); !a.Done.IsZero() {
		t.Fatal("a refused form ticked the action")
	}
	for what, h := range map[string][]string{
		"the request's origin":  {"Origin: " + f.srv.URL},
		"a same-origin referer": {"Referer: " + f.srv.URL + "/s/" + f.tok},
		"no-referrer's null":    {"Origin: null", "Sec-Fetch-Site: same-origin"},
	} {
		wantCode(t, what, f.post(path, url.Values{"csrf": {csrf}}, h...), http.StatusSeeOther)
	}
}

func csrfOf(t *testing.T, f *shareFixture, tok string) string {
	t.Helper()
	_, c := f.page(tok)
	return c
}

// TestShareRefusals: damaged 400, forged or revoked or of an old key 403,
// expired 410, each a short page.
func TestShareRefusals(t *testing.T) {
	f := newShareFixture(t, testToken)
	parts := strings.Split(f.tok, ".")
	parts[4] = base64.RawURLEncoding.EncodeToString([]byte(calendar.NewPair(me, carolAddr).String()))
	forged := strings.Join(parts, ".")
	wantCode(t, "damaged", f.get("/s/garbage"), http.StatusBadRequest)
	wantCode(t, "forged", f.get("/s/"+forged), http.StatusForbidden)
	wantCode(t, "forged post", f.post("/s/"+forged+"/points", url.Values{"text": {"x"}}), http.StatusForbidden)
	// A pair without me: signed, but not ours to show.
	strangers := mustToken(t, f.links, calendar.NewPair("x@example.com", "y@example.com"))
	wantCode(t, "strangers", f.get("/s/"+strangers), http.StatusNotFound)

	old := f.tok
	f.clock.Add(40 * 24 * time.Hour)
	r := f.get("/s/" + old)
	wantCode(t, "expired", r, http.StatusGone)
	if !strings.Contains(r.Body, "expired") || strings.Contains(r.Body, `href="/"`) {
		t.Errorf("the expired page:\n%s", r.Body)
	}
	tok := mustToken(t, f.links, bobPair())
	wantCode(t, "new link", f.get("/s/"+tok), http.StatusOK)
	if _, err := f.links.Revoke(bobPair()); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "revoked", f.get("/s/"+tok), http.StatusForbidden)
	tok = mustToken(t, f.links, bobPair())
	wantCode(t, "after revocation", f.get("/s/"+tok), http.StatusOK)
	if _, err := f.links.Rotate(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "rotated", f.get("/s/"+tok), http.StatusForbidden)
	wantCode(t, "unknown route", f.get("/s/"+tok+"/nothing"), http.StatusNotFound)
}

// TestShareRateLimit: ten writes a minute per link, sixty requests.
func TestShareRateLimit(t *testing.T) {
	f := newShareFixture(t, testToken)
	_, csrf := f.page(f.tok)
	form := url.Values{"csrf": {csrf}}
	for i := range 10 {
		wantCode(t, fmt.Sprintf("write %d", i+1), f.post("/s/"+f.tok+"/actions/1/done", form), http.StatusSeeOther)
	}
	r := f.post("/s/"+f.tok+"/actions/1/done", form)
	wantCode(t, "write 11", r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// Another link is not limited by this one's.
	other := mustToken(t, f.links, calendar.NewPair(me, carolAddr))
	wantCode(t, "another link", f.get("/s/"+other), http.StatusOK)
	f.clock.Add(6 * time.Second) // one write back
	wantCode(t, "a write 6s later", f.post("/s/"+f.tok+"/actions/1/done", form), http.StatusSeeOther)
	wantCode(t, "and then", f.post("/s/"+f.tok+"/actions/1/done", form), http.StatusTooManyRequests)

	f.clock.Add(time.Minute)
	n := 0
	for ; n < 100; n++ {
		if r := f.get("/s/" + f.tok); r.Code != http.StatusOK {
			wantCode(t, "read", r, http.StatusTooManyRequests)
			break
		}
	}
	if n != 60 {
		t.Errorf("%d reads a minute, want 60", n)
	}
}

// TestShareDailyCap: 20 points a day from the page, counted in the store.
func TestShareDailyCap(t *testing.T) {
	f := newShareFixture(t, testToken)
	_, csrf := f.page(f.tok)
	for i := range web.SharePointsPerDay {
		if i%9 == 8 {
			f.clock.Add(time.Minute) // the rate limit
		}
		wantCode(t, fmt.Sprintf("point %d", i+1), f.post("/s/"+f.tok+"/points", url.Values{"csrf": {csrf}, "text": {fmt.Sprintf("point %d", i+1)}}), http.StatusSeeOther)
	}
	f.clock.Add(time.Minute)
	r := f.post("/s/"+f.tok+"/points", url.Values{"csrf": {csrf}, "text": {"one more"}})
	wantCode(t, "point 21", r, http.StatusTooManyRequests)
	if pg, _ := f.page(f.tok); strings.Contains(pg.Body, `action="`+f.tok+`/points"`) {
		t.Error("the page still offers the form")
	}
	// My own points do not count.
	if _, err := f.store.AddPoint(agenda.Point{Pair: bobPair(), Author: me, Text: "mine", Added: f.clock.Now(), Origin: "store"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(24 * time.Hour)
	wantCode(t, "a day later", f.post("/s/"+f.tok+"/points", url.Values{"csrf": {csrf}, "text": {"one more"}}), http.StatusSeeOther)
}

// TestShareHost: without a token, the shared page is answered under the
// public URL's host too; nothing else is.
func TestShareHost(t *testing.T) {
	f := newShareFixture(t, "")
	wantCode(t, "public host", f.get("/s/"+f.tok, "Host: share.example.com"), http.StatusOK)
	wantCode(t, "public host, port 443", f.get("/s/"+f.tok, "Host: SHARE.example.com:443"), http.StatusOK)
	_, csrf := f.page(f.tok)
	wantCode(t, "post on the public host", f.post("/s/"+f.tok+"/actions/1/done", url.Values{"csrf": {csrf}}, "Host: share.example.com", "Origin: "+publicOrigin), http.StatusSeeOther)
	wantCode(t, "another host", f.get("/s/"+f.tok, "Host: evil.example"), http.StatusMisdirectedRequest)
	for _, path := range []string{"/", "/api/report", "/healthz", "/s/../api/report"} {
		wantCode(t, path+" on the public host", f.get(path, "Host: share.example.com"), http.StatusMisdirectedRequest)
	}
}

// TestShareAPI: the command line's link, revoke and rotate, on the web
// face and on the control socket; 409 without shared pages.
func TestShareAPI(t *testing.T) {
	f := newShareFixture(t, "")
	control := httptest.NewServer(f.server.ControlHandler())
	t.Cleanup(control.Close)
	for _, base := range []string{"", control.URL} {
		get := func(path string) response {
			if base == "" {
				return f.get(path)
			}
			return getURL(t, base+path)
		}
		post := func(path, body string) response {
			if base == "" {
				return f.request(http.MethodPost, path, body, jsonHeaders...)
			}
			return postURL(t, base+path, body)
		}
		r := get("/api/share/link?with=" + url.QueryEscape(strings.ToUpper(bobAddr)))
		wantCode(t, "link", r, http.StatusOK)
		got := decode[struct {
			Link, Pair string
			Expires    time.Time
		}](t, r)
		tok := tokenOf(t, got.Link)
		if _, err := f.links.Verify(tok); err != nil || got.Pair != bobPair().String() || got.Expires.IsZero() {
			t.Errorf("link %+v: %v", got, err)
		}
		wantCode(t, "link of nobody", get("/api/share/link?with=nobody@example.com"), http.StatusUnprocessableEntity)
		wantCode(t, "link of me", get("/api/share/link?with="+me), http.StatusBadRequest)
		wantCode(t, "revoke", post("/api/share/revoke", `{"with":"`+bobAddr+`"}`), http.StatusOK)
		if _, err := f.links.Verify(tok); !errors.Is(err, web.ErrShareRevoked) {
			t.Errorf("after revoke: %v", err)
		}
		wantCode(t, "revoke nothing", post("/api/share/revoke", `{}`), http.StatusBadRequest)
		wantCode(t, "rotate", post("/api/share/rotate", ``), http.StatusOK)
	}
	plain := newFixture(t, fixtureOptions{})
	wantCode(t, "no shared pages", plain.get("/api/share/link?with="+bobAddr), http.StatusConflict)
	wantCode(t, "no shared page route", plain.get("/s/"+f.tok), http.StatusNotFound)
}

func getURL(t *testing.T, u string) response {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return readResponse(t, resp)
}

func postURL(t *testing.T, u, body string) response {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return readResponse(t, resp)
}

func readResponse(t *testing.T, resp *http.Response) response {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Code: resp.StatusCode, Header: resp.Header, Body: string(b)}
}
