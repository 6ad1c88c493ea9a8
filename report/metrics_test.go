package report

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"oneonone/calendar"
)

// The report week of most cases is 2026-W47 (Mon 16 to Sun 22 Nov), made on
// the Monday after; its 12-week window starts on Mon 31 Aug (W36).
var (
	w47        = Week{2026, 47}
	defaultNow = at("2026-11-23 09:00")
)

const bobAddr = "bob@example.com"

var (
	bob    = series("bob", bobAddr, calendar.CadenceWeekly, "2026-03-03 10:00")
	bobW36 = "2026-09-01 10:00" // first Tuesday of the window; W47's is 17 Nov
)

func withUntil(s calendar.Series, until string) calendar.Series {
	s.Until = at(until)
	return s
}

func withDeleted(s calendar.Series, deleted string) calendar.Series {
	s.Deleted = at(deleted)
	return s
}

func withTitle(s calendar.Series, title string) calendar.Series {
	s.Title = title
	return s
}

func withCadence(s calendar.Series, c calendar.Cadence) calendar.Series {
	s.Cadence = c
	return s
}

// trailingString shows a Trailing with days_since_last dereferenced.
func trailingString(t Trailing) string {
	days := "null"
	if t.DaysSinceLast != nil {
		days = fmt.Sprint(*t.DaysSinceLast)
	}
	return fmt.Sprintf("weeks=%d due=%d kept=%d consistency=%v on_time=%v streak=%d days_since_last=%s mean_shift=%d overdue=%v",
		t.Weeks, t.Due, t.Kept, t.Consistency, t.OnTime, t.Streak, days, t.MeanShiftMinutes, t.Overdue)
}

func counterparts(r *Report) []string {
	var out []string
	for _, p := range r.Pairs {
		out = append(out, p.Counterpart)
	}
	return out
}

func TestBuildMetrics(t *testing.T) {
	bobOther := withCadence(bob, calendar.CadenceOther)
	splitOld := withUntil(series("bob-old", bobAddr, calendar.CadenceWeekly, "2026-03-03 10:00"), "2026-10-13 10:00")
	splitNew := withTitle(series("bob-new", bobAddr, calendar.CadenceWeekly, "2026-10-20 10:00"), "Anna & Bob weekly")

	tests := []struct {
		name      string
		now       time.Time // defaultNow when zero
		week      Week      // w47 when zero
		weeks     int
		series    []calendar.Series
		occ       []calendar.Occurrence
		actions   map[calendar.Pair]int
		wantPairs []string // counterparts, in report order
		wantWeek  *Counts  // of the first pair
		want      string   // trailingString of the first pair
		check     func(t *testing.T, r *Report)
	}{
		{
			name:   "a week with one of each state",
			now:    at("2026-11-18 12:00"),
			series: []calendar.Series{bobOther},
			occ: []calendar.Occurrence{
				occ(bobOther, "2026-11-15 09:00", calendar.StateHeld), // W46: in the window, not the week
				occ(bobOther, "2026-11-16 00:00", calendar.StateHeld), // first instant of the week
				occ(bobOther, "2026-11-16 15:00", calendar.StateSkipped),
				occ(bobOther, "2026-11-17 09:00", calendar.StatePostponed, "2026-11-17 16:00"),
				occ(bobOther, "2026-11-17 15:00", calendar.StateAdvanced, "2026-11-17 11:00"),
				occ(bobOther, "2026-11-18 09:00", calendar.StateDeclined),
				occ(bobOther, "2026-11-20 09:00", calendar.StateUpcoming),
				occ(bobOther, "2026-11-23 00:00", calendar.StateUpcoming), // W48
			},
			wantPairs: []string{bobAddr},
			wantWeek:  &Counts{Planned: 6, Held: 1, Postponed: 1, Advanced: 1, Skipped: 1, Declined: 1, Upcoming: 1},
			// due: the 6 before now; kept: 2 held + postponed + advanced; the
			// latest kept start is the postponed one (16:00 yesterday).
			want: "weeks=12 due=6 kept=4 consistency=0.67 on_time=0.33 streak=0 days_since_last=1 mean_shift=330 overdue=false",
			check: func(t *testing.T, r *Report) {
				var got []string
				for _, o := range r.Pairs[0].Occurrences {
					got = append(got, fmt.Sprintf("%s %s %s %d", o.State, o.OriginalStart.Format(time.RFC3339), o.Start.Format(time.RFC3339), o.ShiftMinutes))
				}
				want := []string{
					"held 2026-11-16T00:00:00+01:00 2026-11-16T00:00:00+01:00 0",
					"skipped 2026-11-16T15:00:00+01:00 2026-11-16T15:00:00+01:00 0",
					"postponed 2026-11-17T09:00:00+01:00 2026-11-17T16:00:00+01:00 420",
					"advanced 2026-11-17T15:00:00+01:00 2026-11-17T11:00:00+01:00 -240",
					"declined 2026-11-18T09:00:00+01:00 2026-11-18T09:00:00+01:00 0",
					"upcoming 2026-11-20T09:00:00+01:00 2026-11-20T09:00:00+01:00 0",
				}
				if !slices.Equal(got, want) {
					t.Errorf("occurrences:\n got %q\nwant %q", got, want)
				}
				if r.Totals != r.Pairs[0].Week {
					t.Errorf("totals = %+v, want %+v", r.Totals, r.Pairs[0].Week)
				}
			},
		},
		{
			name:      "a split series gives one entry and a continuous streak",
			series:    []calendar.Series{splitNew, splitOld},
			occ:       join(run(splitOld, bobW36, 7, "hhhhhhh"), run(splitNew, "2026-10-20 10:00", 7, "hhhhh")),
			wantPairs: []string{bobAddr},
			wantWeek:  &Counts{Planned: 1, Held: 1},
			want:      "weeks=12 due=12 kept=12 consistency=1 on_time=1 streak=12 days_since_last=6 mean_shift=0 overdue=false",
			check: func(t *testing.T, r *Report) {
				p := r.Pairs[0]
				if p.Title != "Anna & Bob weekly" {
					t.Errorf("title = %q, want the newer series' title", p.Title)
				}
				if want := []string{splitOld.ID, splitNew.ID}; !slices.Equal(p.Series, want) {
					t.Errorf("series = %q, want %q", p.Series, want)
				}
				if p.Pair != "anna@example.com|bob@example.com" || p.Me != me || p.Counterpart != bobAddr {
					t.Errorf("pair, me, counterpart = %q, %q, %q", p.Pair, p.Me, p.Counterpart)
				}
			},
		},
		{
			name:      "the newest series that is not deleted names the pair",
			series:    []calendar.Series{withTitle(bob, "Old title"), withDeleted(withTitle(series("bob2", bobAddr, calendar.CadenceBiweekly, "2026-10-20 10:00"), "Deleted title"), "2026-10-25 12:00")},
			occ:       run(bob, bobW36, 7, "hhhhhhhhhhhh"),
			wantPairs: []string{bobAddr},
			want:      "weeks=12 due=12 kept=12 consistency=1 on_time=1 streak=12 days_since_last=6 mean_shift=0 overdue=false",
			check: func(t *testing.T, r *Report) {
				if p := r.Pairs[0]; p.Title != "Old title" || p.Cadence != calendar.CadenceWeekly {
					t.Errorf("title, cadence = %q, %q; want those of the series not deleted", p.Title, p.Cadence)
				}
			},
		},
		{
			name:      "a skip breaks the streak",
			series:    []calendar.Series{bob},
			occ:       run(bob, bobW36, 7, "hhhhhhhhshhh"),
			wantPairs: []string{bobAddr},
			want:      "weeks=12 due=12 kept=11 consistency=0.92 on_time=0.92 streak=3 days_since_last=6 mean_shift=0 overdue=false",
		},
		{
			name:      "declined is not kept",
			series:    []calendar.Series{bob},
			occ:       run(bob, bobW36, 7, "hhhhhhhhhhhd"),
			wantPairs: []string{bobAddr},
			wantWeek:  &Counts{Planned: 1, Declined: 1},
			// The last kept one is Tue 10 Nov 10:00: 12 days and 23 hours ago.
			want: "weeks=12 due=12 kept=11 consistency=0.92 on_time=0.92 streak=0 days_since_last=13 mean_shift=0 overdue=false",
		},
		{
			name:      "postponed into the future is due but not kept yet, and does not break the streak",
			series:    []calendar.Series{bob},
			occ:       join(run(bob, bobW36, 7, "hhhhhhhhhhh"), []calendar.Occurrence{occ(bob, "2026-11-17 10:00", calendar.StatePostponed, "2026-11-24 10:00")}),
			wantPairs: []string{bobAddr},
			wantWeek:  &Counts{Planned: 1, Postponed: 1},
			want:      "weeks=12 due=12 kept=11 consistency=0.92 on_time=0.92 streak=11 days_since_last=13 mean_shift=10080 overdue=false",
		},
		{
			name:      "advanced has a negative shift",
			series:    []calendar.Series{bob},
			occ:       join(run(bob, bobW36, 7, "hhhhhhhhhhh"), []calendar.Occurrence{occ(bob, "2026-11-17 10:00", calendar.StateAdvanced, "2026-11-16 14:00")}),
			wantPairs: []string{bobAddr},
			wantWeek:  &Counts{Planned: 1, Advanced: 1},
			want:      "weeks=12 due=12 kept=12 consistency=1 on_time=0.92 streak=12 days_since_last=7 mean_shift=1200 overdue=false",
			check: func(t *testing.T, r *Report) {
				if got := r.Pairs[0].Occurrences[0].ShiftMinutes; got != -1200 {
					t.Errorf("shift_minutes = %d, want -1200", got)
				}
			},
		},
		{
			name:      "consistency 10/12 rounds to 0.83",
			series:    []calendar.Series{bob},
			occ:       run(bob, bobW36, 7, "hhshshhhhhhh"),
			wantPairs: []string{bobAddr},
			want:      "weeks=12 due=12 kept=10 consistency=0.83 on_time=0.83 streak=7 days_since_last=6 mean_shift=0 overdue=false",
		},
		{
			name:      "never kept has no days_since_last",
			series:    []calendar.Series{bob},
			occ:       run(bob, bobW36, 7, "ssssssssssss"),
			wantPairs: []string{bobAddr},
			want:      "weeks=12 due=12 kept=0 consistency=0 on_time=0 streak=0 days_since_last=null mean_shift=0 overdue=true",
		},
		{
			name:      "the window has TrailingWeeks weeks",
			weeks:     4,
			series:    []calendar.Series{bob},
			occ:       run(bob, bobW36, 7, "sssssssssdhh"),
			wantPairs: []string{bobAddr},
			want:      "weeks=4 due=4 kept=2 consistency=0.5 on_time=0.5 streak=2 days_since_last=6 mean_shift=0 overdue=false",
		},
		{
			name:      "only occurrences before now are due",
			now:       at("2026-11-17 09:00"), // an hour before W47's occurrence
			series:    []calendar.Series{bob},
			occ:       join(run(bob, bobW36, 7, "hhhhhhhhhhs"), run(bob, "2026-11-17 10:00", 7, "u")),
			wantPairs: []string{bobAddr},
			wantWeek:  &Counts{Planned: 1, Upcoming: 1},
			want:      "weeks=12 due=11 kept=10 consistency=0.91 on_time=0.91 streak=0 days_since_last=14 mean_shift=0 overdue=false",
		},
		{
			name:      "open actions of the pair",
			series:    []calendar.Series{bob},
			occ:       run(bob, "2026-11-17 10:00", 7, "h"),
			actions:   map[calendar.Pair]int{bob.Pair: 3, calendar.NewPair(me, "x@example.com"): 9},
			wantPairs: []string{bobAddr},
			check: func(t *testing.T, r *Report) {
				if got := r.Pairs[0].OpenActions; got != 3 {
					t.Errorf("open_actions = %d, want 3", got)
				}
			},
		},
		{
			name:   "occurrences without a pair take their series' pair; duplicates count once",
			series: []calendar.Series{bob},
			occ: func() []calendar.Occurrence {
				o := occ(bob, "2026-11-17 10:00", calendar.StateUpcoming)
				o.Pair = calendar.Pair{}
				o2 := occ(bob, "2026-11-17 10:00", calendar.StateHeld)
				o2.Start = time.Time{} // started at its original start
				return []calendar.Occurrence{o, o2, occ(series("ghost", "ghost@example.com", calendar.CadenceWeekly, "2026-01-06 10:00"), "2026-11-17 12:00", calendar.StateSkipped)}
			}(),
			wantPairs: []string{bobAddr},
			wantWeek:  &Counts{Planned: 1, Held: 1},
			want:      "weeks=12 due=1 kept=1 consistency=1 on_time=1 streak=1 days_since_last=6 mean_shift=0 overdue=false",
		},
		{
			name:      "a series given twice counts once, the last one wins",
			series:    []calendar.Series{bob, withTitle(bob, "Renamed")},
			occ:       run(bob, "2026-11-17 10:00", 7, "h"),
			wantPairs: []string{bobAddr},
			wantWeek:  &Counts{Planned: 1, Held: 1},
			check: func(t *testing.T, r *Report) {
				if p := r.Pairs[0]; p.Title != "Renamed" || !slices.Equal(p.Series, []string{bob.ID}) {
					t.Errorf("title, series = %q, %q; want Renamed, [%s]", p.Title, p.Series, bob.ID)
				}
			},
		},
		{
			name: "pairs sorted by skipped+postponed+declined, then counterpart",
			series: []calendar.Series{
				series("bob", bobAddr, calendar.CadenceWeekly, "2026-11-02 10:00"),
				series("carol", "carol@example.com", calendar.CadenceWeekly, "2026-11-02 10:00"),
				series("dave", "dave@example.com", calendar.CadenceWeekly, "2026-11-02 10:00"),
				series("erin", "erin@example.com", calendar.CadenceWeekly, "2026-11-02 10:00"),
			},
			occ: []calendar.Occurrence{
				occ(series("bob", bobAddr, "", "2026-11-02 10:00"), "2026-11-16 10:00", calendar.StateHeld),
				occ(series("erin", "erin@example.com", "", "2026-11-02 10:00"), "2026-11-16 10:00", calendar.StateDeclined),
				occ(series("carol", "carol@example.com", "", "2026-11-02 10:00"), "2026-11-17 10:00", calendar.StateSkipped),
				occ(series("dave", "dave@example.com", "", "2026-11-02 10:00"), "2026-11-16 12:00", calendar.StateSkipped),
				occ(series("dave", "dave@example.com", "", "2026-11-02 10:00"), "2026-11-18 12:00", calendar.StatePostponed, "2026-11-20 12:00"),
			},
			wantPairs: []string{"dave@example.com", "carol@example.com", "erin@example.com", bobAddr},
			check: func(t *testing.T, r *Report) {
				want := Counts{Planned: 5, Held: 1, Postponed: 1, Skipped: 2, Declined: 1}
				if r.Totals != want {
					t.Errorf("totals = %+v, want %+v", r.Totals, want)
				}
			},
		},

		// overdue
		{
			name:      "weekly is overdue 15 days after the last kept one",
			now:       at("2026-11-18 10:01"),
			series:    []calendar.Series{bob},
			occ:       run(bob, bobW36, 7, "hhhhhhhhhhss"), // last kept Tue 3 Nov
			wantPairs: []string{bobAddr},
			want:      "weeks=12 due=12 kept=10 consistency=0.83 on_time=0.83 streak=0 days_since_last=15 mean_shift=0 overdue=true",
		},
		{
			name:      "weekly is not overdue 13 days after the last kept one",
			now:       at("2026-11-16 10:00"),
			series:    []calendar.Series{bob},
			occ:       run(bob, bobW36, 7, "hhhhhhhhhhsu"),
			wantPairs: []string{bobAddr},
			want:      "weeks=12 due=11 kept=10 consistency=0.91 on_time=0.91 streak=0 days_since_last=13 mean_shift=0 overdue=false",
		},
		{
			name:      "an overdue pair with nothing this week is in the report",
			series:    []calendar.Series{bob},
			occ:       run(bob, bobW36, 7, "hhhhhhhhh"), // until 27 Oct, then nothing
			wantPairs: []string{bobAddr},
			wantWeek:  &Counts{},
			want:      "weeks=12 due=9 kept=9 consistency=1 on_time=1 streak=9 days_since_last=27 mean_shift=0 overdue=true",
			check: func(t *testing.T, r *Report) {
				if occ := r.Pairs[0].Occurrences; occ == nil || len(occ) != 0 {
					t.Errorf("occurrences = %#v, want empty and not nil (JSON [])", occ)
				}
			},
		},
		{
			name:      "a pair with nothing this week that is not overdue is left out",
			series:    []calendar.Series{bob},
			occ:       run(bob, bobW36, 7, "hhhhhhhhhhh"), // last kept Tue 10 Nov
			wantPairs: nil,
		},
		{
			name:      "not overdue when the series began last week",
			series:    []calendar.Series{series("bob", bobAddr, calendar.CadenceWeekly, "2026-11-17 10:00")},
			occ:       run(bob, "2026-11-17 10:00", 7, "s"),
			wantPairs: []string{bobAddr},
			want:      "weeks=12 due=1 kept=0 consistency=0 on_time=0 streak=0 days_since_last=null mean_shift=0 overdue=false",
		},
		{
			name:      "never overdue for cadence other",
			series:    []calendar.Series{bobOther},
			occ:       run(bobOther, bobW36, 7, "hhhhhhhhss"),
			wantPairs: nil,
		},
		{
			name:      "not overdue when the series ended more than two periods ago",
			series:    []calendar.Series{withUntil(bob, "2026-10-06 10:00")},
			occ:       run(bob, bobW36, 7, "hhhhs"),
			wantPairs: nil,
		},
		{
			name:      "not overdue when the series was deleted more than two periods ago",
			series:    []calendar.Series{withDeleted(bob, "2026-10-07 12:00")},
			occ:       run(bob, bobW36, 7, "hhhhhs"),
			wantPairs: nil,
		},
		{
			name:      "still overdue when deleted recently after weeks of skips",
			series:    []calendar.Series{withDeleted(bob, "2026-11-20 12:00")},
			occ:       run(bob, bobW36, 7, "hhhhhhsssss"),
			wantPairs: []string{bobAddr},
			want:      "weeks=12 due=11 kept=6 consistency=0.55 on_time=0.55 streak=0 days_since_last=48 mean_shift=0 overdue=true",
		},
		{
			name: "a series re-created after a long pause starts afresh",
			series: []calendar.Series{
				withUntil(series("bob-2025", bobAddr, calendar.CadenceWeekly, "2025-09-02 10:00"), "2026-06-30 10:00"),
				series("bob-2026", bobAddr, calendar.CadenceWeekly, "2026-11-17 10:00"),
			},
			occ: join(
				run(series("bob-2025", bobAddr, calendar.CadenceWeekly, "2025-09-02 10:00"), "2026-06-30 10:00", 7, "h"),
				run(series("bob-2026", bobAddr, calendar.CadenceWeekly, "2026-11-17 10:00"), "2026-11-17 10:00", 7, "s"),
			),
			wantPairs: []string{bobAddr},
			want:      "weeks=12 due=1 kept=0 consistency=0 on_time=0 streak=0 days_since_last=146 mean_shift=0 overdue=false",
		},
		{
			name: "a recent split does not hide skips before it",
			series: []calendar.Series{
				withUntil(series("bob-a", bobAddr, calendar.CadenceWeekly, "2026-03-03 10:00"), "2026-10-27 10:00"),
				series("bob-b", bobAddr, calendar.CadenceWeekly, "2026-11-10 10:00"),
			},
			occ: join(
				run(series("bob-a", bobAddr, calendar.CadenceWeekly, "2026-03-03 10:00"), bobW36, 7, "hhhhhhsss"), // last kept 6 Oct
				run(series("bob-b", bobAddr, calendar.CadenceWeekly, "2026-11-10 10:00"), "2026-11-10 10:00", 7, "ss"),
			),
			wantPairs: []string{bobAddr},
			want:      "weeks=12 due=11 kept=6 consistency=0.55 on_time=0.55 streak=0 days_since_last=48 mean_shift=0 overdue=true",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{
				Week:          tt.week,
				Location:      berlin,
				Now:           tt.now,
				TrailingWeeks: tt.weeks,
				Series:        tt.series,
				Occurrences:   tt.occ,
				OpenActions:   tt.actions,
			}
			if in.Now.IsZero() {
				in.Now = defaultNow
			}
			if in.Week.IsZero() {
				in.Week = w47
			}
			r := Build(in)
			if got := counterparts(r); !slices.Equal(got, tt.wantPairs) {
				t.Fatalf("pairs = %q, want %q", got, tt.wantPairs)
			}
			if len(r.Pairs) == 0 {
				return
			}
			p := r.Pairs[0]
			if tt.wantWeek != nil && p.Week != *tt.wantWeek {
				t.Errorf("week = %+v\n      want %+v", p.Week, *tt.wantWeek)
			}
			if tt.want != "" {
				if got := trailingString(p.Trailing); got != tt.want {
					t.Errorf("trailing:\n got %s\nwant %s", got, tt.want)
				}
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestDaysSinceLastCountsDates(t *testing.T) {
	other := withCadence(bob, calendar.CadenceOther)
	tests := []struct {
		name string
		kept string // actual start of the one kept occurrence, Berlin
		now  string
		want int
	}{
		// Days are dates in Berlin, whatever the hours: Sunday 29 March
		// 2026 has 23 hours there, Sunday 25 October 25.
		{name: "spring: two dates later at the same time", kept: "2026-03-28 10:00", now: "2026-03-30 10:00", want: 2},
		{name: "spring: two dates later, a minute earlier", kept: "2026-03-28 10:00", now: "2026-03-30 09:59", want: 2},
		{name: "spring: the day before, across the change", kept: "2026-03-28 23:30", now: "2026-03-29 00:10", want: 1},
		{name: "autumn: 48.5 hours are two days", kept: "2026-10-24 10:00", now: "2026-10-26 09:30", want: 2},
		{name: "autumn: two dates later at the same time", kept: "2026-10-24 10:00", now: "2026-10-26 10:00", want: 2},
		{name: "same day", kept: "2026-10-24 10:00", now: "2026-10-24 23:59", want: 0},
		{name: "just after midnight is the next day", kept: "2026-10-24 23:00", now: "2026-10-25 00:30", want: 1},
		{name: "yesterday evening seen this morning", kept: "2026-10-25 17:00", now: "2026-10-26 09:00", want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := at(tt.now)
			// The summaries are as of now.
			s := Summaries(Input{
				Location:    berlin,
				Now:         now,
				Series:      []calendar.Series{other},
				Occurrences: []calendar.Occurrence{occ(other, tt.kept, calendar.StateHeld)},
			})
			if len(s) != 1 {
				t.Fatalf("%d summaries, want bob", len(s))
			}
			got := s[0].Trailing.DaysSinceLast
			if got == nil || *got != tt.want {
				t.Errorf("days_since_last = %v, want %d", trailingString(s[0].Trailing), tt.want)
			}
		})
	}
}

func TestDaysSinceLastLooksBeyondTheWindow(t *testing.T) {
	// Kept a year ago, skipped ever since: the window holds only skips.
	occs := join(run(bob, "2025-11-18 10:00", 7, "h"), run(bob, bobW36, 7, "ssssssssssss"))
	r := Build(Input{Week: w47, Location: berlin, Now: defaultNow, Series: []calendar.Series{bob}, Occurrences: occs})
	if len(r.Pairs) != 1 {
		t.Fatalf("pairs = %q", counterparts(r))
	}
	tr := r.Pairs[0].Trailing
	// Tue 18 Nov 2025 to Mon 23 Nov 2026 00:00, the end of W47: 370 dates.
	if tr.Kept != 0 || tr.DaysSinceLast == nil || *tr.DaysSinceLast != 370 || !tr.Overdue {
		t.Errorf("trailing = %s; want kept=0 days_since_last=370 overdue=true", trailingString(tr))
	}
}

func TestBuildDefaults(t *testing.T) {
	r := Build(Input{Now: time.Date(2026, 11, 23, 8, 0, 0, 123456789, time.UTC)})
	if r.Week != (Week{2026, 47}) || r.Timezone != "UTC" || r.From != "2026-11-16" || r.To != "2026-11-22" {
		t.Errorf("week, zone, from, to = %v, %q, %q, %q", r.Week, r.Timezone, r.From, r.To)
	}
	if got := r.GeneratedAt.Format(time.RFC3339Nano); got != "2026-11-23T08:00:00Z" {
		t.Errorf("generated_at = %s, want whole seconds in UTC", got)
	}
	if r.Pairs == nil {
		t.Error("pairs is nil; want empty (JSON [])")
	}
}

func TestSummaries(t *testing.T) {
	carol := withUntil(series("carol", "carol@example.com", calendar.CadenceBiweekly, "2026-01-07 14:00"), "2026-09-30 14:00")
	dave := withCadence(series("dave", "dave@example.com", calendar.CadenceMonthly, "2026-06-05 13:00"), calendar.CadenceMonthly)
	now := at("2026-11-18 12:00") // Wednesday of W47: the window is W36..W47
	in := Input{
		Week:     Week{2020, 1}, // not used by Summaries
		Location: berlin,
		Now:      now,
		Series:   []calendar.Series{dave, carol, bob},
		Occurrences: join(
			run(bob, bobW36, 7, "hhhhhhhhhhh"), // until 10 Nov
			[]calendar.Occurrence{
				occ(bob, "2026-11-17 10:00", calendar.StatePostponed, "2026-11-19 10:00"),
				occ(bob, "2026-11-24 10:00", calendar.StateSkipped),
				occ(bob, "2026-12-01 10:00", calendar.StateUpcoming),
			},
			run(carol, "2026-09-02 14:00", 14, "hhs"),
		),
		OpenActions: map[calendar.Pair]int{bob.Pair: 2},
	}
	got := Summaries(in)
	var names []string
	for _, s := range got {
		names = append(names, s.Counterpart)
	}
	if want := []string{bobAddr, "carol@example.com", "dave@example.com"}; !slices.Equal(names, want) {
		t.Fatalf("summaries = %q, want %q", names, want)
	}
	b, c, d := got[0], got[1], got[2]
	if want := "weeks=12 due=12 kept=11 consistency=0.92 on_time=0.92 streak=11 days_since_last=8 mean_shift=2880 overdue=false"; trailingString(b.Trailing) != want {
		t.Errorf("bob trailing:\n got %s\nwant %s", trailingString(b.Trailing), want)
	}
	if b.NextStart == nil || !b.NextStart.Equal(at("2026-11-19 10:00")) || b.NextStart.Location() != berlin {
		t.Errorf("bob next_start = %v, want the postponed one, Thu 19 Nov 10:00 in Berlin", b.NextStart)
	}
	if b.OpenActions != 2 || b.Ended || b.Pair != "anna@example.com|bob@example.com" || !slices.Equal(b.Series, []string{bob.ID}) {
		t.Errorf("bob = %+v", b)
	}
	if !c.Ended || c.NextStart != nil || c.Trailing.Overdue || c.OpenActions != 0 {
		t.Errorf("carol: ended=%v next=%v overdue=%v actions=%d; want ended, no next, not overdue, 0", c.Ended, c.NextStart, c.Trailing.Overdue, c.OpenActions)
	}
	if d.Trailing.Due != 0 || d.Trailing.DaysSinceLast != nil || !d.Trailing.Overdue {
		t.Errorf("dave (monthly since June, never met) = %s; want due=0, never, overdue", trailingString(d.Trailing))
	}
}
