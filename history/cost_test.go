package history

import (
	"fmt"
	"strings"
	"testing"

	"oneonone/calendar"
	"oneonone/calendar/recur"
)

// hostileRule is the invitation that kept a whole source failing: every
// second of every day written out as BY* lists.
func hostileRule() string {
	list := func(from, to int) string {
		var s []string
		for i := from; i <= to; i++ {
			s = append(s, fmt.Sprint(i))
		}
		return strings.Join(s, ",")
	}
	return "FREQ=YEARLY;BYMONTH=" + list(1, 12) + ";BYMONTHDAY=" + list(1, 31) + ";BYHOUR=" + list(0, 23) + ";BYMINUTE=" + list(0, 59) + ";BYSECOND=" + list(0, 59)
}

// TestBuildCostlyRuleIsAProblemOfItsSeries: a series whose rule costs too
// much to expand is a problem named after its object and UID; the other
// series are built, Build does not fail, and the costly series keeps its
// stored history (it is neither saved nor marked gone).
func TestBuildCostlyRuleIsAProblemOfItsSeries(t *testing.T) {
	var h memHistory
	good := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	carl := weekly1on1("carl", "carl@example.com", day(3, 11), "FREQ=WEEKLY;BYDAY=TU")
	h.cycle(t, day(18, 12), good, carl)
	stored := len(h.occ["team/carl"])
	if stored == 0 {
		t.Fatal("carl's series has no stored history")
	}

	carl.Recurrence = &calendar.Recurrence{RRules: []string{hostileRule()}}
	before := ruleWorkNow()
	res := h.cycle(t, day(25, 12), good, carl) // fails on res.Err
	if len(res.Problems) != 1 {
		t.Fatalf("problems %v, want one", res.Problems)
	}
	p := res.Problems[0].Error()
	for _, want := range []string{carl.Href, `"carl"`, "needs about", "candidates per year"} {
		if !strings.Contains(p, want) {
			t.Errorf("problem %q does not name %q", p, want)
		}
	}
	if len(res.Series) != 1 || res.Series[0].UID != "bob" {
		t.Errorf("series built: %+v, want bob's only", res.Series)
	}
	if n := len(h.occ["team/carl"]); n != stored {
		t.Errorf("carl's stored history has %d occurrences, had %d", n, stored)
	}
	for _, s := range h.series {
		if s.UID == "carl" && !s.Deleted.IsZero() {
			t.Errorf("carl's series marked gone")
		}
	}
	if spent := ruleWorkNow() - before; spent > 1000 {
		t.Errorf("the rules did %d units of work; the costly one should cost none", spent)
	}
}

// ruleWorkNow reads the rule engine's work counter (instances and periods).
func ruleWorkNow() int64 { return recur.WorkDone() }
