package main

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/internal/demo"
	"oneonone/internal/fake/caldavserver"
)

// userFlow sets up what a new user has: a CalDAV account with the demo
// team, and a config file pointing at it.
func userFlow(t *testing.T, topLevel ...string) (cfgPath string, dav *caldavserver.Server, team demo.Team) {
	t.Helper()
	loc, _ := time.LoadLocation("Europe/Berlin")
	team = demo.Seed(time.Now(), loc)
	dav = caldavserver.New("anna")
	dav.SetBasicAuth("anna", "s3cret")
	if err := team.Load(dav); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dav.Handler())
	t.Cleanup(srv.Close)
	t.Setenv("TEST_CALDAV_PASSWORD", "s3cret")
	dir := t.TempDir()
	cfg := strings.Join(topLevel, "\n") + "\n" + fmt.Sprintf(`state = %q
timezone = "Europe/Berlin"
[identity]
me = ["anna@example.com"]
[[source]]
name = "team"
kind = "caldav"
url = %q
username = "anna"
password_env = "TEST_CALDAV_PASSWORD"
[agenda]
link = "https://docs.example.com/1on1/{{.Counterpart}}"
[[agenda.pair]]
with = "bob@example.com"
relationship = "report"
doc = %q
`, filepath.Join(dir, "state.db"), srv.URL+"/", filepath.Join(dir, "bob.md"))
	cfgPath = filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := "# Bob\n- [ ] @bob: share the interview notes\n- [x] @anna: done already\n"
	if err := os.WriteFile(filepath.Join(dir, "bob.md"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dav, team
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("oneonone %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

func TestUserFlow(t *testing.T) {
	cfg, dav, team := userFlow(t)
	bob := team.People[0].Email

	out := mustRun(t, "config", "check", "--config", cfg)
	if !strings.Contains(out, "ok") {
		t.Errorf("config check: %s", out)
	}
	// Before the first sync no 1:1 is known: an action is kept only when
	// forced.
	code, _, errs := runCmd(t, "actions", "add", "--config", cfg, "--with", bob, "send the draft")
	if want := "oneonone actions: no 1:1 with " + bob + " is known (see oneonone series); --force to keep the action anyway\n"; code != 2 || errs != want {
		t.Errorf("add before any sync: exit %d, %q; want 2, %q", code, errs, want)
	}
	out = mustRun(t, "actions", "add", "--config", cfg, "--with", bob, "--owner", bob, "--due", "2030-01-15", "--force", "send the draft")
	if !strings.Contains(out, "added action 1") {
		t.Fatalf("actions add: %s", out)
	}
	mustRun(t, "actions", "add", "--config", cfg, "--with", bob, "--force", "book", "the", "room")
	mustRun(t, "actions", "done", "--config", cfg, "2")
	var list []struct {
		ID, Owner, Text, Origin string
	}
	out = mustRun(t, "actions", "list", "--config", cfg, "--with", bob, "--format", "json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Text != "send the draft" || list[1].Text != "share the interview notes" || list[1].Origin == "store" {
		t.Fatalf("open actions = %+v, want the stored one and the document's open item", list)
	}
	if code, _, errs := runCmd(t, "actions", "done", "--config", cfg, "99"); code != 1 || !strings.Contains(errs, "no action 99") {
		t.Errorf("done of an unknown action: exit %d, %s", code, errs)
	}

	// A dry run shows the blocks and writes nothing.
	before := snapshot(dav, team)
	if strings.Contains(before, "\n\n") || strings.HasPrefix(before, "\n") {
		t.Fatalf("snapshot misses objects:\n%s", before)
	}
	out = mustRun(t, "sync", "--config", cfg, "--dry-run")
	if !strings.Contains(out, "would write team:") || !strings.Contains(out, "- [ ] bob@example.com: send the draft") {
		t.Errorf("dry run shows no block:\n%s", out)
	}
	if strings.Contains(out, " written") || !strings.Contains(out, "blocks: 5 would write") {
		t.Errorf("a dry run's summary must say what it would write:\n%s", out)
	}
	if after := snapshot(dav, team); after != before {
		t.Fatal("a dry run wrote to the server")
	}

	out = mustRun(t, "sync", "--config", cfg)
	if !strings.Contains(out, "blocks: 5 written") {
		t.Errorf("first sync: %s", out)
	}
	out = mustRun(t, "sync", "--config", cfg)
	if !strings.Contains(out, "0 changed") || !strings.Contains(out, "blocks: 0 written in 0 writes, 5 already right") {
		t.Errorf("second sync should write nothing: %s", out)
	}

	out = mustRun(t, "report", "--config", cfg, "--format", "json")
	var rep struct {
		Pairs []struct {
			Counterpart  string `json:"counterpart"`
			Relationship string `json:"relationship"`
			OpenActions  int    `json:"open_actions"`
		} `json:"pairs"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Pairs {
		if p.Counterpart == bob && (p.OpenActions != 2 || p.Relationship != "report") {
			t.Errorf("bob in the report: %+v, want 2 open actions and relationship report", p)
		}
	}
	// The roll-up: one line of figures for anna, no counterpart.
	out = mustRun(t, "report", "--rollup", "--config", cfg, "--format", "json")
	var ru struct {
		People []struct {
			Person string `json:"person"`
			Pairs  int    `json:"pairs"`
			Due    int    `json:"due"`
		} `json:"people"`
	}
	if err := json.Unmarshal([]byte(out), &ru); err != nil {
		t.Fatalf("report --rollup: %v\n%s", err, out)
	}
	if len(ru.People) != 1 || ru.People[0].Person != "anna@example.com" || ru.People[0].Pairs == 0 || ru.People[0].Due == 0 {
		t.Errorf("report --rollup: %+v, want anna with her pairs", ru.People)
	}
	for _, format := range []string{"json", "text", "markdown", "html"} {
		if out := mustRun(t, "report", "--rollup", "--config", cfg, "--format", format); strings.Contains(out, bob) {
			t.Errorf("report --rollup --format %s names %s:\n%s", format, bob, out)
		}
	}
	out = mustRun(t, "series", "--config", cfg)
	if !strings.Contains(out, bob) {
		t.Errorf("series does not list bob:\n%s", out)
	}
	// Once synced, bob's 1:1 is known; nobody's is not.
	mustRun(t, "actions", "add", "--config", cfg, "--with", bob, "bring the figures")
	code, out, errs = runCmd(t, "actions", "add", "--config", cfg, "--with", "nobody@example.com", "x")
	if want := "oneonone actions: no 1:1 with nobody@example.com is known (see oneonone series); --force to keep the action anyway\n"; code != 2 || out != "" || errs != want {
		t.Errorf("add with nobody: exit %d, %q; want 2, %q", code, errs, want)
	}
}

// snapshot is every object's ETag on the server, to see whether anything was written.
func snapshot(dav *caldavserver.Server, team demo.Team) string {
	var b strings.Builder
	for _, obj := range team.Objects {
		_, etag, _ := dav.Object("/anna/calendars/" + obj.Calendar + "/" + obj.Name)
		b.WriteString(etag + "\n")
	}
	return b.String()
}
