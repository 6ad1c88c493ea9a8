package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

// A 1:1 held yesterday evening and seen this morning was kept one calendar
// day ago, not "today": days are dates in the report's zone.
func TestLastKeptYesterdayEveningIsOneDay(t *testing.T) {
	other := withCadence(bob, calendar.CadenceOther)
	now := at("2026-11-18 09:00")
	r := Build(Input{
		Week: WeekOf(now, berlin), Location: berlin, Now: now,
		Series:      []calendar.Series{other},
		Occurrences: []calendar.Occurrence{occ(other, "2026-11-17 17:00", calendar.StateHeld)},
	})
	if len(r.Pairs) != 1 {
		t.Fatalf("pairs = %q, want bob", counterparts(r))
	}
	tr := r.Pairs[0].Trailing
	if tr.DaysSinceLast == nil || *tr.DaysSinceLast != 1 {
		t.Errorf("days_since_last = %s, want 1", trailingString(tr))
	}
	if got := tr.Text().Last; got != "1 day ago" {
		t.Errorf("last kept = %q, want %q", got, "1 day ago")
	}
}

// A past week's report is as of that week's end: what happened after it
// changes none of its figures.
func TestPastWeekIsAsOfItsEnd(t *testing.T) {
	carol := series("carol", "carol@example.com", calendar.CadenceWeekly, "2026-03-04 14:00")
	now := at("2026-12-02 12:00") // Wednesday of W49
	in := Input{
		Week: w47, Location: berlin, Now: now,
		Series: []calendar.Series{bob, carol},
		Occurrences: join(
			run(bob, bobW36, 7, "hhhhhhhhhhhh"),               // W36..W47, the last on Tue 17 Nov
			run(bob, "2026-11-24 10:00", 7, "sh"),             // W48 skipped, W49 held (1 Dec)
			run(carol, "2026-09-02 14:00", 7, "hhhhhhhhssss"), // W36..W47, the last kept on Wed 21 Oct
			run(carol, "2026-11-25 14:00", 7, "hh"),           // after the week
		),
	}
	r := Build(in)
	asOf := at("2026-11-23 00:00")
	if !r.AsOf.Equal(asOf) || r.AsOf.Location().String() != "Europe/Berlin" {
		t.Errorf("as_of = %v, want %v in Berlin", r.AsOf, asOf)
	}
	byWho := map[string]Trailing{}
	for _, p := range r.Pairs {
		byWho[p.Counterpart] = p.Trailing
		if !p.Trailing.AsOf.Equal(asOf) {
			t.Errorf("%s: trailing as_of = %v, want %v", p.Counterpart, p.Trailing.AsOf, asOf)
		}
	}
	// Bob: kept on Tue 17 Nov, six dates before Mon 23 Nov 00:00.
	if got, want := trailingString(byWho[bobAddr]), "weeks=12 due=12 kept=12 consistency=1 on_time=1 streak=12 days_since_last=6 mean_shift=0 overdue=false"; got != want {
		t.Errorf("bob:\n got %s\nwant %s", got, want)
	}
	// Carol: nothing kept since 21 Oct as of the week's end, so overdue then,
	// though she has met since.
	if got, want := trailingString(byWho["carol@example.com"]), "weeks=12 due=12 kept=8 consistency=0.67 on_time=0.67 streak=0 days_since_last=33 mean_shift=0 overdue=true"; got != want {
		t.Errorf("carol:\n got %s\nwant %s", got, want)
	}

	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	if got := string(top["as_of"]); got != `"2026-11-23T00:00:00+01:00"` {
		t.Errorf("JSON as_of = %s, want \"2026-11-23T00:00:00+01:00\"", got)
	}
	for _, format := range []string{"text", "markdown", "html"} {
		b.Reset()
		if err := Write(&b, r, format); err != nil {
			t.Fatal(err)
		}
		if want := "as of Mon 23 Nov 2026 00:00"; !strings.Contains(b.String(), want) {
			t.Errorf("%s: no %q:\n%s", format, want, b.String())
		}
	}
}

// The current week's report, and the summaries, are as of now.
func TestCurrentWeekIsAsOfNow(t *testing.T) {
	now := time.Date(2026, 11, 18, 11, 0, 0, 0, berlin)
	in := Input{Location: berlin, Now: now, Series: []calendar.Series{bob}, Occurrences: run(bob, bobW36, 7, "hhhhhhhhhhhh")}
	in.Week = WeekOf(now, berlin)
	if r := Build(in); !r.AsOf.Equal(now) || !r.Pairs[0].Trailing.AsOf.Equal(now) {
		t.Errorf("as_of = %v, %v; want now, %v", r.AsOf, r.Pairs[0].Trailing.AsOf, now)
	}
	if s := Summaries(in); !s[0].Trailing.AsOf.Equal(now) {
		t.Errorf("summaries as_of = %v, want %v", s[0].Trailing.AsOf, now)
	}
}
