package web_test

import (
	"encoding/json"
	"html"
	"strings"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/internal/agendatest"
	"oneonone/web"
)

// lastHeld is the start of bob's latest 1:1 that took place before t, by
// the seed's expectations.
func (f *fixture) lastHeld(t *testing.T, before time.Time) time.Time {
	t.Helper()
	var last time.Time
	for _, e := range f.team.Expect {
		switch e.State {
		case calendar.StateHeld, calendar.StatePostponed, calendar.StateAdvanced:
		default:
			continue
		}
		if e.Counterpart == bobAddr && !e.Start.After(before) && e.Start.After(last) {
			last = e.Start
		}
	}
	if last.IsZero() {
		t.Fatal("the seed has no 1:1 of bob held")
	}
	return last
}

// addStoredPoint stores a point of bob's pair added at added.
func (f *fixture) addStoredPoint(t *testing.T, text string, added time.Time) agenda.Point {
	t.Helper()
	p, err := agenda.NewPoint(agenda.PointInput{Me: []string{me}, With: bobAddr, Text: text, Now: added})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = f.store.AddPoint(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPointsRoundTrip(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := f.request("POST", "/api/points", `{"with":"Bob@Example.com","text":"  the offsite  ","author":"BOB@example.com"}`, jsonHeaders...)
	wantCode(t, "add", r, 201)
	p := decode[web.PointView](t, r)
	if p.ID == "" || r.Header.Get("Location") != "/api/points/"+p.ID {
		t.Errorf("id %q, Location %q", p.ID, r.Header.Get("Location"))
	}
	if p.Author != bobAddr || p.With != bobAddr || p.Text != "the offsite" || p.Origin != "store" ||
		!p.Added.Equal(fixedNow) || !p.Discussed.IsZero() || !p.Meeting.IsZero() || p.Pair != me+"|"+bobAddr {
		t.Errorf("added %+v", p)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(r.Body), &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["discussed"]; ok {
		t.Errorf("an open point has a discussed field: %s", r.Body)
	}
	if stored, ok, err := f.store.Point(p.ID); err != nil || !ok || stored.Text != "the offsite" {
		t.Fatalf("stored %+v %v %v", stored, ok, err)
	}

	// An older point, marked discussed: in bob's latest 1:1 held.
	old := f.addStoredPoint(t, "the hiring plan", fixedNow.AddDate(0, 0, -30))
	list := decode[[]web.PointView](t, f.get("/api/points?with=bob@example.com"))
	if len(list) != 2 || list[0].ID != old.ID || list[1].ID != p.ID {
		t.Fatalf("open points, oldest first: %+v", list)
	}
	f.clock.Add(time.Hour)
	r = f.request("PATCH", "/api/points/"+old.ID, `{"discussed":true}`, jsonHeaders...)
	wantCode(t, "discussed", r, 200)
	got := decode[web.PointView](t, r)
	if want := f.lastHeld(t, fixedNow); !got.Meeting.Equal(want) || !got.Discussed.Equal(fixedNow.Add(time.Hour)) {
		t.Errorf("discussed %v in %v, want at %v in %v", got.Discussed, got.Meeting, fixedNow.Add(time.Hour), want)
	}
	// Discussed again keeps when and where.
	f.clock.Add(time.Hour)
	if again := decode[web.PointView](t, f.request("PATCH", "/api/points/"+old.ID, `{"discussed":true}`, jsonHeaders...)); !again.Discussed.Equal(got.Discussed) || !again.Meeting.Equal(got.Meeting) {
		t.Errorf("discussed twice: %+v, want %+v", again, got)
	}
	// The new one, added after every 1:1 held: discussed outside any.
	if now := decode[web.PointView](t, f.request("PATCH", "/api/points/"+p.ID, `{"discussed":true}`, jsonHeaders...)); !now.Meeting.Equal(fixedNow.Add(2 * time.Hour)) {
		t.Errorf("a point newer than every 1:1: meeting %v, want when it was marked", now.Meeting)
	}
	if list := decode[[]web.PointView](t, f.get("/api/points")); len(list) != 0 {
		t.Errorf("open points after both discussed: %+v", list)
	}
	if list := decode[[]web.PointView](t, f.get("/api/points?with=bob@example.com&all=1")); len(list) != 2 || list[0].Meeting.IsZero() {
		t.Errorf("all=1: %+v", list)
	}
	r = f.request("PATCH", "/api/points/"+old.ID, `{"discussed":false}`, jsonHeaders...)
	wantCode(t, "reopen", r, 200)
	if got := decode[web.PointView](t, r); !got.Discussed.IsZero() || !got.Meeting.IsZero() {
		t.Errorf("reopened: %+v", got)
	}

	r = f.request("DELETE", "/api/points/"+p.ID, "", jsonHeaders...)
	wantCode(t, "delete", r, 200)
	if got := decode[web.PointView](t, r); got.ID != p.ID || got.Text != "the offsite" {
		t.Errorf("deleted %+v", got)
	}
	for _, m := range []struct{ method, body string }{{"DELETE", ""}, {"PATCH", `{"discussed":true}`}} {
		r = f.request(m.method, "/api/points/"+p.ID, m.body, jsonHeaders...)
		wantCode(t, m.method+" of a deleted point", r, 404)
		if e := decode[map[string]string](t, r); !strings.Contains(e["error"], "no talking point") {
			t.Errorf("%s 404: %v", m.method, e)
		}
	}
}

func TestPointsValidation(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, tt := range []struct {
		name, method, path, body, field string
	}{
		{"no with", "POST", "/api/points", `{"text":"x"}`, "with"},
		{"bad with", "POST", "/api/points", `{"with":"bob","text":"x"}`, "with"},
		{"with is me", "POST", "/api/points", `{"with":"anna@example.com","text":"x"}`, "with"},
		{"no text", "POST", "/api/points", `{"with":"bob@example.com","text":"   "}`, "text"},
		{"text over the point limit", "POST", "/api/points", `{"with":"bob@example.com","text":"` + strings.Repeat("a", agenda.MaxPointText+1) + `"}`, "text"},
		{"NUL in text", "POST", "/api/points", `{"with":"bob@example.com","text":"a\u0000b"}`, "text"},
		{"author outside the pair", "POST", "/api/points", `{"with":"bob@example.com","text":"x","author":"carl@example.com"}`, "owner"},
		{"a due date", "POST", "/api/points", `{"with":"bob@example.com","text":"x","due":"2026-11-27"}`, "due"},
		{"not json", "POST", "/api/points", `with=bob`, "body"},
		{"two objects", "POST", "/api/points", `{"with":"bob@example.com","text":"x"}{}`, "body"},
		{"no change", "PATCH", "/api/points/p1", `{}`, "discussed"},
		{"discussed not bool", "PATCH", "/api/points/p1", `{"discussed":"yes"}`, "discussed"},
		{"a text edit", "PATCH", "/api/points/p1", `{"text":"y"}`, "text"},
		{"bad with in list", "GET", "/api/points?with=nobody", "", "with"},
		{"bad all", "GET", "/api/points?all=yes", "", "all"},
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
	// A counterpart of no known 1:1: 422, and taken with force.
	r := f.request("POST", "/api/points", `{"with":"carl@example.com","text":"x"}`, jsonHeaders...)
	wantCode(t, "unknown counterpart", r, 422)
	if e := decode[map[string]string](t, r); e["field"] != "with" || !strings.Contains(e["error"], `"force": true`) {
		t.Errorf("422: %v", e)
	}
	if ps, _ := f.store.Points(calendar.Pair{}); len(ps) != 0 {
		t.Errorf("stored after refused requests: %+v", ps)
	}
	wantCode(t, "forced", f.request("POST", "/api/points", `{"with":"carl@example.com","text":"x","force":true}`, jsonHeaders...), 201)
}

// TestPointsRefusedAsOnTheCommandLine: POST /api/points refuses the cases
// of agendatest.Refusals (the due date aside: a point has none), naming
// the same field.
func TestPointsRefusedAsOnTheCommandLine(t *testing.T) {
	f := newFixture(t, fixtureOptions{me: agendatest.Me})
	for _, tt := range agendatest.Refusals {
		if tt.Due != "" {
			continue
		}
		t.Run(tt.Name, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"with": tt.With, "text": tt.Text, "author": tt.Owner, "force": true})
			r := f.request("POST", "/api/points", string(b), jsonHeaders...)
			wantCode(t, tt.Name, r, 400)
			if e := decode[map[string]string](t, r); e["field"] != tt.Field || len(e) != 2 {
				t.Errorf("error %v, want it to name %q", e, tt.Field)
			}
		})
	}
}

// TestPointsAuth: /api/points takes the token and the cross-site rules of
// /api/actions.
func TestPointsAuth(t *testing.T) {
	f := newFixture(t, fixtureOptions{token: testToken})
	add := `{"with":"bob@example.com","text":"x"}`
	bearer := "Authorization: Bearer " + testToken
	for _, tt := range []struct {
		name, method, path, body string
		headers                  []string
		code                     int
	}{
		{"list without the token", "GET", "/api/points", "", nil, 401},
		{"add without the token", "POST", "/api/points", add, jsonHeaders, 401},
		{"patch with a wrong token", "PATCH", "/api/points/p1", `{"discussed":true}`, []string{"Content-Type: application/json", "Authorization: Bearer wrong-token-0123456789abcdef"}, 401},
		{"delete without the token", "DELETE", "/api/points/p1", "", nil, 401},
		{"add from another site", "POST", "/api/points", add, []string{bearer, "Content-Type: application/json", "Origin: https://evil.example"}, 403},
		{"delete from another site", "DELETE", "/api/points/p1", "", []string{bearer, "Sec-Fetch-Site: cross-site"}, 403},
		{"add as a form", "POST", "/api/points", "with=bob@example.com&text=x", []string{bearer, "Content-Type: application/x-www-form-urlencoded"}, 415},
		{"add with the token", "POST", "/api/points", add, []string{bearer, "Content-Type: application/json"}, 201},
		{"list with the token", "GET", "/api/points", "", []string{bearer}, 200},
		{"wrong method", "PUT", "/api/points/p1", add, []string{bearer, "Content-Type: application/json"}, 405},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.name, f.request(tt.method, tt.path, tt.body, tt.headers...), tt.code)
		})
	}
	if ps, _ := f.store.Points(calendar.Pair{}); len(ps) != 1 {
		t.Errorf("%d points stored, want the one added with the token", len(ps))
	}
	// A body over the API's limit.
	big := `{"with":"bob@example.com","text":"` + strings.Repeat("a", 2<<20) + `"}`
	if r := f.request("POST", "/api/points", big, bearer, "Content-Type: application/json"); r.Code != 400 && r.Code != 413 {
		t.Errorf("a body of 2 MiB: status %d", r.Code)
	}
}

// TestPairPageTimeline: the pair page's "After" section lists the open
// points, and at each 1:1 held the points discussed in it and the actions
// opened and done since the one before; escaped.
func TestPairPageTimeline(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	last := f.lastHeld(t, fixedNow)
	prev := f.lastHeld(t, last.Add(-time.Minute))
	discussed := f.addStoredPoint(t, "the <b>hiring</b> plan", prev.Add(-time.Hour))
	f.addStoredPoint(t, "the offsite & the budget", fixedNow.Add(-time.Hour))
	if _, _, err := f.store.SetPointDiscussed(discussed.ID, last.Add(10*time.Minute), last); err != nil {
		t.Fatal(err)
	}
	for _, a := range []agenda.Action{
		{Pair: calendar.NewPair(me, bobAddr), Owner: me, Text: "opened between", Since: prev.Add(time.Hour), Origin: "store"},
		{Pair: calendar.NewPair(me, bobAddr), Owner: me, Text: "closed between", Since: prev.Add(-48 * time.Hour), Done: last.Add(-time.Hour), Origin: "store"},
	} {
		if _, err := f.store.AddAction(a); err != nil {
			t.Fatal(err)
		}
	}
	r := f.get(pairPath(bobAddr))
	wantCode(t, "pair page", r, 200)
	_, after, ok := strings.Cut(r.Body, `<h2 id="after">After</h2>`)
	if !ok {
		t.Fatalf("no After section:\n%s", r.Body)
	}
	after, _, _ = strings.Cut(after, "</section>")
	next, tl, ok := strings.Cut(after, `<ol class="timeline">`)
	if !ok {
		t.Fatalf("no timeline:\n%s", after)
	}
	if !strings.Contains(next, html.EscapeString("the offsite & the budget")) || strings.Contains(next, "hiring") {
		t.Errorf("the next 1:1's points are not the open one:\n%s", next)
	}
	items := strings.Split(tl, "<li><time ")
	if len(items) < 3 {
		t.Fatalf("fewer than two meetings:\n%s", tl)
	}
	newest, second := items[1], items[2]
	if !strings.Contains(newest, ">"+last.In(berlin).Format("Mon 2 Jan 2006 15:04")+"</time>") {
		t.Errorf("the newest meeting is not the last held (%v):\n%s", last, newest)
	}
	if !strings.Contains(newest, html.EscapeString("the <b>hiring</b> plan")) || strings.Contains(newest, "<b>hiring</b>") {
		t.Errorf("the point discussed in the last 1:1 is not listed under it, escaped:\n%s", newest)
	}
	if !strings.Contains(newest, "action opened: ") || !strings.Contains(newest, "opened between") {
		t.Errorf("the action opened since the meeting before is not under the last 1:1:\n%s", newest)
	}
	if !strings.Contains(newest, "action done: ") || !strings.Contains(newest, "closed between") {
		t.Errorf("the action done since the meeting before is not under the last 1:1:\n%s", newest)
	}
	if !strings.Contains(second, ">"+prev.In(berlin).Format("Mon 2 Jan 2006 15:04")+"</time>") ||
		strings.Contains(second, "opened between") || strings.Contains(second, "action done") || strings.Contains(second, "hiring") {
		t.Errorf("the meeting before lists what came after it:\n%s", second)
	}
	// Oldest meeting shown is within the chart's 26 weeks.
	if n := strings.Count(tl, "<li><time "); n > 26*2 {
		t.Errorf("%d meetings in the timeline", n)
	}
}
