package report

import (
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

func TestParseWorkingHours(t *testing.T) {
	for _, c := range []struct {
		in, want, err string
	}{
		{"09:00-17:00", "mon,tue,wed,thu,fri 09:00-17:00", ""},
		{"Mon-Fri 08:30-16:00", "mon,tue,wed,thu,fri 08:30-16:00", ""},
		{"sun-thu 08:00-16:00", "mon,tue,wed,thu,sun 08:00-16:00", ""},
		{"fri-mon 10:00-24:00", "mon,fri,sat,sun 10:00-24:00", ""},
		{"mon,wed 09:00-12:00", "mon,wed 09:00-12:00", ""},
		{"09:00", "", "want HH:MM-HH:MM"},
		{"17:00-09:00", "", "the end must come after the start"},
		{"9-17", "", "not a time of day"},
		{"09:00-25:00", "", "not a time of day"},
		{"mo-fr 09:00-17:00", "", "days are mon"},
		{"mon fri 09:00-17:00", "", "want hours"},
		{"", "", "want hours"},
	} {
		w, err := calendar.ParseWorkingHours(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("calendar.ParseWorkingHours(%q) = %v, %v; want error containing %q", c.in, w, err, c.err)
			}
			continue
		}
		if err != nil || w.String() != c.want {
			t.Errorf("calendar.ParseWorkingHours(%q) = %q, %v; want %q", c.in, w.String(), err, c.want)
		}
	}
	if got := calendar.DefaultWorkingHours().String(); got != "mon,tue,wed,thu,fri 09:00-17:00" {
		t.Errorf("default = %q", got)
	}
}

func TestFirstFree(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	busy := func(a, b string) calendar.Busy { return calendar.Busy{Start: at(a), End: at(b)} }
	wh := calendar.DefaultWorkingHours()
	for _, c := range []struct {
		name     string
		busy     []calendar.Busy
		from, to string
		d        time.Duration
		hours    calendar.WorkingHours
		want     string // "" for none
	}{
		{name: "free at once", from: "2026-12-07 10:07", to: "2026-12-14 10:00", d: 30 * time.Minute, hours: wh, want: "2026-12-07 10:15"},
		{name: "before hours starts at nine", from: "2026-12-07 06:00", to: "2026-12-14 10:00", d: 30 * time.Minute, hours: wh, want: "2026-12-07 09:00"},
		{name: "after hours goes to the next day", from: "2026-12-07 16:45", to: "2026-12-14 10:00", d: 30 * time.Minute, hours: wh, want: "2026-12-08 09:00"},
		{name: "a friday evening goes to monday", from: "2026-12-11 16:50", to: "2026-12-21 10:00", d: 30 * time.Minute, hours: wh, want: "2026-12-14 09:00"},
		{name: "busy spans are stepped over, unsorted", from: "2026-12-07 09:00", to: "2026-12-14 10:00", d: time.Hour, hours: wh,
			busy: []calendar.Busy{busy("2026-12-07 10:20", "2026-12-07 12:00"), busy("2026-12-07 09:00", "2026-12-07 09:40")},
			want: "2026-12-07 12:00"},
		{name: "an all-day busy day is skipped", from: "2026-12-07 09:00", to: "2026-12-14 10:00", d: 30 * time.Minute, hours: wh,
			busy: []calendar.Busy{busy("2026-12-07 00:00", "2026-12-08 00:00")}, want: "2026-12-08 09:00"},
		{name: "the span must end before the next occurrence", from: "2026-12-07 09:00", to: "2026-12-07 09:20", d: 30 * time.Minute, hours: wh},
		{name: "nothing free before the next occurrence", from: "2026-12-07 09:00", to: "2026-12-08 17:00", d: 30 * time.Minute, hours: wh,
			busy: []calendar.Busy{busy("2026-12-07 08:00", "2026-12-08 16:45")}},
		{name: "the end of working hours bounds the span", from: "2026-12-07 16:30", to: "2026-12-14 10:00", d: time.Hour, hours: wh, want: "2026-12-08 09:00"},
		{name: "weekend only hours", from: "2026-12-07 09:00", to: "2026-12-14 10:00", d: time.Hour,
			hours: calendar.WorkingHours{Days: [7]bool{time.Saturday: true}, Start: 10 * time.Hour, End: 12 * time.Hour}, want: "2026-12-12 10:00"},
		// 29 March 2026: Berlin's clocks go from 02:00 to 03:00; working
		// hours are wall-clock hours on that day too.
		{name: "a DST day counts wall-clock hours", from: "2026-03-29 00:00", to: "2026-04-05 10:00", d: 30 * time.Minute,
			hours: calendar.WorkingHours{Days: [7]bool{time.Sunday: true}, Start: 9 * time.Hour, End: 10 * time.Hour}, want: "2026-03-29 09:00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := FirstFree(c.busy, at(c.from), at(c.to), c.d, c.hours, berlin)
			if c.want == "" {
				if ok {
					t.Fatalf("FirstFree = %v, want none", got.In(berlin))
				}
				return
			}
			if !ok || !got.Equal(at(c.want)) {
				t.Fatalf("FirstFree = %v, %v; want %s", got.In(berlin), ok, c.want)
			}
		})
	}
}

func TestWayBackNeeds(t *testing.T) {
	loc := time.UTC
	week := 7 * 24 * time.Hour
	mon := time.Date(2026, 11, 30, 10, 0, 0, 0, loc) // a Monday
	pair := calendar.NewPair("me@x.example", "bob@x.example")
	series := calendar.Series{ID: "team/cal/bob", Source: "team", Pair: pair, Me: "me@x.example", Counterpart: "bob@x.example", Cadence: calendar.CadenceWeekly, Start: mon.Add(-4 * week)}
	occ := func(start time.Time, st calendar.State) calendar.Occurrence {
		return calendar.Occurrence{SeriesID: series.ID, Pair: pair, OriginalStart: start, Start: start, End: start.Add(30 * time.Minute), State: st}
	}
	now := mon.Add(26 * time.Hour) // Tuesday 12:00
	for _, c := range []struct {
		name string
		occ  []calendar.Occurrence
		now  time.Time
		want string // "from to" or ""
	}{
		{name: "the last slot skipped, the next on", now: now,
			occ:  []calendar.Occurrence{occ(mon.Add(-week), calendar.StateHeld), occ(mon, calendar.StateSkipped), occ(mon.Add(week), calendar.StateUpcoming)},
			want: "2026-12-01T12:00:00Z 2026-12-07T10:00:00Z"},
		{name: "a skip made up needs none", now: now,
			occ: func() []calendar.Occurrence {
				o := occ(mon, calendar.StateSkipped)
				o.MadeUpBy = "extra"
				return []calendar.Occurrence{o, occ(mon.Add(week), calendar.StateUpcoming)}
			}()},
		{name: "the last slot held needs none", now: now,
			occ: []calendar.Occurrence{occ(mon.Add(-week), calendar.StateSkipped), occ(mon, calendar.StateHeld), occ(mon.Add(week), calendar.StateUpcoming)}},
		{name: "a cancelled next slot is passed over", now: now,
			occ:  []calendar.Occurrence{occ(mon, calendar.StateSkipped), occ(mon.Add(week), calendar.StateSkipped), occ(mon.Add(2*week), calendar.StateUpcoming)},
			want: "2026-12-01T12:00:00Z 2026-12-14T10:00:00Z"},
		{name: "without a known next slot, the cadence bounds it", now: now,
			occ:  []calendar.Occurrence{occ(mon, calendar.StateSkipped)},
			want: "2026-12-01T12:00:00Z 2026-12-07T10:00:00Z"},
		{name: "a skip whose chance passed needs none", now: mon.Add(week).Add(-10 * time.Minute),
			occ: []calendar.Occurrence{occ(mon, calendar.StateSkipped), occ(mon.Add(week), calendar.StateUpcoming)}},
		{name: "a next slot moved earlier and begun needs none", now: now,
			occ: func() []calendar.Occurrence {
				n := occ(mon.Add(week), calendar.StateAdvanced)
				n.Start = mon.Add(25 * time.Hour)
				return []calendar.Occurrence{occ(mon, calendar.StateSkipped), n}
			}()},
		{name: "nothing has begun", now: mon.Add(-time.Hour),
			occ: []calendar.Occurrence{occ(mon, calendar.StateSkipped)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			needs := WayBackNeeds(Input{Now: c.now, Location: loc, Series: []calendar.Series{series}, Occurrences: c.occ})
			var got string
			if len(needs) > 0 {
				n := needs[0]
				got = n.From.Format(time.RFC3339) + " " + n.To.Format(time.RFC3339)
				if n.Source != "team" || n.Me != "me@x.example" || n.Counterpart != "bob@x.example" || n.Duration != 30*time.Minute {
					t.Errorf("need = %+v", n)
				}
			}
			if len(needs) > 1 || got != c.want {
				t.Fatalf("needs = %+v; want %q", needs, c.want)
			}
		})
	}
}

func TestWayBackShown(t *testing.T) {
	mon := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	pair := calendar.NewPair("me@x.example", "bob@x.example")
	series := calendar.Series{ID: "team/cal/bob", Source: "team", Pair: pair, Me: "me@x.example", Counterpart: "bob@x.example", Name: "Bob", Cadence: calendar.CadenceWeekly, Start: mon}
	next := mon.Add(7 * 24 * time.Hour)
	in := Input{Week: WeekOf(mon, time.UTC), Now: mon.Add(26 * time.Hour), Series: []calendar.Series{series}, Occurrences: []calendar.Occurrence{
		{SeriesID: series.ID, Pair: pair, OriginalStart: mon, Start: mon, End: mon.Add(30 * time.Minute), State: calendar.StateSkipped},
		{SeriesID: series.ID, Pair: pair, OriginalStart: next, Start: next, End: next.Add(30 * time.Minute), State: calendar.StateUpcoming},
	}}
	needs := WayBackNeeds(in)
	if len(needs) != 1 {
		t.Fatalf("needs = %v", needs)
	}
	start := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	end := start.Add(30 * time.Minute)
	in.WayBacks = map[string]WayBack{needs[0].ID: {Slot: mon, Before: next, Start: &start, End: &end, Both: true}}
	r := Build(in)
	if len(r.Pairs) != 1 || r.Pairs[0].WayBack == nil || !r.Pairs[0].WayBack.Start.Equal(start) {
		t.Fatalf("report way_back = %+v", r.Pairs[0].WayBack)
	}
	if got := r.Pairs[0].WayBack.Text("Bob"); got != "free together: Thu 3 Dec 14:00–14:30" {
		t.Errorf("text = %q", got)
	}
	for format, want := range map[string]string{
		"text":     "  Bob: free together: Thu 3 Dec 14:00–14:30\n",
		"markdown": "- Bob: free together: Thu 3 Dec 14:00–14:30\n",
		"html":     "<p class=\"wayback\">Way back: free together: Thu 3 Dec 14:00–14:30 <span",
		"json":     `"way_back": {`,
	} {
		var b strings.Builder
		if err := Write(&b, r, format); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s report lacks %q:\n%s", format, want, b.String())
		}
	}
	if s := Summaries(in); len(s) != 1 || s[0].WayBack == nil {
		t.Fatalf("summaries = %+v", s)
	}
	// Once the suggested slot has begun, it is not shown.
	in.Now = start.Add(time.Minute)
	if w := Build(in).Pairs[0].WayBack; w != nil {
		t.Errorf("a suggestion that has begun is shown: %+v", w)
	}
	// Own calendar only, and none found.
	w := WayBack{Before: next, Note: "3.7;Could not find principal"}
	if got := w.Text("Bob"); got != "no time free for you before Mon 7 Dec 10:00" {
		t.Errorf("text = %q", got)
	}
	w.Start, w.End = &start, &end
	if got := w.Text("Bob"); got != "you are free: Thu 3 Dec 14:00–14:30 (Bob's calendar is not available: 3.7;Could not find principal)" {
		t.Errorf("text = %q", got)
	}
}
