package recur_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/ical"
	"oneonone/calendar/recur"
)

// fmtInstance renders an instance in loc as "orig -> start-end [flags]";
// the start is left out when it equals the original start.
func fmtInstance(i recur.Instance, loc *time.Location) string {
	const f = "01-02 15:04"
	s := i.OriginalStart.In(loc).Format(f)
	if !i.Start.Equal(i.OriginalStart) {
		s += " -> " + i.Start.In(loc).Format(f)
	}
	s += "-" + i.End.In(loc).Format("15:04")
	if i.Override {
		s += " override"
	}
	if i.Cancelled {
		s += " cancelled"
	}
	return s
}

func groupOf(t *testing.T, evs []calendar.Event, uid string) recur.Group {
	t.Helper()
	for _, g := range recur.GroupEvents(evs) {
		if g.UID == uid {
			return g
		}
	}
	t.Fatalf("no group %q", uid)
	return recur.Group{}
}

func TestExpandFixtures(t *testing.T) {
	berlin, la, ny := mustZone(t, "Europe/Berlin"), mustZone(t, "America/Los_Angeles"), mustZone(t, "America/New_York")
	d := func(loc *time.Location, y int, m time.Month, dd int) time.Time {
		return time.Date(y, m, dd, 0, 0, 0, 0, loc)
	}
	tests := []struct {
		name, file, uid string
		def             *time.Location
		from, to        time.Time
		loc             *time.Location
		want            []string
	}{
		{
			name: "Google: EXDATEs over two lines and a list, a moved, a declined and a cancelled override, across DST",
			file: "google_weekly_1on1.ics", uid: "5vq0d1b9k1s3l8c2n7m4o6p2qr@google.com",
			from: d(berlin, 2026, 3, 1), to: d(berlin, 2026, 4, 22), loc: berlin,
			want: []string{
				"03-03 10:00-10:30",
				"03-10 10:00 -> 03-12 15:00-15:30 override",
				"03-17 10:00-10:30 cancelled",
				"03-24 10:00-10:30 override",
				"03-31 10:00-10:30 override cancelled",
				"04-07 10:00-10:30 cancelled",
				"04-14 10:00-10:30 cancelled",
				"04-21 10:00-10:30",
			},
		},
		{
			name: "Exchange: Windows TZID, biweekly, UTC UNTIL inclusive, EXDATE list with TZID, moved override",
			file: "exchange_1on1.ics", uid: "040000008200E00074C5B7101A82E00800000000D0C7D1A1A3A5DC01000000000000000010000000C0FFEE1234567890ABCDEF0123456789",
			from: d(berlin, 2026, 1, 1), to: d(berlin, 2027, 1, 1), loc: berlin,
			want: []string{
				"03-09 09:00-09:30",
				"03-23 09:00-09:30 cancelled",
				"04-06 09:00 -> 04-07 14:00-14:30 override",
				"04-20 09:00-09:30 cancelled",
				"05-04 09:00-09:30", "05-18 09:00-09:30", "06-01 09:00-09:30", "06-15 09:00-09:30", "06-29 09:00-09:30",
			},
		},
		{
			name: "Exchange all-day: RECURRENCE-ID;TZID=W. Europe Standard Time:...T000000 names the date, EXDATE;VALUE=DATE",
			file: "exchange_allday_moved.ics", uid: "exchange-allday-1on1-prep", def: la,
			from: d(la, 2026, 3, 1), to: d(la, 2026, 6, 1), loc: la,
			want: []string{
				"03-30 00:00-00:00",
				"04-06 00:00 -> 04-07 00:00-00:00 override",
				"04-13 00:00-00:00 cancelled",
				"04-20 00:00-00:00",
				"04-27 00:00-00:00",
			},
		},
		{
			name: "Apple: biweekly in Los Angeles, UTC EXDATE against a TZID DTSTART, wall clock kept over DST",
			file: "apple_1on1.ics", uid: "7F3E1C5A-2B4D-4E6F-8A9B-0C1D2E3F4A5B",
			from: d(la, 2026, 3, 1), to: d(la, 2026, 4, 17), loc: la,
			want: []string{"03-05 11:00-11:30", "03-19 11:00-11:30 cancelled", "04-02 11:00-11:30", "04-16 11:00-11:30"},
		},
		{
			name: "Nextcloud: THISANDFUTURE moves later slots by its shift and length until an exact override, across DST",
			file: "nextcloud_thisandfuture.ics", uid: "a3f1c2d4-5b6e-4f70-8192-a3b4c5d6e7f8",
			from: d(berlin, 2026, 1, 20), to: d(berlin, 2026, 4, 1), loc: berlin,
			want: []string{
				"01-26 09:00-09:30",
				"02-02 09:00 -> 02-03 14:00-15:00 override",
				"02-09 09:00 -> 02-10 14:00-15:00 override",
				"02-16 09:00 -> 02-16 16:00-16:30 override",
				"02-23 09:00 -> 02-24 14:00-15:00 override",
				"03-02 09:00 -> 03-03 14:00-15:00 override",
				"03-09 09:00 -> 03-10 14:00-15:00 override",
				"03-16 09:00 -> 03-17 14:00-15:00 override",
				"03-23 09:00 -> 03-24 14:00-15:00 override",
				"03-30 09:00 -> 03-31 14:00-15:00 override",
			},
		},
		{
			name: "Nextcloud: a slot is in the window when only its moved start is",
			file: "nextcloud_thisandfuture.ics", uid: "a3f1c2d4-5b6e-4f70-8192-a3b4c5d6e7f8",
			from: d(berlin, 2026, 3, 10), to: d(berlin, 2026, 3, 11), loc: berlin,
			want: []string{"03-09 09:00 -> 03-10 14:00-15:00 override"},
		},
		{
			name: "Thunderbird: Mozilla TZID, monthly BYDAY=1TH COUNT=6 plus an RDATE PERIOD that sets its own end",
			file: "thunderbird_mozilla_tzid.ics", uid: "tb-3c1a8f7e-1on1",
			from: d(berlin, 2026, 1, 1), to: d(berlin, 2027, 1, 1), loc: berlin,
			want: []string{"01-08 16:00-16:30", "02-05 16:00-16:30", "02-19 16:00-17:00", "03-05 16:00-16:30", "04-02 16:00-16:30", "05-07 16:00-16:30", "06-04 16:00-16:30"},
		},
		{
			name: "Exchange custom VTIMEZONE: 10:30 local before and after the US change",
			file: "custom_vtimezone.ics", uid: "custom-tz-weekly",
			from: d(ny, 2026, 1, 1), to: d(ny, 2027, 1, 1), loc: ny,
			want: []string{"03-02 10:30-11:00", "03-09 10:30-11:00", "03-16 10:30-11:00"},
		},
		{
			name: "floating times in X-WR-TIMEZONE with a UTC UNTIL",
			file: "floating.ics", uid: "floating-weekly",
			from: d(ny, 2026, 1, 1), to: d(ny, 2027, 1, 1), loc: ny,
			want: []string{"03-02 09:00-09:30", "03-09 09:00-09:30", "03-16 09:00-09:30"},
		},
		{
			name: "all-day instances stay midnight to midnight over DST",
			file: "floating.ics", uid: "allday-weekly",
			from: d(ny, 2026, 1, 1), to: d(ny, 2027, 1, 1), loc: ny,
			want: []string{"03-06 00:00-00:00", "03-13 00:00-00:00", "03-20 00:00-00:00"},
		},
		{
			name: "duplicate RRULE lines are all used, instances deduplicated; DURATION sets the length",
			file: "malformed.ics", uid: "duplicate-rrule",
			from: d(time.UTC, 2026, 1, 1), to: d(time.UTC, 2027, 1, 1), loc: time.UTC,
			want: []string{"03-02 09:00-10:00", "03-04 09:00-10:00", "03-09 09:00-10:00", "03-16 09:00-10:00"},
		},
		{
			name: "UNTIL before DTSTART: no instance at all",
			file: "malformed.ics", uid: "until-before-start",
			from: d(time.UTC, 2026, 1, 1), to: d(time.UTC, 2027, 1, 1), loc: time.UTC,
		},
		{
			name: "bad FREQ: the event is a one-off",
			file: "malformed.ics", uid: "bad-freq",
			from: d(time.UTC, 2026, 1, 1), to: d(time.UTC, 2027, 1, 1), loc: time.UTC,
			want: []string{"03-02 09:00-09:30"},
		},
		{
			name: "RDATE date-time, DATE and PERIOD; EXDATE in UTC, as DATE, matching nothing; EXDATE cancels an override; UTC RECURRENCE-ID",
			file: "rdate_exdate.ics", uid: "rdate-mix",
			from: d(berlin, 2026, 1, 1), to: d(berlin, 2027, 1, 1), loc: berlin,
			want: []string{
				"03-02 10:00-11:00",
				"03-05 15:00-16:00",
				"03-07 10:00-11:00",
				"03-09 10:00-11:00 override cancelled",
				"03-11 14:00-16:00",
				"03-12 14:00-14:30",
				"03-16 10:00-11:00 cancelled",
				"03-23 10:00 -> 03-24 10:00-11:00 override",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, _ := parseFixture(t, tc.file, tc.def)
			ins, err := recur.Expand(groupOf(t, evs, tc.uid), tc.from, tc.to, recur.ExpandOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, i := range ins {
				got = append(got, fmtInstance(i, tc.loc))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestExpandInstanceEvent(t *testing.T) {
	evs := mustParse(t, "nextcloud_thisandfuture.ics", nil)
	g := groupOf(t, evs, "a3f1c2d4-5b6e-4f70-8192-a3b4c5d6e7f8")
	berlin := mustZone(t, "Europe/Berlin")
	ins, err := recur.Expand(g, time.Date(2026, 1, 1, 0, 0, 0, 0, berlin), time.Date(2026, 3, 1, 0, 0, 0, 0, berlin), recur.ExpandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ins {
		want := "Gina / Hal 1:1"
		switch {
		case i.OriginalStart.Day() == 16 && i.OriginalStart.Month() == time.February:
			want = "Gina / Hal 1:1 (one-off move)"
		case i.OriginalStart.Month() == time.February:
			want = "Gina / Hal 1:1 (new slot)"
		}
		if i.Event.Summary != want {
			t.Errorf("%s: event %q, want %q", fmtInstance(i, berlin), i.Event.Summary, want)
		}
		if i.Event == g.Master && i.Override {
			t.Errorf("%s: master marked as override", fmtInstance(i, berlin))
		}
	}
}

// RFC 5545 §3.8.5.3: DTSTART is the first instance even when the rule does
// not generate it, and it counts toward COUNT.
func TestExpandDTSTARTAlwaysInstance(t *testing.T) {
	tests := []struct {
		name, rule string
		want       []string
	}{
		{"DTSTART on a Tuesday, rule on Wednesdays", "FREQ=WEEKLY;BYDAY=WE;COUNT=3", []string{"03-03", "03-04", "03-11"}},
		{"generated DTSTART counted once", "FREQ=WEEKLY;BYDAY=TU;COUNT=3", []string{"03-03", "03-10", "03-17"}},
		{"COUNT=1 not matching: DTSTART only", "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=1", []string{"03-03"}},
		{"UNTIL before DTSTART: nothing", "FREQ=DAILY;UNTIL=20260301T000000Z", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := ical.Parse(vcal("BEGIN:VEVENT", "UID:x", "DTSTART:20260303T090000Z", "RRULE:"+tc.rule, "END:VEVENT"), ical.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ins, err := recur.Expand(recur.GroupEvents(evs)[0], time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), recur.ExpandOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, i := range ins {
				got = append(got, i.Start.Format("01-02"))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestExpandOneOffAndOrphans(t *testing.T) {
	evs, err := ical.Parse(vcal(
		"BEGIN:VEVENT", "UID:one", "DTSTART:20260303T090000Z", "DTEND:20260303T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:orphans", "RECURRENCE-ID:20260310T090000Z", "DTSTART:20260311T090000Z", "DTEND:20260311T093000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:orphans", "RECURRENCE-ID:20260303T090000Z", "STATUS:CANCELLED", "DTSTART:20260303T090000Z", "END:VEVENT",
	), ical.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gs := recur.GroupEvents(evs)
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	ins, err := recur.Expand(gs[0], from, to, recur.ExpandOptions{})
	if err != nil || len(ins) != 1 || ins[0].Event != gs[0].Master || !ins[0].OriginalStart.Equal(gs[0].Master.Start) || ins[0].Override || ins[0].Cancelled {
		t.Errorf("one-off: %+v %v", ins, err)
	}
	if ins, _ := recur.Expand(gs[0], to, to.AddDate(0, 1, 0), recur.ExpandOptions{}); len(ins) != 0 {
		t.Errorf("one-off outside the window: %+v", ins)
	}
	ins, err = recur.Expand(gs[1], from, to, recur.ExpandOptions{})
	if err != nil || len(ins) != 2 {
		t.Fatalf("orphans: %+v %v", ins, err)
	}
	if !ins[0].Cancelled || ins[0].OriginalStart.Day() != 3 || ins[1].Cancelled || ins[1].OriginalStart.Day() != 10 || ins[1].Start.Day() != 11 || !ins[1].Override {
		t.Errorf("orphans: %s / %s", fmtInstance(ins[0], time.UTC), fmtInstance(ins[1], time.UTC))
	}
	if end, ok := recur.SeriesEnd(gs[1]); !ok || end.Day() != 10 {
		t.Errorf("SeriesEnd(orphans) = %v, %v", end, ok)
	}
	if end, ok := recur.SeriesEnd(gs[0]); !ok || !end.Equal(gs[0].Master.Start) {
		t.Errorf("SeriesEnd(one-off) = %v, %v", end, ok)
	}
}

func TestExpandLimit(t *testing.T) {
	evs, _ := ical.Parse(vcal("BEGIN:VEVENT", "UID:x", "DTSTART:20260101T000000Z", "RRULE:FREQ=MINUTELY", "END:VEVENT"), ical.ParseOptions{})
	g := recur.GroupEvents(evs)[0]
	before := recur.RuleWork.Load()
	ins, err := recur.Expand(g, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), recur.ExpandOptions{})
	if len(ins) != recur.DefaultLimit || err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("%d instances, err %v; want %d and a truncation error", len(ins), err, recur.DefaultLimit)
	}
	ins, _ = recur.Expand(g, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), recur.ExpandOptions{Limit: 3})
	if len(ins) != 3 || ins[0].Start != time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) {
		t.Errorf("limit 3: %+v", ins)
	}
	// The count sees the work: 10,000 instances at least were generated.
	if spent := recur.RuleWork.Load() - before; spent < recur.DefaultLimit {
		t.Errorf("ruleWork counted %d instances, want at least %d", spent, recur.DefaultLimit)
	}
	checkRuleWork(t, before, 2)
}

// checkRuleWork fails when the calls of Expand and SeriesEnd made since
// ruleWork read before generated more than their budget each: the bound on
// the work is checked by counting it, never by timing it.
func checkRuleWork(t testing.TB, before int64, calls int) {
	t.Helper()
	if spent, most := recur.RuleWork.Load()-before, int64(calls)*(recur.RuleBudget+1); spent > most {
		t.Errorf("the rules generated %d instances in %d calls, more than the budget of %d each", spent, calls, recur.RuleBudget)
	}
}

// Rules that are legal but never (or rarely) match, and rules with a
// DTSTART long ago, must cost little: the work is bounded, not the input.
func TestExpandBoundedWork(t *testing.T) {
	tests := []struct {
		name, dtstart, rule string
		want                int
	}{
		{"never matches, DAILY", "20260101T090000Z", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", 1},
		{"never matches, SECONDLY", "20260101T090000Z", "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=31", 1},
		{"never matches, WEEKLY COUNT", "20260101T090000Z", "FREQ=WEEKLY;BYMONTH=4;BYMONTHDAY=31;COUNT=5", 1},
		{"minutely since year 1", "00010101T000000Z", "FREQ=MINUTELY;INTERVAL=7", 1440 / 7},
		{"secondly since 1900, bounded", "19000101T000000Z", "FREQ=SECONDLY;INTERVAL=60;BYSECOND=0;BYMINUTE=0", 24},
		{"leap day yearly", "20240229T090000Z", "FREQ=YEARLY", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := ical.Parse(vcal("BEGIN:VEVENT", "UID:x", "DTSTART:"+tc.dtstart, "RRULE:"+tc.rule, "END:VEVENT"), ical.ParseOptions{})
			if err != nil || len(evs) != 1 || evs[0].Recurrence == nil {
				t.Fatal(evs, err)
			}
			before := recur.RuleWork.Load()
			from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
			ins, err := recur.Expand(recur.GroupEvents(evs)[0], from, from.Add(24*time.Hour), recur.ExpandOptions{})
			n := 0
			for _, i := range ins {
				if !i.OriginalStart.Before(from) {
					n++
				}
			}
			checkRuleWork(t, before, 1)
			if strings.HasPrefix(tc.name, "never") {
				// Only DTSTART, outside the window.
				if len(ins) != 0 || err != nil {
					t.Errorf("%d instances, err %v", len(ins), err)
				}
				recur.SeriesEnd(recur.GroupEvents(evs)[0])
				return
			}
			if err != nil || (n != tc.want && n != tc.want+1) {
				t.Errorf("%d instances in the day, err %v, want %d", n, err, tc.want)
			}
		})
	}
}

func TestRejectedRules(t *testing.T) {
	for _, rule := range []string{
		"FREQ=HOURLY;INTERVAL=4;BYHOUR=7,11,15,19", // never reached from 09:00: rrule-go would loop forever
		"FREQ=MINUTELY;INTERVAL=12;BYMINUTE=10,11,25,39,50",
		"FREQ=DAILY;INTERVAL=99999999",
		"FREQ=DAILY;COUNT=0",
		"FREQ=MONTHLY;BYSETPOS=0",
		"FREQ=WEEKLY;BYDAY=XX",
		"FREQ=YEARLY;BYEASTER=100000",
		"INTERVAL=2",
		"FREQ=DAILY;FREQ=WEEKLY",
		"FREQ=DAILY;RSCALE=HEBREW",
		"FREQ=MONTHLY;BYDAY=8FR",          // found by FuzzRRule: rrule-go index out of range
		"FREQ=MONTHLY;BYDAY=-6FR",         // likewise, negative
		"FREQ=YEARLY;BYMONTH=2;BYDAY=6FR", // never matches: no 6th Friday in a month
	} {
		evs, err := ical.Parse(vcal("BEGIN:VEVENT", "UID:x", "DTSTART:19970902T090000Z", "RRULE:"+rule, "END:VEVENT"), ical.ParseOptions{})
		if err == nil || len(evs) != 1 || evs[0].Recurrence != nil || !strings.Contains(err.Error(), "RRULE") {
			t.Errorf("%s: accepted (err %v)", rule, err)
		}
		// Expand meets such strings from other providers too.
		g := recur.Group{UID: "x", Master: &calendar.Event{UID: "x", Start: time.Date(1997, 9, 2, 9, 0, 0, 0, time.UTC), Recurrence: &calendar.Recurrence{RRules: []string{rule}}}}
		ins, err := recur.Expand(g, time.Date(1997, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1998, 1, 1, 0, 0, 0, 0, time.UTC), recur.ExpandOptions{})
		if err == nil || len(ins) != 1 {
			t.Errorf("%s: Expand gave %d instances, err %v; want DTSTART and an error", rule, len(ins), err)
		}
	}
	// Tolerated, with a warning: spaces in lists, a trailing ';', X- parts.
	evs, err := ical.Parse(vcal("BEGIN:VEVENT", "UID:x", "DTSTART:20150703T100000Z", "RRULE:FREQ=DAILY;BYDAY=MO, TU, WE, TH, FR;X-FOO=1;", "END:VEVENT"), ical.ParseOptions{})
	if len(evs) != 1 || evs[0].Recurrence == nil || evs[0].Recurrence.RRules[0] != "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR" {
		t.Errorf("lenient rule: %+v %v", evs, err)
	}
}

func TestSeriesEnd(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	tests := []struct {
		name, dtstart, rules string
		want                 time.Time
		finite               bool
	}{
		{"open-ended", "TZID=Europe/Berlin:20260105T090000", "FREQ=WEEKLY", time.Time{}, false},
		{"UNTIL inclusive", "TZID=Europe/Berlin:20260105T090000", "FREQ=WEEKLY;UNTIL=20260330T070000Z", time.Date(2026, 3, 30, 9, 0, 0, 0, berlin), true},
		{"UNTIL between slots", "TZID=Europe/Berlin:20260105T090000", "FREQ=WEEKLY;UNTIL=20260401T000000Z", time.Date(2026, 3, 30, 9, 0, 0, 0, berlin), true},
		{"COUNT", "TZID=Europe/Berlin:20260105T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=4", time.Date(2026, 2, 16, 9, 0, 0, 0, berlin), true},
		{"UNTIL long after DTSTART", "19700105T090000Z", "FREQ=WEEKLY;UNTIL=20260330T090000Z", time.Date(2026, 3, 30, 9, 0, 0, 0, time.UTC), true},
		{"sparse: leap days", "20240229T090000Z", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;UNTIL=20350101T000000Z", time.Date(2032, 2, 29, 9, 0, 0, 0, time.UTC), true},
		{"one open rule among closed ones", "20260105T090000Z", "FREQ=WEEKLY;COUNT=2\nRRULE:FREQ=MONTHLY", time.Time{}, false},
		{"RDATE after the rule", "20260105T090000Z", "FREQ=WEEKLY;COUNT=2\nRDATE:20261224T090000Z", time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC), true},
		{"UNTIL before DTSTART", "20260105T090000Z", "FREQ=WEEKLY;UNTIL=20250101T000000Z", time.Time{}, true},
		{"never matches", "20260105T090000Z", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=20400101T000000Z", time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), true},
		{"COUNT=1000000 weekly: a lower bound within the budget", "20260105T090000Z", "FREQ=WEEKLY;COUNT=1000000", time.Time{}, true},
		{"SECONDLY COUNT", "20260105T090000Z", "FREQ=SECONDLY;COUNT=100000", time.Date(2026, 1, 6, 12, 46, 39, 0, time.UTC), true},
		{"SECONDLY UNTIL", "20260105T090000Z", "FREQ=SECONDLY;INTERVAL=43;UNTIL=20360105T090000Z", time.Date(2036, 1, 5, 8, 59, 56, 0, time.UTC), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dtstart := "DTSTART:" + tc.dtstart
			if strings.HasPrefix(tc.dtstart, "TZID=") {
				dtstart = "DTSTART;" + tc.dtstart
			}
			evs, err := ical.Parse(vcal("BEGIN:VEVENT", "UID:x", dtstart, "RRULE:"+tc.rules, "END:VEVENT"), ical.ParseOptions{})
			if len(evs) != 1 {
				t.Fatal(err)
			}
			// Bounded work is the budget inside SeriesEnd (counted, not
			// timed): a test never asserts a wall-clock time.
			end, finite := recur.SeriesEnd(recur.GroupEvents(evs)[0])
			if finite != tc.finite {
				t.Errorf("finite %v, want %v", finite, tc.finite)
			}
			if strings.Contains(tc.name, "lower bound") {
				if end.Before(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("end %v: the budget should reach centuries ahead", end)
				}
				return
			}
			if !end.Equal(tc.want) {
				t.Errorf("end %v, want %v", end, tc.want)
			}
		})
	}
}

func TestUntilForms(t *testing.T) {
	tests := []struct {
		name, dtstart, rule string
		want                []string
	}{
		{"UTC UNTIL is inclusive", "DTSTART;TZID=Europe/Berlin:20260302T100000", "FREQ=WEEKLY;UNTIL=20260316T090000Z", []string{"03-02", "03-09", "03-16"}},
		{"floating UNTIL with a TZID DTSTART is read in that zone", "DTSTART;TZID=Europe/Berlin:20260302T100000", "FREQ=WEEKLY;UNTIL=20260316T100000", []string{"03-02", "03-09", "03-16"}},
		{"floating DTSTART with a UTC UNTIL", "DTSTART:20260302T100000", "FREQ=WEEKLY;UNTIL=20260316T095959Z", []string{"03-02", "03-09"}},
		{"DATE UNTIL with a DATE DTSTART is inclusive", "DTSTART;VALUE=DATE:20260302", "FREQ=WEEKLY;UNTIL=20260316", []string{"03-02", "03-09", "03-16"}},
		{"DATE UNTIL with a DATE-TIME DTSTART is midnight (dateutil)", "DTSTART:20260302T100000Z", "FREQ=WEEKLY;UNTIL=20260316", []string{"03-02", "03-09"}},
		{"UNTIL and COUNT: the first to end wins", "DTSTART:20260302T100000Z", "FREQ=WEEKLY;COUNT=2;UNTIL=20260330T100000Z", []string{"03-02", "03-09"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, _ := ical.Parse(vcal("BEGIN:VEVENT", "UID:x", tc.dtstart, "RRULE:"+tc.rule, "END:VEVENT"), ical.ParseOptions{})
			if len(evs) != 1 || evs[0].Recurrence == nil {
				t.Fatalf("%+v", evs)
			}
			ins, err := recur.Expand(recur.GroupEvents(evs)[0], time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), recur.ExpandOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, i := range ins {
				got = append(got, i.Start.Format("01-02"))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// A DATE RECURRENCE-ID on a DATE-TIME series names that day's slot.
func TestDateRecurrenceIDOnTimedSeries(t *testing.T) {
	evs, err := ical.Parse(vcal(
		"BEGIN:VEVENT", "UID:x", "DTSTART;TZID=Europe/Berlin:20260302T100000", "DURATION:PT30M", "RRULE:FREQ=DAILY;COUNT=3", "END:VEVENT",
		"BEGIN:VEVENT", "UID:x", "RECURRENCE-ID;VALUE=DATE:20260303", "DTSTART;TZID=Europe/Berlin:20260303T120000", "DURATION:PT30M", "END:VEVENT",
	), ical.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	berlin := mustZone(t, "Europe/Berlin")
	ins, err := recur.Expand(recur.GroupEvents(evs)[0], time.Date(2026, 3, 1, 0, 0, 0, 0, berlin), time.Date(2026, 4, 1, 0, 0, 0, 0, berlin), recur.ExpandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range ins {
		got = append(got, fmtInstance(i, berlin))
	}
	want := []string{"03-02 10:00-10:30", "03-03 10:00 -> 03-03 12:00-12:30 override", "03-04 10:00-10:30"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestExpandCancelledMaster: STATUS:CANCELLED on the master cancels every
// slot; an override of its own may bring one back.
func TestExpandCancelledMaster(t *testing.T) {
	evs, err := ical.Parse(vcal(
		"BEGIN:VEVENT", "UID:c", "STATUS:CANCELLED", "DTSTART:20260303T090000Z", "DTEND:20260303T100000Z", "RRULE:FREQ=WEEKLY;COUNT=3", "END:VEVENT",
		"BEGIN:VEVENT", "UID:c", "RECURRENCE-ID:20260310T090000Z", "STATUS:CONFIRMED", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:one", "STATUS:CANCELLED", "DTSTART:20260304T090000Z", "DTEND:20260304T100000Z", "END:VEVENT",
	), ical.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	var got []string
	for _, g := range recur.GroupEvents(evs) {
		ins, err := recur.Expand(g, from, to, recur.ExpandOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range ins {
			got = append(got, fmt.Sprintf("%s %s %v", g.UID, i.OriginalStart.Format("01-02"), i.Cancelled))
		}
	}
	want := []string{"c 03-03 true", "c 03-10 false", "c 03-17 true", "one 03-04 true"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
