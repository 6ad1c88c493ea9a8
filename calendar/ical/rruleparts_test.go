package ical

import (
	"strings"
	"testing"
)

// A rule with one invalid part keeps the rest: the weekly 1:1 stays weekly,
// and the warning names the part left out.
func TestParseRuleInvalidPartKept(t *testing.T) {
	for _, tc := range []struct{ rule, warn string }{
		{"RRULE:RRULE:AnythingRandom;FREQ=WEEKLY;BYDAY=FR,MO,TH,TU,WE", `RRULE: invalid part "AnythingRandom" ignored`},
		{"RRULE:FREQ=WEEKLY;BYDAY=MO;FOO=BAR", `RRULE: unknown part "FOO" ignored`},
		{"RRULE:FREQ=WEEKLY;garbage;BYDAY=MO", `RRULE: invalid part "garbage" ignored`},
	} {
		evs, err := Parse(vcal("BEGIN:VEVENT", "UID:a", "DTSTART;TZID=America/Denver:20200903T094000", tc.rule, "END:VEVENT"), ParseOptions{Href: "t.ics"})
		if len(evs) != 1 || evs[0].Recurrence == nil || len(evs[0].Recurrence.RRules) != 1 {
			t.Fatalf("%s: events %+v (err %v), want one recurring master", tc.rule, evs, err)
		}
		if got := evs[0].Recurrence.RRules[0]; !strings.HasPrefix(got, "FREQ=WEEKLY") {
			t.Errorf("%s: rule kept as %q", tc.rule, got)
		}
		if err == nil || !strings.Contains(err.Error(), tc.warn) || strings.Contains(err.Error(), "rule ignored") {
			t.Errorf("%s: error %v, want %q and no \"rule ignored\"", tc.rule, err, tc.warn)
		}
	}
	// What cannot be used is still dropped.
	for _, rule := range []string{"RRULE:AnythingRandom;BYDAY=MO", "RRULE:FREQ=FORTNIGHTLY", "RRULE:FREQ=WEEKLY;COUNT=2;COUNT=3"} {
		evs, err := Parse(vcal("BEGIN:VEVENT", "UID:a", "DTSTART:20200903T094000Z", rule, "END:VEVENT"), ParseOptions{Href: "t.ics"})
		if len(evs) != 1 || evs[0].Recurrence != nil || err == nil || !strings.Contains(err.Error(), "rule ignored") {
			t.Errorf("%s: events %+v, err %v; want the rule dropped", rule, evs, err)
		}
	}
}
