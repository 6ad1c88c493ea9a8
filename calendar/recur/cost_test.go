package recur_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/ical"
	"oneonone/calendar/recur"
)

func numbers(from, to int) string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, fmt.Sprint(i))
	}
	return strings.Join(s, ",")
}

// costlyRules are rules whose expansion would cost more than the limits,
// whatever the window: refused from the rule alone, before any work.
var costlyRules = []string{
	// Every second of the year written out: 31.6 million candidates in
	// one YEARLY period, built at once (2–10 s and 0.5–4 GB before).
	"FREQ=YEARLY;BYMONTH=" + numbers(1, 12) + ";BYMONTHDAY=" + numbers(1, 31) + ";BYHOUR=" + numbers(0, 23) + ";BYMINUTE=" + numbers(0, 59) + ";BYSECOND=" + numbers(0, 59),
	"FREQ=YEARLY;INTERVAL=1000;BYMONTHDAY=" + numbers(1, 31) + ";BYHOUR=" + numbers(0, 23) + ";BYMINUTE=" + numbers(0, 59) + ";BYSECOND=0,30",
	"FREQ=DAILY;BYHOUR=" + numbers(0, 23) + ";BYMINUTE=" + numbers(0, 59) + ";BYSECOND=" + numbers(0, 59),
	"FREQ=HOURLY;BYMINUTE=" + numbers(0, 59) + ";BYSECOND=" + numbers(0, 59),
	// rrule-go steps through every second of a SECONDLY rule.
	"FREQ=SECONDLY;BYHOUR=6;BYMINUTE=0;BYSECOND=0",
	"FREQ=SECONDLY;BYSECOND=0;BYMINUTE=0",
	"FREQ=SECONDLY;INTERVAL=7;UNTIL=20360105T090000Z",
	// Days and times that filter each other: every day is stepped through
	// to 06:00, for 400 years when no day matches (7 s before).
	"FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=31;BYHOUR=6",
	"FREQ=SECONDLY;COUNT=3;BYMONTH=2;BYMONTHDAY=30;BYHOUR=6",
	"FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=31;BYHOUR=6",
}

// TestCostlyRulesRefused: ParseRule refuses a rule that costs too much
// with a CostError naming the rule; the reader keeps such a rule, so that
// its series stays a series, and Expand refuses it without any work.
func TestCostlyRulesRefused(t *testing.T) {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for _, rule := range costlyRules {
		name := rule
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			_, _, err := recur.ParseRule(rule, start, recur.KindUTC, nil)
			var ce *recur.CostError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseRule: err %v, want a CostError", err)
			}
			if !strings.Contains(err.Error(), "FREQ=") || !strings.Contains(err.Error(), "needs about") || ce.Needs <= ce.Limit {
				t.Errorf("error %q does not name the rule and its cost", err)
			}
			evs, err := ical.Parse(vcal("BEGIN:VEVENT", "UID:x", "DTSTART:20260105T090000Z", "RRULE:"+rule, "END:VEVENT"), ical.ParseOptions{})
			if err != nil || len(evs) != 1 || evs[0].Recurrence == nil || len(evs[0].Recurrence.RRules) != 1 {
				t.Fatalf("read: %+v, %v; want the rule kept", evs, err)
			}
			before := recur.RuleWork.Load()
			g := recur.GroupEvents(evs)[0]
			_, err = recur.Expand(g, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), recur.ExpandOptions{})
			if err == nil || !strings.Contains(err.Error(), "needs about") {
				t.Errorf("Expand: %v, want the refusal", err)
			}
			recur.SeriesEnd(g)
			if spent := recur.RuleWork.Load() - before; spent != 0 {
				t.Errorf("the refused rule cost %d units of work", spent)
			}
		})
	}
}

// TestLegitimateRulesNotRefused: the limits leave room for every rule a
// calendar holds, and for dense ones that truncation bounds.
func TestLegitimateRulesNotRefused(t *testing.T) {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for _, rule := range []string{
		"FREQ=WEEKLY;BYDAY=TH",
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR;COUNT=1000000",
		"FREQ=MONTHLY;BYDAY=1MO,-1FR;BYHOUR=9,15;BYMINUTE=0,30",
		"FREQ=YEARLY;BYMONTH=" + numbers(1, 12) + ";BYDAY=MO,TU,WE,TH,FR;BYHOUR=" + numbers(0, 23),
		"FREQ=DAILY;BYHOUR=" + numbers(8, 18) + ";BYMINUTE=0,15,30,45",
		"FREQ=HOURLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=" + numbers(9, 17),
		"FREQ=MINUTELY",
		"FREQ=SECONDLY;COUNT=3;BYHOUR=6,18",
		"FREQ=SECONDLY;BYHOUR=1,2;BYMINUTE=3,4,59;BYSECOND=5,6;UNTIL=20260105T100500Z",
		"FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=31",
	} {
		if _, _, err := recur.ParseRule(rule, start, recur.KindUTC, nil); err != nil {
			t.Errorf("%s: %v", rule, err)
		}
	}
}

// TestWorkCountsPeriods: the budget counts the periods rrule-go steps
// through without a candidate, not only the instances, and it is a count:
// the same expansion does the same work and ends the same way everywhere.
func TestWorkCountsPeriods(t *testing.T) {
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	expand := func(dtstart, rule string) (int64, []recur.Instance, error) {
		evs, err := ical.Parse(vcal("BEGIN:VEVENT", "UID:x", "DTSTART:"+dtstart, "RRULE:"+rule, "END:VEVENT"), ical.ParseOptions{})
		if err != nil || len(evs) != 1 || evs[0].Recurrence == nil {
			t.Fatal(evs, err)
		}
		before := recur.RuleWork.Load()
		ins, err := recur.Expand(recur.GroupEvents(evs)[0], from, to, recur.ExpandOptions{})
		return recur.RuleWork.Load() - before, ins, err
	}

	// Leap days only: two instances in the window, the days between
	// stepped through one by one.
	spent, ins, err := expand("20240229T090000Z", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29")
	if err != nil || len(ins) != 0 {
		t.Errorf("leap days in 2026: %d instances, %v", len(ins), err)
	}
	if spent < 365 {
		t.Errorf("leap days: %d units of work counted, want the days stepped through (365 at least)", spent)
	}

	// Once a minute at 06:00, stepped through every 40 seconds: a few
	// hundred instances a year, but 790,000 periods: over the budget,
	// whatever the machine.
	const rule = "FREQ=SECONDLY;INTERVAL=40;BYHOUR=6;BYMINUTE=0"
	first, _, err1 := expand("20260101T000000Z", rule)
	if !errors.Is(err1, recur.ErrBudget) {
		t.Errorf("%s: %v, want ErrBudget", rule, err1)
	}
	second, _, err2 := expand("20260101T000000Z", rule)
	if first != second || fmt.Sprint(err1) != fmt.Sprint(err2) {
		t.Errorf("the same expansion did %d then %d units (%v / %v)", first, second, err1, err2)
	}
	checkRuleWork(t, recur.RuleWork.Load()-first, 1)
}

// Expand meets rule strings from other providers too: the cost check is
// ParseRule's, wherever the string comes from.
func TestCostlyRuleFromAnotherProvider(t *testing.T) {
	g := recur.Group{UID: "g", Master: &calendar.Event{UID: "g", Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), Recurrence: &calendar.Recurrence{RRules: []string{costlyRules[0]}}}}
	before := recur.RuleWork.Load()
	_, err := recur.Expand(g, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), recur.ExpandOptions{})
	if err == nil || !strings.Contains(err.Error(), "31622400 candidates per year, more than 1000000") {
		t.Errorf("Expand: %v", err)
	}
	if spent := recur.RuleWork.Load() - before; spent != 0 {
		t.Errorf("%d units of work", spent)
	}
}

// TestRulesTogetherRefused: rules each within the limits but costly
// together (an invitation can carry any number of RRULE lines) are refused
// as one costly rule is, before any work: 50 rules of half the limit each
// cost 6 s and 1.2 GB allocated per series before. Rules that are cheap
// together are not.
func TestRulesTogetherRefused(t *testing.T) {
	from, to := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	// A minute of each day: 527,040 candidates a year, half the limit.
	half := "FREQ=YEARLY;BYMONTH=" + numbers(1, 12) + ";BYMONTHDAY=" + numbers(1, 31) + ";BYHOUR=" + numbers(0, 23) + ";BYMINUTE=" + numbers(0, 59) + ";BYSECOND="
	group := func(rules ...string) recur.Group {
		return recur.Group{UID: "g", Master: &calendar.Event{UID: "g", Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC), Recurrence: &calendar.Recurrence{RRules: rules}}}
	}
	var many []string
	for i := 0; i < 50; i++ {
		many = append(many, half+fmt.Sprint(i))
	}
	for _, rules := range [][]string{many, {half + "0", half + "1"}} {
		before := recur.RuleWork.Load()
		_, err := recur.Expand(group(rules...), from, to, recur.ExpandOptions{})
		want := fmt.Sprintf("%d RRULEs together: needs about", len(rules))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%d rules: Expand: %.200v, want %q", len(rules), err, want)
		}
		recur.SeriesEnd(group(rules...))
		if spent := recur.RuleWork.Load() - before; spent != 0 {
			t.Errorf("%d rules refused together cost %d units of work", len(rules), spent)
		}
	}

	// One of them alone, and cheap rules together, are expanded.
	if _, err := recur.Expand(group(half+"0"), from, to, recur.ExpandOptions{Limit: 200_000}); err != nil {
		t.Errorf("one rule of half the limit: %v", err)
	}
	ins, err := recur.Expand(group("FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;BYDAY=TH", "FREQ=MINUTELY;COUNT=5", "FREQ=DAILY;BYHOUR=8,12,16;BYMINUTE=0,30"), from, to, recur.ExpandOptions{})
	if err != nil || len(ins) < 2*13+3*2*91 {
		t.Errorf("cheap rules together: %d instances, %v", len(ins), err)
	}
}
