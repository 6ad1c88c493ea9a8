package main

import (
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"oneonone/report"
)

func TestHistoryCommand(t *testing.T) {
	cfg, _, team := userFlow(t)
	mustRun(t, "sync", "--config", cfg)
	const bob = "bob@example.com"

	out := mustRun(t, "history", "--with", bob, "--format", "csv", "--config", cfg)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, out)
	}
	if len(recs) < 2 || !slices.Equal(recs[0], report.HistoryCSVHeader) {
		t.Fatalf("records %q", recs)
	}
	byStart := map[string][]string{}
	for _, rec := range recs[1:] {
		if len(rec) != len(report.HistoryCSVHeader) || !strings.HasPrefix(rec[0], "team/") {
			t.Errorf("record %q", rec)
		}
		byStart[rec[2]] = rec
	}
	n := 0
	for _, e := range team.Expect {
		if e.Counterpart != bob {
			continue
		}
		n++
		rec, ok := byStart[e.OriginalStart.Format(time.RFC3339)]
		if !ok || rec[4] != string(e.State) || rec[3] != e.Start.Format(time.RFC3339) {
			t.Errorf("%s %s (%s): record %q", e.OriginalStart.Format(time.RFC3339), e.State, e.Why, rec)
		}
	}
	if n == 0 || len(recs)-1 < n {
		t.Errorf("%d records for %d expected occurrences of bob", len(recs)-1, n)
	}

	// JSON has the same rows; text one line per row under a heading.
	var rows []report.HistoryRow
	if err := json.Unmarshal([]byte(mustRun(t, "history", "--config", cfg, "--with", bob, "--format", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(recs)-1 || rows[0].OriginalStart.Format(time.RFC3339) != recs[1][2] {
		t.Errorf("json: %d rows, csv %d", len(rows), len(recs)-1)
	}
	text := mustRun(t, "history", "--config", cfg, "--with", bob)
	if lines := strings.Split(strings.TrimSpace(text), "\n"); len(lines) != len(rows)+1 || !strings.HasPrefix(lines[0], "ORIGINAL START") {
		t.Errorf("text: %d lines for %d rows:\n%s", len(lines), len(rows), text)
	}

	// Mistakes.
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"history", "--config", cfg}, 2, "--with: required"},
		{[]string{"history", "--config", cfg, "--with", "not-an-address"}, 2, "--with"},
		{[]string{"history", "--config", cfg, "--with", bob, "--format", "xml"}, 2, "format"},
		{[]string{"history", "--config", cfg, "--with", "nobody@example.com"}, 1, "no 1:1 series with nobody@example.com"},
	} {
		code, _, errs := runCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("oneonone %s: exit %d, stderr %q; want %d and %q", strings.Join(tt.args, " "), code, errs, tt.code, tt.want)
		}
	}
}
