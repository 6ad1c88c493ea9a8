package bench

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/sync"
)

const year = 365*24*time.Hour + 6*time.Hour

// historyCalendar is one calendar whose series began four years before
// benchNow: the same calendar whatever history the store keeps of it.
func historyCalendar(series int) *Calendar {
	return Generate(Spec{Owner: "anna@example.com", Series: series, NoisePerSeries: 0.5, Now: benchNow, Years: 4.1, Zone: berlin(), Seed: 7})
}

// historyStore syncs cal into a fresh store once with Engine.History set to
// years of history, so that the store holds that many years of occurrences
// (as if the daemon had run that long), then returns the engine set back
// to its default recompute window, after one steady cycle.
func historyStore(tb testing.TB, env *davEnv, cal *Calendar, years int) (*sync.Engine, func()) {
	tb.Helper()
	dir := iterDir(tb)
	now := benchNow
	eng := newEngine(tb, dir, []sync.NamedSource{env.source(tb)}, []*Calendar{cal}, &now, engineOpts{history: time.Duration(years) * year})
	syncAll(tb, eng)
	eng.History = 0
	syncAll(tb, eng)
	return eng, func() { eng.Store.Close(); os.RemoveAll(dir) }
}

func storedOccurrences(tb testing.TB, eng *sync.Engine) int {
	tb.Helper()
	n := 0
	if err := eng.Store.ForEachOccurrence(func(calendar.Occurrence) error { n++; return nil }); err != nil {
		tb.Fatal(err)
	}
	return n
}

// cycleCost runs one steady cycle and returns the peak of the heap above
// what was live before it, and the bytes it allocated.
func cycleCost(tb testing.TB, eng *sync.Engine) (peakAbove, alloc uint64) {
	tb.Helper()
	var m0, m1 runtime.MemStats
	p, base := watchPeak()
	runtime.ReadMemStats(&m0)
	sum := total(syncAll(tb, eng))
	runtime.ReadMemStats(&m1)
	pk := p.Stop()
	if sum.Changed != 0 {
		tb.Fatalf("steady cycle changed %d objects", sum.Changed)
	}
	return pk - base, m1.TotalAlloc - m0.TotalAlloc
}

// BenchmarkHistory is one steady cycle over the same calendar (400 1:1
// series and their noise, from the CalDAV server) with 1, 2 and 4 years of
// history in the store: the cost of a cycle must not grow with the past it
// keeps.
func BenchmarkHistory(b *testing.B) {
	cal := historyCalendar(400)
	for _, years := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("%dy", years), func(b *testing.B) {
			env := newDAV(b, cal)
			eng, done := historyStore(b, env, cal, years)
			defer done()
			occ := storedOccurrences(b, eng)
			var peaks []float64
			var cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				p, base := watchPeak()
				c0 := cpuTime()
				b.StartTimer()
				syncAll(b, eng)
				b.StopTimer()
				cpu += cpuTime() - c0
				peaks = append(peaks, float64(p.Stop()-base)/mb)
				b.StartTimer()
			}
			slices.Sort(peaks)
			b.ReportMetric(float64(occ), "stored-occurrences")
			b.ReportMetric(peaks[len(peaks)/2], "peak-above-base-MB")
			b.ReportMetric(cpu.Seconds()/float64(len(peaks)), "cpu-s/op")
		})
	}
}

// TestCycleCostFlatWithHistory: one steady cycle over the same calendar
// allocates as much, and needs as much heap, with four years of history in
// the store as with one. Not a timing: the bound is a generous ratio.
func TestCycleCostFlatWithHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("syncs four years of a calendar")
	}
	// Not parallel: the heap is the process's.
	cal := historyCalendar(120)
	env := newDAV(t, cal)
	type cost struct {
		occ         int
		peak, alloc uint64
	}
	measure := func(years int) cost {
		eng, done := historyStore(t, env, cal, years)
		defer done()
		var peaks, allocs []uint64
		for range 3 {
			p, a := cycleCost(t, eng)
			peaks, allocs = append(peaks, p), append(allocs, a)
		}
		slices.Sort(peaks)
		slices.Sort(allocs)
		return cost{storedOccurrences(t, eng), peaks[1], allocs[1]}
	}
	one, four := measure(1), measure(4)
	t.Logf("1 year:  %6d occurrences stored, cycle peak %5.1f MB above the live heap, %6.1f MB allocated", one.occ, float64(one.peak)/mb, float64(one.alloc)/mb)
	t.Logf("4 years: %6d occurrences stored, cycle peak %5.1f MB above the live heap, %6.1f MB allocated", four.occ, float64(four.peak)/mb, float64(four.alloc)/mb)
	if four.occ < 3*one.occ {
		t.Fatalf("the 4-year store holds %d occurrences, the 1-year one %d: not the history wanted", four.occ, one.occ)
	}
	if r := float64(four.alloc) / float64(one.alloc); r > 1.5 {
		t.Errorf("a cycle allocates %.2f× as much with 4 years of history as with 1; want at most 1.5×", r)
	}
	if r := float64(four.peak) / float64(one.peak); r > 1.5 {
		t.Errorf("a cycle's peak heap is %.2f× as high with 4 years of history as with 1; want at most 1.5×", r)
	}
}
