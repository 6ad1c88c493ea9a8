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
