package bench

import (
	"fmt"
	"os"
	gosync "sync"
	"testing"
	"time"

	"oneonone/sync"
)

// large reports whether the 100k-event cases run (BENCH_LARGE=1): each
// takes a minute or more and a few GiB, too much for every `make bench`.
func large() bool { return os.Getenv("BENCH_LARGE") == "1" }

// coldSizes are the calendar sizes of BenchmarkColdSync, in events.
func coldSizes() []int {
	if large() {
		return []int{1_000, 10_000, 100_000}
	}
	return []int{1_000, 10_000}
}

func sizeName(n int) string {
	if n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

var calCache gosync.Map // events → *Calendar

// oneCalendar is the generated calendar of about n events of BenchmarkColdSync.
func oneCalendar(n int) *Calendar {
	if c, ok := calCache.Load(n); ok {
		return c.(*Calendar)
	}
	c := Generate(Spec{Owner: "anna@example.com", Events: n, Now: benchNow, Years: 1, Zone: berlin(), Seed: 1})
	calCache.Store(n, c)
	return c
}

// BenchmarkColdSync is the first sync of one calendar of 1k, 10k (and with
// BENCH_LARGE=1 100k) events into an empty bbolt store, through the real
// client and sync.Engine, agenda write-back off: from the in-process CalDAV
// server (discovery, PROPFIND, calendar-multiget in batches of 100) and from
// the fake Google API (events.list pages of 2,500).
func BenchmarkColdSync(b *testing.B) {
	for _, n := range coldSizes() {
		cal := oneCalendar(n)
		b.Run("caldav/"+sizeName(n), func(b *testing.B) {
			env := newDAV(b, cal)
			runCold(b, cal, false, func() ([]sync.NamedSource, func() int64, func()) {
				return []sync.NamedSource{env.source(b)}, env.requests, func() {}
			})
		})
		b.Run("google/"+sizeName(n), func(b *testing.B) {
			env := newGoogle(b, cal)
			runCold(b, cal, false, func() ([]sync.NamedSource, func() int64, func()) {
				return env.sources(b), env.requests, func() {}
			})
		})
	}
}

// BenchmarkFirstCycle is the daemon's first cycle: BenchmarkColdSync with
// agenda write-back on, so that it also writes the block into every 1:1
// series master and upcoming moved occurrence (a conditional PUT, or a
// Google patch, each followed by a bbolt transaction). Each iteration has a
// fresh server.
func BenchmarkFirstCycle(b *testing.B) {
	for _, n := range coldSizes() {
		cal := oneCalendar(n)
		b.Run("caldav/"+sizeName(n), func(b *testing.B) {
			runCold(b, cal, true, func() ([]sync.NamedSource, func() int64, func()) {
				env := newDAV(b, cal)
				return []sync.NamedSource{env.source(b)}, env.requests, env.close
			})
		})
		b.Run("google/"+sizeName(n), func(b *testing.B) {
			runCold(b, cal, true, func() ([]sync.NamedSource, func() int64, func()) {
				env := newGoogle(b, cal)
				return env.sources(b), env.requests, env.close
			})
		})
	}
}

// runCold times first cycles into empty stores; setup gives each its
// sources, their server's request count and what ends them.
func runCold(b *testing.B, cal *Calendar, agenda bool, setup func() ([]sync.NamedSource, func() int64, func())) {
	var peakMax, baseMax uint64
	var reqs int64
	var cpu time.Duration
	var last sync.Summary
	iters := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		dir := iterDir(b)
		now := benchNow
		srcs, requests, done := setup()
		eng := newEngine(b, dir, srcs, []*Calendar{cal}, &now, engineOpts{agenda: agenda})
		r0 := requests()
		p, base := watchPeak()
		c0 := cpuTime()
		b.StartTimer()

		last = total(syncAll(b, eng))

		b.StopTimer()
		cpu += cpuTime() - c0
		pk := p.Stop()
		peakMax, baseMax = max(peakMax, pk), max(baseMax, base)
		reqs += requests() - r0
		iters++
		if err := eng.Store.Close(); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(dir)
		done()
		b.StartTimer()
	}
	if want := cal.SeriesCount(); last.Series != want {
		b.Fatalf("%d series recognised, want %d", last.Series, want)
	}
	if agenda {
		if last.Blocks.Written == 0 {
			b.Fatal("no agenda block written")
		}
		b.ReportMetric(float64(last.Blocks.Written), "blocks-written")
	}
	b.ReportMetric(float64(cal.EventCount()), "events")
	b.ReportMetric(float64(last.Objects), "objects")
	b.ReportMetric(float64(last.Series), "series")
	b.ReportMetric(float64(reqs)/float64(iters), "requests/op")
	b.ReportMetric(float64(peakMax)/mb, "peak-heap-MB")
	b.ReportMetric(float64(baseMax)/mb, "base-heap-MB")
	b.ReportMetric(cpu.Seconds()/float64(iters), "cpu-s/op")
}
