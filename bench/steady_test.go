package bench

import (
	"os"
	"testing"
	"time"

	"oneonone/sync"
)

// BenchmarkSteadyCycle is one cycle over a calendar that did not change
// since the last one, five minutes after it (the daemon's default),
// agenda write-back on and every block already right: one request, then
// the engine rebuilds the series whose next boundary passed in those five
// minutes, if any, and checks the blocks.
func BenchmarkSteadyCycle(b *testing.B) {
	for _, n := range coldSizes() {
		cal := oneCalendar(n)
		b.Run("caldav/"+sizeName(n), func(b *testing.B) {
			env := newDAV(b, cal)
			runSteady(b, cal, []sync.NamedSource{env.source(b)}, env.requests)
		})
		b.Run("google/"+sizeName(n), func(b *testing.B) {
			env := newGoogle(b, cal)
			runSteady(b, cal, env.sources(b), env.requests)
		})
	}
}

func runSteady(b *testing.B, cal *Calendar, srcs []sync.NamedSource, requests func() int64) {
	dir := iterDir(b)
	defer os.RemoveAll(dir)
	now := benchNow
	eng := newEngine(b, dir, srcs, []*Calendar{cal}, &now, engineOpts{agenda: true})
	defer eng.Store.Close()
	// The first cycle writes the blocks, the second sees them come back.
	syncAll(b, eng)
	syncAll(b, eng)
	var peakMax, baseMax uint64
	var reqs int64
	var cpu time.Duration
	var changed, written int
	iters := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		r0 := requests()
		p, base := watchPeak()
		c0 := cpuTime()
		now = now.Add(5 * time.Minute)
		b.StartTimer()

		last := total(syncAll(b, eng))
		changed += last.Changed
		written += last.Blocks.Written

		b.StopTimer()
		cpu += cpuTime() - c0
		pk := p.Stop()
		peakMax, baseMax = max(peakMax, pk), max(baseMax, base)
		reqs += requests() - r0
		iters++
		b.StartTimer()
	}
	// Time passing brings an override within the horizon now and then:
	// its block is written, and comes back as a change the cycle after.
	// Nobody else changes anything: a write every cycle would be a loop.
	if written >= iters || changed > 2*written {
		b.Fatalf("%d quiet cycles changed %d objects and wrote %d blocks", iters, changed, written)
	}
	b.ReportMetric(float64(written)/float64(iters), "blocks-written/op")
	b.ReportMetric(float64(cal.EventCount()), "events")
	b.ReportMetric(float64(reqs)/float64(iters), "requests/op")
	b.ReportMetric(float64(peakMax)/mb, "peak-heap-MB")
	b.ReportMetric(float64(baseMax)/mb, "base-heap-MB")
	b.ReportMetric(cpu.Seconds()/float64(iters), "cpu-s/op")
}
