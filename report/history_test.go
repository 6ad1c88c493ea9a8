package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"oneonone/calendar"
)

func TestHistoryRowsAndCSV(t *testing.T) {
	s := series("bob", bobAddr, calendar.CadenceWeekly, "2026-11-02 10:00")
	s.Title = `Anna, "Bob" 1:1`
	carol := series("carol", "carol@example.com", calendar.CadenceWeekly, "2026-11-02 11:00")
	skipped := occ(s, "2026-11-16 10:00", calendar.StateSkipped)
	skipped.MadeUpBy = "makeup-1"
	in := Input{
		Location: berlin, Now: defaultNow,
		Series: []calendar.Series{s, carol},
		Occurrences: []calendar.Occurrence{
			occ(s, "2026-11-16 10:00", calendar.StateHeld), // replaced by the one below
			skipped,
			occ(s, "2026-11-09 10:00", calendar.StatePostponed, "2026-11-10 12:30"),
			occ(carol, "2026-11-09 11:00", calendar.StateHeld),
		},
	}
	rows, ok := PairHistory(in, s.Pair)
	if !ok || len(rows) != 2 {
		t.Fatalf("PairHistory = %+v, %v; want 2 rows", rows, ok)
	}
	if rows[0].State != calendar.StatePostponed || rows[0].ShiftMinutes != 26*60+30 || rows[1].MadeUpBy != "makeup-1" {
		t.Errorf("rows = %+v", rows)
	}
	if _, ok := PairHistory(in, calendar.NewPair(me, "nobody@example.com")); ok {
		t.Error("a pair without series has a history")
	}
	var b bytes.Buffer
	if err := WriteHistoryCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		HistoryCSVHeader,
		{s.ID, s.Title, "2026-11-09T10:00:00+01:00", "2026-11-10T12:30:00+01:00", "postponed", "1590", "", "false"},
		{s.ID, s.Title, "2026-11-16T10:00:00+01:00", "2026-11-16T10:00:00+01:00", "skipped", "0", "makeup-1", "false"},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d:\n%q", len(recs), len(want), recs)
	}
	for i := range want {
		for j := range want[i] {
			if recs[i][j] != want[i][j] {
				t.Errorf("record %d field %d = %q, want %q", i, j, recs[i][j], want[i][j])
			}
		}
	}
	for _, f := range []string{"text", "json"} {
		var b bytes.Buffer
		if err := WriteHistory(&b, rows, f); err != nil || b.Len() == 0 {
			t.Errorf("WriteHistory %s: %v, %d bytes", f, err, b.Len())
		}
	}
}

// A title from a hostile invitation must not become a spreadsheet formula.
func TestHistoryCSVFormulaIsInert(t *testing.T) {
	var b strings.Builder
	rows := []HistoryRow{{Occurrence: Occurrence{SeriesID: "s/1", Title: `=HYPERLINK("http://evil.example","x")`}, MadeUpBy: "@x"}}
	if err := WriteHistoryCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[1][1]; got != `'=HYPERLINK("http://evil.example","x")` {
		t.Errorf("title cell %q, want it prefixed with an apostrophe", got)
	}
	if got := recs[1][6]; got != "'@x" {
		t.Errorf("made_up_by cell %q, want it prefixed", got)
	}
	if got := recs[1][0]; got != "s/1" {
		t.Errorf("series_id cell %q changed", got)
	}
}
