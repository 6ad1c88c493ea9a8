package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/internal/agendatest"
	"oneonone/store"
	"oneonone/web"
)

// docConfig is actionsConfig with an agenda document for the pair with
// agendatest.With, holding doc. It returns the config's path, the state
// file's and the document's.
func docConfig(t *testing.T, doc string) (cfg, state, docPath string) {
	t.Helper()
	cfg = actionsConfig(t)
	dir := filepath.Dir(cfg)
	state, docPath = filepath.Join(dir, "state.db"), filepath.Join(dir, "bob.md")
	if err := os.WriteFile(docPath, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("[[agenda.pair]]\nwith = \"" + agendatest.With + "\"\ndoc = \"" + docPath + "\"\n"); err != nil {
		t.Fatal(err)
	}
	return cfg, state, docPath
}

// TestActionsAddUnknownCounterpart: with no 1:1 with the counterpart in
// the store, actions add refuses, saying so and how to keep it anyway,
// and stores nothing; --force keeps it.
func TestActionsAddUnknownCounterpart(t *testing.T) {
	cfg := actionsConfig(t)
	code, out, errs := runCmd(t, "actions", "add", "--config", cfg, "--with", "nobody@example.com", "call", "them")
	want := "oneonone actions: no 1:1 with nobody@example.com is known (see oneonone series); --force to keep the action anyway\n"
	if code != 2 || out != "" || errs != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errs, want)
	}
	if out := mustRun(t, "actions", "list", "--config", cfg, "--all", "--format", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("stored after the refusal: %s", out)
	}
	out = mustRun(t, "actions", "add", "--config", cfg, "--with", "nobody@example.com", "--force", "call", "them")
	if out != "added action 1 for nobody@example.com: call them\n" {
		t.Errorf("forced: %q", out)
	}
}

// TestActionsEditDelete: actions edit changes a stored action's text, due
// date and owner by the rules of actions add; actions delete removes it;
// neither takes an agenda document's item.
func TestActionsEditDelete(t *testing.T) {
	cfg, _, _ := docConfig(t, "- [ ] @bob: share the notes\n")
	mustRun(t, "actions", "add", "--config", cfg, "--with", agendatest.With, "--force", "--due", "2026-11-27", "draft")
	list := func() []agenda.ActionView {
		t.Helper()
		var l []agenda.ActionView
		if err := json.Unmarshal([]byte(mustRun(t, "actions", "list", "--config", cfg, "--all", "--format", "json")), &l); err != nil {
			t.Fatal(err)
		}
		return l
	}

	if out := mustRun(t, "actions", "edit", "1", "--config", cfg, "--text", "  send the draft ", "--owner", agendatest.With); out != "edited action 1 for "+agendatest.With+": send the draft\n" {
		t.Errorf("edit: %q", out)
	}
	if l := list(); len(l) != 2 || l[0].Text != "send the draft" || l[0].Owner != agendatest.With || l[0].Due != "2026-11-27" {
		t.Errorf("after edit: %+v", l)
	}
	mustRun(t, "actions", "edit", "--config", cfg, "1", "--due", "", "--owner", agendatest.Me[1])
	if l := list(); l[0].Due != "" || l[0].Owner != agendatest.Me[0] || l[0].Text != "send the draft" {
		t.Errorf("after clearing due: %+v", l[0])
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"blank text", []string{"1", "--text", " "}, 2, "oneonone actions: --text: required"},
		{"long text", []string{"1", "--text", strings.Repeat("a", agenda.MaxActionText+1)}, 2, "oneonone actions: --text: at most"},
		{"owner outside the pair", []string{"1", "--owner", "carl@example.com"}, 2, "oneonone actions: --owner: "},
		{"bad due", []string{"1", "--due", "27.11.2026"}, 2, "oneonone actions: --due: "},
		{"nothing to change", []string{"1"}, 2, "oneonone actions: want at least one of --text, --due, --owner"},
		{"no id", []string{"--text", "x"}, 2, "oneonone actions: want exactly one action ID"},
		{"unknown id", []string{"99", "--text", "x"}, 1, "oneonone actions: no action 99"},
		{"document item", []string{list()[1].ID, "--text", "x"}, 1, "is an item of an agenda document"},
	} {
		code, out, errs := runCmd(t, append([]string{"actions", "edit", "--config", cfg}, tt.args...)...)
		if code != tt.code || out != "" || !strings.HasPrefix(errs, tt.err) && !strings.Contains(errs, tt.err) {
			t.Errorf("%s: exit %d, %q %q; want %d and %q", tt.name, code, out, errs, tt.code, tt.err)
		}
	}
	if l := list(); l[0].Text != "send the draft" {
		t.Errorf("a refused edit changed it: %+v", l[0])
	}

	docID := list()[1].ID
	if code, _, errs := runCmd(t, "actions", "delete", "--config", cfg, docID); code != 1 || !strings.Contains(errs, "in the document") {
		t.Errorf("delete of a document item: exit %d, %q", code, errs)
	}
	if out := mustRun(t, "actions", "delete", "1", "--config", cfg); out != "deleted action 1 for "+agendatest.With+": send the draft\n" {
		t.Errorf("delete: %q", out)
	}
	if l := list(); len(l) != 1 || l[0].ID != docID {
		t.Errorf("after delete: %+v", l)
	}
	if code, _, errs := runCmd(t, "actions", "delete", "1", "--config", cfg); code != 1 || !strings.Contains(errs, "no action 1") {
		t.Errorf("delete twice: exit %d, %q", code, errs)
	}
}

// TestActionsListDocItems: an agenda document's open items are listed with
// a stable "doc-" ID, in the text and the JSON; an item under a done item
// is done, so not listed.
func TestActionsListDocItems(t *testing.T) {
	cfg, _, _ := docConfig(t, "- [ ] @bob: share the notes\n- [x] ship it\n  - [ ] write the notes of the release\n")
	var first, again []agenda.ActionView
	for _, l := range []*[]agenda.ActionView{&first, &again} {
		if err := json.Unmarshal([]byte(mustRun(t, "actions", "list", "--config", cfg, "--format", "json")), l); err != nil {
			t.Fatal(err)
		}
	}
	if len(first) != 1 || first[0].Text != "share the notes" || !strings.HasPrefix(first[0].ID, agenda.DocItemPrefix) ||
		len(again) != 1 || again[0].ID != first[0].ID {
		t.Fatalf("listed %+v, then %+v", first, again)
	}
	text := mustRun(t, "actions", "list", "--config", cfg)
	if !strings.Contains(text, first[0].ID+" ") || strings.Contains(text, "write the notes") {
		t.Errorf("text list:\n%s", text)
	}
	if code, _, errs := runCmd(t, "actions", "done", "--config", cfg, first[0].ID); code != 1 || !strings.Contains(errs, "in the document") {
		t.Errorf("done of a document item: exit %d, %q", code, errs)
	}
}

// TestActionsListJSONAsTheAPI: actions list --format json prints what GET
// /api/actions?with= answers for the same store, byte for byte: one shape,
// "pair" as "a|b" and "with" the counterpart.
func TestActionsListJSONAsTheAPI(t *testing.T) {
	cfg, state, docPath := docConfig(t, "- [ ] @bob: share the notes\n")
	mustRun(t, "actions", "add", "--config", cfg, "--with", agendatest.With, "--force", "--owner", agendatest.With, "--due", "2026-11-27", "send the draft")
	mustRun(t, "actions", "add", "--config", cfg, "--with", agendatest.With, "--force", "book the room")
	mustRun(t, "actions", "done", "--config", cfg, "2")
	pair := calendar.NewPair(agendatest.Me[0], agendatest.With)
	acts := func(st *store.Store) agenda.Actions {
		return agenda.Actions{Store: st, Docs: agenda.DocReader{}, Now: func() time.Time { return time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC) }}
	}
	// The document's item is seen once, so both read the same "since".
	st, err := store.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acts(st).Open(context.Background(), pair, docPath); err != nil {
		t.Fatal(err)
	}
	st.Close()

	cli := mustRun(t, "actions", "list", "--config", cfg, "--with", agendatest.With, "--format", "json")

	if st, err = store.OpenReadOnly(state); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Options{Store: st, Me: agendatest.Me, Location: berlin,
		Actions: func(ctx context.Context, p calendar.Pair) ([]agenda.Action, error) {
			return acts(st).Open(ctx, p, docPath)
		}})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/actions?with="+agendatest.With, nil)
	req.Host = "localhost"
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("api: %d %s", rec.Code, rec.Body)
	}
	if api := rec.Body.String(); api != cli {
		t.Errorf("the command line:\n%s\nthe API:\n%s", cli, api)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(cli), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0]["pair"] != pair.String() || list[0]["with"] != agendatest.With || list[0]["A"] != nil ||
		list[0]["due"] != "2026-11-27" || list[1]["origin"] != docPath || !strings.HasPrefix(list[1]["id"].(string), agenda.DocItemPrefix) {
		t.Errorf("shape: %v", list)
	}
}
