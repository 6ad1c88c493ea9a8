package main

import (
	"strings"
	"testing"
)

// A report on a state no sync has filled says so, and how to fill it,
// rather than "No 1:1s this week"; the JSON keeps its shape and the note
// goes to stderr.
func TestReportNeverSynced(t *testing.T) {
	cfg := actionsConfig(t)
	code, out, errs := runCmd(t, "report", "--config", cfg)
	if code != 0 || strings.Contains(out, "No 1:1s") || !strings.Contains(out, `no sync has run yet: run "oneonone sync" or start "oneonone run"`) {
		t.Errorf("report: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = runCmd(t, "report", "--config", cfg, "--format", "json")
	if code != 0 || !strings.Contains(out, `"week"`) || !strings.Contains(errs, "no sync has run yet") {
		t.Errorf("report --format json: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// Once a sync has run, the report is the report.
func TestReportAfterSync(t *testing.T) {
	cfg, _ := syncedState(t)
	code, out, errs := runCmd(t, "report", "--config", cfg)
	if code != 0 || strings.Contains(out+errs, "no sync has run yet") {
		t.Errorf("report: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// Where the source's password_env is not set (a shell, with the secret in
// the daemon's unit only), the commands that contact no server work; sync,
// which would, refuses with the variable's key, exit 1, as before.
func TestCommandsWithoutTheSourcesSecret(t *testing.T) {
	cfg, _ := syncedState(t)
	t.Setenv("TEST_CALDAV_PASSWORD", "")
	for _, args := range [][]string{
		{"report"}, {"series"}, {"history", "--with", "bob@example.com"},
		{"actions", "list"}, {"state", "check"},
	} {
		if code, out, errs := runCmd(t, append(args, "--config", cfg)...); code != 0 || out == "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out, errs)
		}
	}
	if code, out, errs := runCmd(t, "actions", "add", "--config", cfg, "--with", "bob@example.com", "x"); code != 0 || !strings.HasPrefix(out, "added action") {
		t.Errorf("actions add: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs := runCmd(t, "sync", "--config", cfg)
	if code != 1 || out != "" || errs != "oneonone sync: source[0].password_env: environment variable TEST_CALDAV_PASSWORD is empty\n" {
		t.Errorf("sync: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
