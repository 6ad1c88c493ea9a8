package recur_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"oneonone/calendar/ical"
	"oneonone/calendar/recur"
)

func TestProbe(t *testing.T) {
	all := func(n, from int) string {
		var s []string
		for i := from; i < from+n; i++ {
			s = append(s, fmt.Sprint(i))
		}
		return strings.Join(s, ",")
	}
	rules := []string{
		"FREQ=YEARLY;BYMONTH=" + all(12, 1) + ";BYMONTHDAY=" + all(31, 1) + ";BYHOUR=" + all(24, 0) + ";BYMINUTE=" + all(60, 0) + ";BYSECOND=" + all(60, 0),
		"FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=31;BYHOUR=6",
		"FREQ=SECONDLY;BYHOUR=6;BYMINUTE=0;BYSECOND=0",
		"FREQ=WEEKLY;BYDAY=TH",
	}
	for _, r := range rules {
		evs, err := ical.Parse(vcal("BEGIN:VEVENT", "UID:x", "DTSTART:20250101T090000Z", "RRULE:"+r, "END:VEVENT"), ical.ParseOptions{})
		if len(evs) != 1 {
			t.Fatal(err)
		}
		g := recur.GroupEvents(evs)[0]
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		st := time.Now()
		before := recur.RuleWork.Load()
		ins, err := recur.Expand(g, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), recur.ExpandOptions{})
		runtime.ReadMemStats(&m1)
		t.Logf("%.60s: %d ins, err %v, %v, alloc %d MB, work %d", r, len(ins), err, time.Since(st), (m1.TotalAlloc-m0.TotalAlloc)>>20, recur.RuleWork.Load()-before)
	}
}
