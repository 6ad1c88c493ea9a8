package sync_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"oneonone/internal/demo"
)

func byList(from, to int) string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, fmt.Sprint(i))
	}
	return strings.Join(s, ",")
}

// everySecond is an RRULE that lists every second of the year.
var everySecond = "FREQ=YEARLY;BYMONTH=" + byList(1, 12) + ";BYMONTHDAY=" + byList(1, 31) + ";BYHOUR=" + byList(0, 23) + ";BYMINUTE=" + byList(0, 59) + ";BYSECOND=" + byList(0, 59)

// invitation is a weekly 1:1 of anna with who, with the given rule.
func invitation(uid, who, rule string) []byte {
	pad := strings.Repeat("x", max(0, len(everySecond)-len(rule)))
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\n" +
		"DTSTAMP:20261101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20261005T090000\r\nDURATION:PT30M\r\n" +
		"RRULE:" + rule + "\r\nSUMMARY:" + who + " / Anna\r\nDESCRIPTION:" + pad + "\r\n" +
		"ORGANIZER:mailto:anna@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:" + who + "@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}

// TestCostlyRuleIsTheObjectsProblem: one invitation whose rule costs too
// much to expand is a problem named after its object; the cycle succeeds,
// the other series are saved, and the costly series keeps its history.
func TestCostlyRuleIsTheObjectsProblem(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 11, 20, 22, 30, 0, 0, loc)
	team := demo.Seed(now, loc)
	dav, url := seededServer(t, team)
	if _, _, err := dav.PutObject("/anna/calendars/work/", "zoe.ics", invitation("zoe-1on1", "zoe", "FREQ=WEEKLY")); err != nil {
		t.Fatal(err)
	}
	eng, st, _ := newEngine(t, url, loc, &now)
	if _, err := eng.SyncAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	kept, err := st.Occurrences("team/zoe-1on1")
	if err != nil || len(kept) == 0 {
		t.Fatalf("zoe's history: %d occurrences, %v", len(kept), err)
	}

	if _, _, err := dav.PutObject("/anna/calendars/work/", "zoe.ics", invitation("zoe-1on1", "zoe", everySecond)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	sums, err := eng.SyncAll(context.Background())
	if err != nil || sums[0].Err != nil {
		t.Fatalf("the cycle failed: %v", err)
	}
	if len(sums[0].Problems) != 1 {
		t.Fatalf("problems %v, want zoe.ics's", sums[0].Problems)
	}
	p := sums[0].Problems[0].Error()
	for _, want := range []string{"zoe.ics", "zoe-1on1", "needs about 31622400 candidates per year, more than 1000000"} {
		if !strings.Contains(p, want) {
			t.Errorf("problem %q does not say %q", p, want)
		}
	}
	if got, want := sums[0].Series, len(team.Series); got != want {
		t.Errorf("series = %d, want %d (the seeded ones)", got, want)
	}
	t.Logf("sync line: %s", sums[0])
	t.Logf("problem: %.200s…%s", p, p[strings.LastIndex(p, ":"):])
	if !strings.Contains(sums[0].String(), "1 objects with problems") || strings.Contains(sums[0].String(), "error:") {
		t.Errorf("sync line: %s", sums[0])
	}
	after, err := st.Occurrences("team/zoe-1on1")
	if err != nil || len(after) != len(kept) {
		t.Errorf("zoe's history: %d occurrences, had %d (%v)", len(after), len(kept), err)
	}
}

// rulesTogether is four RRULE lines of one invitation, each a minute of
// every day of the year (527,040 candidates a year, half the limit of one
// rule): within the limits alone, not together.
func rulesTogether() string {
	var rules []string
	for i := 0; i < 4; i++ {
		rules = append(rules, "FREQ=YEARLY;BYMONTH="+byList(1, 12)+";BYMONTHDAY="+byList(1, 31)+";BYHOUR="+byList(0, 23)+";BYMINUTE="+byList(0, 59)+";BYSECOND="+fmt.Sprint(i))
	}
	return strings.Join(rules, "\r\nRRULE:")
}

// TestCostlyCalendarMemory: a calendar of costly invitations (one rule
// that costs too much, or rules that do together) costs the cycle no more
// memory than the same calendar with plain ones (at most twice), measured
// as the bytes the cold cycle allocates; each is a problem of its object.
func TestCostlyCalendarMemory(t *testing.T) {
	const n = 5
	loc, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 11, 20, 22, 30, 0, 0, loc)
	alloc := func(rule, problem string) uint64 {
		team := demo.Seed(now, loc)
		dav, url := seededServer(t, team)
		for i := 0; i < n; i++ {
			who := fmt.Sprintf("guest%d", i)
			if _, _, err := dav.PutObject("/anna/calendars/work/", who+".ics", invitation(who+"-1on1", who, rule)); err != nil {
				t.Fatal(err)
			}
		}
		at := now
		eng, _, _ := newEngine(t, url, loc, &at)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		sums, err := eng.SyncAll(context.Background())
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatalf("%.40s: %v", rule, err)
		}
		t.Logf("%.40s…: %d series, %d problems, %.1f MB allocated, heap in use %.1f MB", rule, sums[0].Series, len(sums[0].Problems),
			float64(after.TotalAlloc-before.TotalAlloc)/1e6, float64(after.HeapInuse)/1e6)
		if problem != "" {
			if len(sums[0].Problems) != n {
				t.Errorf("%.40s: %d problems, want %d", rule, len(sums[0].Problems), n)
			}
			for _, p := range sums[0].Problems {
				if !strings.Contains(p.Error(), ".ics") || !strings.Contains(p.Error(), problem) {
					t.Errorf("problem %.300q does not name its object and say %q", p, problem)
				}
			}
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	// invitation pads the description, so that the objects weigh about
	// the same.
	clean := alloc("FREQ=WEEKLY;BYDAY=MO", "")
	for _, c := range []struct{ rule, problem string }{
		{everySecond, "needs about 31622400 candidates per year"},
		{rulesTogether(), "4 RRULEs together: needs about 2108160 candidates per year"},
	} {
		if costly := alloc(c.rule, c.problem); costly > 2*clean {
			t.Errorf("%.40s: the costly calendar allocated %d bytes, the clean one %d: more than twice", c.rule, costly, clean)
		}
	}
}
