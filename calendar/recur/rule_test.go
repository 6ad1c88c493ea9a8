package recur

import (
	"fmt"
	"testing"
	"time"
)

// fastForward must not change which instances a rule yields.
func TestFastForwardSameInstances(t *testing.T) {
	rules := []string{
		"FREQ=YEARLY;INTERVAL=3;BYMONTH=2;BYDAY=-1MO",
		"FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO,FR",
		"FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31",
		"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
		"FREQ=WEEKLY;INTERVAL=3;WKST=SU;BYDAY=SU,SA",
		"FREQ=WEEKLY;INTERVAL=2",
		"FREQ=DAILY;INTERVAL=11;BYHOUR=8,20",
		"FREQ=HOURLY;INTERVAL=7;BYMINUTE=15,45",
		"FREQ=MINUTELY;INTERVAL=97;BYHOUR=9,10",
		"FREQ=SECONDLY;INTERVAL=7919;BYSECOND=1,2,3",
	}
	dt := time.Date(2019, 7, 31, 9, 30, 30, 0, time.UTC)
	from, to := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, rule := range rules {
		spec, _, err := ParseRule(rule, dt, KindUTC, nil)
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		var fast []time.Time
		if err := spec.iterate(from, to, newBudget(ruleBudget), func(w time.Time) bool { fast = append(fast, w); return true }); err != nil {
			t.Fatal(err)
		}
		var slow []time.Time
		withCount := *spec
		withCount.opt.Count = 1 << 30 // a COUNT disables fast-forwarding
		if err := withCount.iterate(from, to, newBudget(50000000), func(w time.Time) bool { slow = append(slow, w); return true }); err != nil {
			t.Fatal(err)
		}
		if len(fast) == 0 || fmt.Sprint(fast) != fmt.Sprint(slow) {
			t.Errorf("%s: fast-forwarded %d instances, from DTSTART %d\n%v\n%v", rule, len(fast), len(slow), firstFive(fast), firstFive(slow))
		}
	}
}

func firstFive(ts []time.Time) []time.Time {
	if len(ts) > 5 {
		return ts[:5]
	}
	return ts
}
