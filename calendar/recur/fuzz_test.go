package recur_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"oneonone/calendar/ical"
	"oneonone/calendar/recur"
)

// FuzzParseExpand feeds arbitrary objects through Parse, GroupEvents,
// Expand and SeriesEnd: nothing may panic (a recovered panic surfaces as an
// "internal error" or "rule engine" error, which fails too), the output
// stays within the limit and in order, and each input costs little.
func FuzzParseExpand(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtures, "*.ics"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(vcal("BEGIN:VEVENT", "UID:x", "DTSTART:20260302T090000Z", "RRULE:FREQ=SECONDLY;BYSETPOS=1", "END:VEVENT"))
	f.Add([]byte("BEGIN:VEVENT\nDTSTART;TZID=\"a:20200609T090000\"\nEND:VEVENT"))
	// Outlook's quoted TZID that swallowed the value, in a weekly series; the
	// same object as UTF-16 with and without a byte order mark.
	quoted := vcal("BEGIN:VEVENT", "UID:q", `DTSTART;TZID="W. Europe Standard Time:20200609T090000"`, "RRULE:RRULE:AnythingRandom;FREQ=WEEKLY;BYDAY=TU", "END:VEVENT")
	f.Add(quoted)
	f.Add(utf16LE(append([]byte{0xef, 0xbb, 0xbf}, quoted...)))
	f.Add(utf16LE(quoted))
	f.Add(vcal("BEGIN:VEVENT", "UID:g", `DTSTART;TZID="GMT-05.00/-04.00":20260302T090000`, "RRULE:FREQ=WEEKLY", "END:VEVENT"))
	for _, rule := range hostileRules() {
		f.Add(vcal("BEGIN:VEVENT", "UID:h", "DTSTART:20260302T090000Z", "RRULE:"+rule, "EXDATE:20260309T090000Z", "END:VEVENT"))
	}
	// Rules each within the limits, costly together (TestRulesTogetherRefused).
	minuteOfEachDay := hostileRules()[len(costlyRules)]
	many := []string{"BEGIN:VEVENT", "UID:m", "DTSTART:20260302T090000Z"}
	for i := 0; i < 4; i++ {
		many = append(many, "RRULE:"+strings.Replace(minuteOfEachDay, "BYSECOND=0", fmt.Sprintf("BYSECOND=%d", i), 1))
	}
	f.Add(vcal(append(many, "END:VEVENT")...))

	from := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	const limit = 500
	f.Fuzz(func(t *testing.T, data []byte) {
		before := recur.RuleWork.Load()
		evs, err := ical.Parse(data, ical.ParseOptions{Href: "fuzz.ics"})
		checkNoPanic(t, err)
		if err == nil && len(evs) == 0 && strings.Contains(string(data), "BEGIN:VEVENT") && strings.Contains(string(data), "DTSTART") {
			// Fine: e.g. a VEVENT inside a VTODO. Nothing to check.
			return
		}
		groups := recur.GroupEvents(evs)
		for _, g := range groups {
			ins, err := recur.Expand(g, from, to, recur.ExpandOptions{Limit: limit})
			checkNoPanic(t, err)
			if len(ins) > limit {
				t.Fatalf("%d instances over the limit %d", len(ins), limit)
			}
			for i, in := range ins {
				if in.Event == nil {
					t.Fatalf("instance %d without event", i)
				}
				if i > 0 && in.OriginalStart.Before(ins[i-1].OriginalStart) {
					t.Fatalf("instances out of order at %d", i)
				}
				inWindow := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
				if !inWindow(in.OriginalStart) && !inWindow(in.Start) {
					t.Fatalf("instance %d outside the window: %v / %v", i, in.OriginalStart, in.Start)
				}
			}
			recur.SeriesEnd(g)
		}
		checkRuleWork(t, before, 2*len(groups)) // an Expand and a SeriesEnd each
	})
}

// FuzzRRule aims at the rule engine: a DTSTART and an RRULE value, with the
// same guarantees as FuzzParseExpand.
func FuzzRRule(f *testing.F) {
	for _, seed := range [][2]string{
		{"20260302T090000Z", "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"},
		{"TZID=Europe/Berlin:20260329T023000", "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"},
		{"VALUE=DATE:20240229", "FREQ=YEARLY;BYMONTHDAY=-1;BYSETPOS=1,-1"},
		{"20260302T090000", "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20261231"},
		{"20260302T090000Z", "FREQ=HOURLY;INTERVAL=5;BYHOUR=1,6;BYSETPOS=2"},
		{"20260302T090000Z", "FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH;INTERVAL=6"},
		{"20260302T090000Z", "FREQ=SECONDLY;BYMINUTE=7;BYSECOND=59;COUNT=1000000"},
		{"20260302T090000Z", "FREQ=YEARLY;BYEASTER=-2"},
	} {
		f.Add(seed[0], seed[1])
	}
	for _, rule := range hostileRules() {
		f.Add("20260302T090000Z", rule)
		f.Add("19000101T000000Z", rule)
	}
	from := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, dtstart, rule string) {
		if strings.ContainsAny(dtstart+rule, "\r\n") {
			return
		}
		sep := ":"
		if strings.Contains(dtstart, "=") {
			sep = ";"
		}
		before := recur.RuleWork.Load()
		evs, err := ical.Parse(vcal("BEGIN:VEVENT", "UID:f", "DTSTART"+sep+dtstart, "RRULE:"+rule, "EXDATE:20260309T090000Z", "END:VEVENT"), ical.ParseOptions{})
		checkNoPanic(t, err)
		groups := recur.GroupEvents(evs)
		for _, g := range groups {
			ins, err := recur.Expand(g, from, to, recur.ExpandOptions{Limit: 300})
			checkNoPanic(t, err)
			if len(ins) > 300 {
				t.Fatalf("%d instances", len(ins))
			}
			recur.SeriesEnd(g)
		}
		checkRuleWork(t, before, 2*len(groups))
	})
}

func checkNoPanic(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if s := err.Error(); strings.Contains(s, "internal error") || strings.Contains(s, "rule engine") || strings.Contains(s, "panic") {
		t.Fatalf("recovered panic: %v", err)
	}
}

// utf16LE returns UTF-8 text b as UTF-16LE, a leading UTF-8 BOM becoming
// the UTF-16 one.
func utf16LE(b []byte) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(string(b))) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// hostileRules are the shapes an invitation can use to make the rule
// engine work: huge BY* lists, SECONDLY with hours it rarely reaches,
// INTERVAL at its extremes, huge COUNTs, far UNTILs, large BYSETPOS sets.
func hostileRules() []string {
	all := func(from, to int) string {
		var s []string
		for i := from; i <= to; i++ {
			s = append(s, fmt.Sprint(i))
		}
		return strings.Join(s, ",")
	}
	return append(append([]string(nil), costlyRules...),
		"FREQ=YEARLY;BYMONTH="+all(1, 12)+";BYMONTHDAY="+all(1, 31)+";BYHOUR="+all(0, 23)+";BYMINUTE="+all(0, 59)+";BYSECOND=0",
		"FREQ=MONTHLY;BYMONTHDAY="+all(1, 31)+";BYHOUR="+all(0, 23)+";BYMINUTE="+all(0, 59),
		"FREQ=YEARLY;BYYEARDAY="+all(1, 366)+";BYHOUR="+all(0, 23)+";BYSETPOS="+all(1, 366),
		"FREQ=DAILY;BYHOUR="+all(0, 23)+";BYMINUTE="+all(0, 59)+";BYSETPOS=-"+all(1, 366),
		"FREQ=SECONDLY;BYHOUR=23;BYMINUTE=59;BYSECOND=59",
		"FREQ=SECONDLY;INTERVAL=43;BYHOUR=3",
		"FREQ=SECONDLY;INTERVAL=999999;BYSECOND=7",
		"FREQ=MINUTELY;INTERVAL=1;BYHOUR=4;BYMINUTE=2;COUNT=100000",
		"FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=23;COUNT=1000000",
		"FREQ=DAILY;INTERVAL=1000000",
		"FREQ=YEARLY;INTERVAL=1000000;BYMONTH=2;BYMONTHDAY=29",
		"FREQ=WEEKLY;COUNT=2147483647",
		"FREQ=SECONDLY;COUNT=2147483647",
		"FREQ=DAILY;UNTIL=99991231T235959Z",
		"FREQ=MINUTELY;UNTIL=99991231T235959Z;BYSECOND=0,30",
		"FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH;UNTIL=99991231",
		"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYSETPOS="+all(1, 31)+";BYHOUR="+all(0, 23),
	)
}
