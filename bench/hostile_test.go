package bench

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"oneonone/sync"
)

// everySecondRule lists every second of the year: the invitation that kept
// a source failing, at 0.5–4 GB a cycle.
func everySecondRule() string {
	list := func(from, to int) string {
		var s []string
		for i := from; i <= to; i++ {
			s = append(s, fmt.Sprint(i))
		}
		return strings.Join(s, ",")
	}
	return "FREQ=YEARLY;BYMONTH=" + list(1, 12) + ";BYMONTHDAY=" + list(1, 31) + ";BYHOUR=" + list(0, 23) + ";BYMINUTE=" + list(0, 59) + ";BYSECOND=" + list(0, 59)
}

// withRule is a copy of c whose first n 1:1 masters carry rule instead of
// their own; the others' descriptions grow by as many bytes, so that both
// calendars weigh the same.
func withRule(c *Calendar, n int, rule string) *Calendar {
	out := &Calendar{Spec: c.Spec}
	for _, t := range c.Things {
		t.Events = append([]Event(nil), t.Events...)
		if t.OneOne && n > 0 && t.Events[0].RRule != "" {
			m := &t.Events[0]
			if rule != "" {
				m.RRule = rule
			} else {
				m.Description += strings.Repeat("x", len(everySecondRule())-len(m.RRule))
			}
			n--
		}
		out.Things = append(out.Things, t)
	}
	return out
}

// TestCostlyCalendarPeakHeap: a cold sync of the 10k-event calendar with
// 100 invitations whose rule lists every second of the year stays within
// twice the memory of the same calendar with plain weekly rules (peak heap
// in use, and bytes allocated), and the cycle succeeds with one problem
// per costly invitation. The next cycle still names each problem, and,
// nothing having changed, neither tries those rules again nor writes to
// the state file.
func TestCostlyCalendarPeakHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("a cold sync of 10k events, twice")
	}
	const costly = 100
	base := oneCalendar(10_000)
	run := func(name string, cal *Calendar) (peakMB, allocMB float64, sum, again sync.Summary, commits int64) {
		env := newDAV(t, cal)
		now := benchNow
		eng := newEngine(t, iterDir(t), []sync.NamedSource{env.source(t)}, []*Calendar{cal}, &now, engineOpts{})
		var m0, m1 runtime.MemStats
		p, _ := watchPeak()
		runtime.ReadMemStats(&m0)
		sums, err := eng.SyncAll(context.Background())
		runtime.ReadMemStats(&m1)
		pk := p.Stop()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sum = total(sums)
		sum.Problems = sums[0].Problems
		peakMB, allocMB = float64(pk)/(1<<20), float64(m1.TotalAlloc-m0.TotalAlloc)/(1<<20)
		t.Logf("%s: %d objects, %d series, %d problems: peak heap %.1f MB, allocated %.1f MB", name, sum.Objects, sum.Series, len(sum.Problems), peakMB, allocMB)
		c0 := eng.Store.Commits()
		sums, err = eng.SyncAll(context.Background())
		if err != nil {
			t.Fatalf("%s, again: %v", name, err)
		}
		again = total(sums)
		again.Problems = sums[0].Problems
		return peakMB, allocMB, sum, again, eng.Store.Commits() - c0
	}
	cleanPeak, cleanAlloc, clean, _, _ := run("clean", withRule(base, costly, ""))
	hostilePeak, hostileAlloc, hostile, again, commits := run("costly", withRule(base, costly, everySecondRule()))
	if len(again.Problems) != costly || again.Series != hostile.Series || commits != 0 {
		t.Errorf("the cycle after: %d problems, %d series, %d commits; want %d, %d, 0", len(again.Problems), again.Series, commits, costly, hostile.Series)
	}
	if len(clean.Problems) != 0 || len(hostile.Problems) != costly || hostile.Series != clean.Series-costly {
		t.Errorf("clean: %d problems, %d series; costly: %d problems, %d series", len(clean.Problems), clean.Series, len(hostile.Problems), hostile.Series)
	}
	if hostilePeak > 2*cleanPeak || hostileAlloc > 2*cleanAlloc {
		t.Errorf("costly calendar: peak %.1f MB, allocated %.1f MB; clean: %.1f MB, %.1f MB: more than twice", hostilePeak, hostileAlloc, cleanPeak, cleanAlloc)
	}
}
