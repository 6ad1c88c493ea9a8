package web_test

import (
	"strings"
	"testing"

	"oneonone/calendar"
)

// TestActionsUnknownCounterpart: POST /api/actions refuses a counterpart
// of no known 1:1 (422, field "with"), storing nothing, and takes it with
// "force".
func TestActionsUnknownCounterpart(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	before, _ := f.store.Actions(calendar.Pair{})
	r := f.request("POST", "/api/actions", `{"with":"nobody@example.com","text":"x"}`, jsonHeaders...)
	wantCode(t, "unknown counterpart", r, 422)
	e := decode[map[string]string](t, r)
	if e["field"] != "with" || e["error"] != `with: no 1:1 with nobody@example.com is known (see oneonone series); "force": true to keep the action anyway` {
		t.Errorf("error %v", e)
	}
	if after, _ := f.store.Actions(calendar.Pair{}); len(after) != len(before) {
		t.Errorf("%d actions stored after the refusal, want %d", len(after), len(before))
	}
	// A field wrong as well: that field's 400 first.
	r = f.request("POST", "/api/actions", `{"with":"nobody@example.com","text":" "}`, jsonHeaders...)
	wantCode(t, "unknown counterpart, no text", r, 400)
	if e := decode[map[string]string](t, r); e["field"] != "text" {
		t.Errorf("error %v", e)
	}
	r = f.request("POST", "/api/actions", `{"with":"nobody@example.com","text":"x","force":true}`, jsonHeaders...)
	wantCode(t, "forced", r, 201)
	if a := decode[apiAction](t, r); a.With != "nobody@example.com" || a.ID == "" {
		t.Errorf("forced: %+v", a)
	}
	// A known counterpart needs no force.
	wantCode(t, "bob", f.request("POST", "/api/actions", `{"with":"bob@example.com","text":"x"}`, jsonHeaders...), 201)
}

// TestActionsEditDelete: PATCH edits a stored action's text, due date and
// owner by the constructor's rules; DELETE removes it; an agenda
// document's item is neither.
func TestActionsEditDelete(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	a := decode[apiAction](t, f.request("POST", "/api/actions", `{"with":"bob@example.com","text":"draft","due":"2026-11-27"}`, jsonHeaders...))
	path := "/api/actions/" + a.ID

	r := f.request("PATCH", path, `{"text":"  send the draft ","owner":"bob@example.com"}`, jsonHeaders...)
	wantCode(t, "edit", r, 200)
	got := decode[apiAction](t, r)
	if got.ID != a.ID || got.Text != "send the draft" || got.Owner != bobAddr || got.Due != "2026-11-27" || !got.Since.Equal(a.Since) || got.Pair != a.Pair {
		t.Errorf("edited %+v", got)
	}
	if st, _, _ := f.store.Action(a.ID); st.Text != "send the draft" || st.Owner != bobAddr {
		t.Errorf("stored %+v", st)
	}
	r = f.request("PATCH", path, `{"due":"","owner":"","done":true}`, jsonHeaders...)
	wantCode(t, "clear due, owner me, done", r, 200)
	if got := decode[apiAction](t, r); got.Due != "" || got.Owner != me || got.Done.IsZero() || got.Text != "send the draft" {
		t.Errorf("edited %+v", got)
	}
	for _, tt := range []struct{ name, body, field string }{
		{"blank text", `{"text":"  "}`, "text"},
		{"long text", `{"text":"` + strings.Repeat("a", 1001) + `"}`, "text"},
		{"owner outside", `{"owner":"carl@example.com"}`, "owner"},
		{"bad due", `{"due":"27.11.2026"}`, "due"},
		{"text not a string", `{"text":5}`, "text"},
		{"with cannot change", `{"with":"chen@example.com"}`, "with"},
		{"good text, bad due", `{"text":"fine","due":"soon"}`, "due"},
	} {
		r := f.request("PATCH", path, tt.body, jsonHeaders...)
		wantCode(t, tt.name, r, 400)
		if e := decode[map[string]string](t, r); e["field"] != tt.field {
			t.Errorf("%s: %v, want field %q", tt.name, e, tt.field)
		}
	}
	if st, _, _ := f.store.Action(a.ID); st.Text != "send the draft" || st.Done.IsZero() {
		t.Errorf("a refused edit changed the action: %+v", st)
	}

	r = f.request("DELETE", path, "")
	wantCode(t, "delete", r, 200)
	if got := decode[apiAction](t, r); got.ID != a.ID || got.Text != "send the draft" {
		t.Errorf("deleted %+v", got)
	}
	if _, ok, _ := f.store.Action(a.ID); ok {
		t.Error("still stored")
	}
	if _, ok := findAction(decode[[]apiAction](t, f.get("/api/actions?all=1")), a.ID); ok {
		t.Error("still listed")
	}
	for _, tt := range []struct{ method, path, body string }{
		{"DELETE", path, ""},
		{"PATCH", path, `{"text":"x"}`},
		{"DELETE", "/api/actions/doc-0123456789ab", ""},
		{"PATCH", "/api/actions/doc-0123456789ab", `{"done":true}`},
	} {
		r := f.request(tt.method, tt.path, tt.body, jsonHeaders...)
		wantCode(t, tt.method+" "+tt.path, r, 404)
		if e := decode[map[string]string](t, r); !strings.Contains(e["error"], "in the document") {
			t.Errorf("%s %s: %v", tt.method, tt.path, e)
		}
	}
	// PUT is not served; the Allow header names DELETE too.
	r = f.request("PUT", path, `{}`, jsonHeaders...)
	wantCode(t, "put", r, 405)
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "DELETE") || !strings.Contains(allow, "PATCH") {
		t.Errorf("Allow %q", allow)
	}
}

// TestActionsDeleteNeedsTheToken: with a token, DELETE and PATCH without it
// are refused and change nothing.
func TestActionsDeleteNeedsTheToken(t *testing.T) {
	f := newFixture(t, fixtureOptions{token: testToken})
	before, _ := f.store.Actions(calendar.Pair{})
	id := before[0].ID
	wantCode(t, "delete without the token", f.request("DELETE", "/api/actions/"+id, ""), 401)
	wantCode(t, "edit without the token", f.request("PATCH", "/api/actions/"+id, `{"text":"x"}`, jsonHeaders...), 401)
	if after, _ := f.store.Actions(calendar.Pair{}); len(after) != len(before) || after[0].Text != before[0].Text {
		t.Errorf("refused requests changed the actions")
	}
	wantCode(t, "delete with the token", f.request("DELETE", "/api/actions/"+id, "", "Authorization: Bearer "+testToken), 200)
}
