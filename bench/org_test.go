package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"oneonone/report"
	"oneonone/sync"
)

// orgManagers is the number of managers (calendars) of BenchmarkOrg, each
// with orgReports 1:1 series; BENCH_ORG_MANAGERS changes it.
func orgManagers() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_ORG_MANAGERS")); err == nil && n > 0 {
		return n
	}
	return 1000
}

const orgReports = 20

// orgCalendars generates the organisation: every manager's calendar holds
// a 1:1 series with each of orgReports reports, begun two years ago, and
// a few events of noise.
func orgCalendars(managers int) []*Calendar {
	cals := make([]*Calendar, managers)
	for i := range cals {
		cals[i] = Generate(Spec{
			Owner: fmt.Sprintf("manager%d@example.com", i), Series: orgReports, NoisePerSeries: 0.25,
			Now: benchNow, Years: 2, Zone: berlin(), Seed: uint64(100 + i),
		})
	}
	return cals
}

// BenchmarkOrg is an organisation of 1,000 managers × 20 reports (20,000
// 1:1 series, two years of history) in the in-process CalDAV server: one
// source with a calendar per manager, every manager "me".
//
//   - cold: the first cycle into an empty store, with Engine.History two
//     years, so that the store holds two years of occurrences;
//   - cycle: a later cycle over that store five minutes after the one
//     before, nothing changed, agenda write-back off (the steady cost of
//     the daemon);
//   - report: the weekly report from that store: report.Load (every series
//     and occurrence), report.Build and WriteJSON.
func BenchmarkOrg(b *testing.B) {
	managers := orgManagers()
	cals := orgCalendars(managers)
	env := newDAV(b, cals...)
	events, series := 0, 0
	for _, c := range cals {
		events += c.EventCount()
		series += c.SeriesCount()
	}
	now := benchNow

	var eng *sync.Engine // the store of the last cold cycle, kept for the others
	defer func() {
		if eng != nil {
			eng.Store.Close()
		}
	}()
	cold := func(b *testing.B) sync.Summary {
		if eng != nil {
			eng.Store.Close()
		}
		eng = newEngine(b, iterDir(b), []sync.NamedSource{env.source(b)}, cals, &now, engineOpts{history: 2 * year})
		sum := total(syncAll(b, eng))
		eng.History = 0
		return sum
	}
	ready := func(b *testing.B) {
		if eng == nil {
			cold(b)
		}
	}

	b.Run("cold", func(b *testing.B) {
		var peakMax uint64
		var reqs int64
		var cpu time.Duration
		var sum sync.Summary
		iters := 0
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			r0 := env.requests()
			p, _ := watchPeak()
			c0 := cpuTime()
			b.StartTimer()
			sum = cold(b)
			b.StopTimer()
			cpu += cpuTime() - c0
			peakMax = max(peakMax, p.Stop())
			reqs += env.requests() - r0
			iters++
			b.StartTimer()
		}
		if sum.Series != series || sum.Calendars != len(cals) {
			b.Fatalf("%d series in %d calendars, want %d in %d", sum.Series, sum.Calendars, series, len(cals))
		}
		b.ReportMetric(float64(len(cals)), "calendars")
		b.ReportMetric(float64(events), "events")
		b.ReportMetric(float64(series), "series")
		b.ReportMetric(float64(reqs)/float64(iters), "requests/op")
		b.ReportMetric(float64(peakMax)/mb, "peak-heap-MB")
		b.ReportMetric(float64(storedOccurrences(b, eng)), "stored-occurrences")
		b.ReportMetric(cpu.Seconds()/float64(iters), "cpu-s/op")
	})

	b.Run("cycle", func(b *testing.B) {
		ready(b)
		// The cold cycle kept two years; the daemon recomputes the
		// default window: one cycle under that setting first.
		syncAll(b, eng)
		var peakMax, baseMax uint64
		var reqs int64
		var cpu time.Duration
		iters := 0
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			b.StopTimer()
			r0 := env.requests()
			p, base := watchPeak()
			c0 := cpuTime()
			now = now.Add(5 * time.Minute)
			b.StartTimer()
			sum := total(syncAll(b, eng))
			b.StopTimer()
			cpu += cpuTime() - c0
			peakMax, baseMax = max(peakMax, p.Stop()), max(baseMax, base)
			reqs += env.requests() - r0
			iters++
			if sum.Changed != 0 {
				b.Fatalf("a quiet cycle changed %d objects", sum.Changed)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(reqs)/float64(iters), "requests/op")
		b.ReportMetric(float64(peakMax)/mb, "peak-heap-MB")
		b.ReportMetric(float64(baseMax)/mb, "base-heap-MB")
		b.ReportMetric(cpu.Seconds()/float64(iters), "cpu-s/op")
	})

	b.Run("report", func(b *testing.B) {
		ready(b)
		var peakMax, baseMax uint64
		var pairs, size, iters int
		var cpu time.Duration
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			b.StopTimer()
			p, base := watchPeak()
			c0 := cpuTime()
			b.StartTimer()
			in, err := report.Load(context.Background(), report.Input{Location: berlin(), Now: now}, eng.Store, nil)
			if err != nil {
				b.Fatal(err)
			}
			r := report.Build(in)
			cw := &countWriter{}
			if err := r.WriteJSON(cw); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			cpu += cpuTime() - c0
			iters++
			peakMax, baseMax = max(peakMax, p.Stop()), max(baseMax, base)
			pairs, size = len(r.Pairs), cw.n
			b.StartTimer()
		}
		if pairs < series/4 {
			b.Fatalf("the report has %d pairs for %d series", pairs, series)
		}
		b.ReportMetric(float64(pairs), "pairs")
		b.ReportMetric(float64(size)/mb, "json-MB")
		b.ReportMetric(float64(peakMax)/mb, "peak-heap-MB")
		b.ReportMetric(float64(baseMax)/mb, "base-heap-MB")
		b.ReportMetric(cpu.Seconds()/float64(iters), "cpu-s/op")
	})

	// rollup: the roll-up of every manager from that store:
	// report.LoadRollup (the window and the one before it), BuildRollup
	// and WriteJSON.
	b.Run("rollup", func(b *testing.B) {
		ready(b)
		me := make([]string, len(cals))
		for i := range cals {
			me[i] = fmt.Sprintf("manager%d@example.com", i)
		}
		var peakMax, baseMax uint64
		var people, size, iters int
		var cpu time.Duration
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			b.StopTimer()
			p, base := watchPeak()
			c0 := cpuTime()
			b.StartTimer()
			in, err := report.LoadRollup(context.Background(), report.Input{Location: berlin(), Now: now, Me: me}, eng.Store)
			if err != nil {
				b.Fatal(err)
			}
			r := report.BuildRollup(in)
			cw := &countWriter{}
			if err := r.WriteJSON(cw); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			cpu += cpuTime() - c0
			iters++
			peakMax, baseMax = max(peakMax, p.Stop()), max(baseMax, base)
			people, size = len(r.People), cw.n
			b.StartTimer()
		}
		if people != len(cals) {
			b.Fatalf("the roll-up has %d people for %d managers", people, len(cals))
		}
		b.ReportMetric(float64(people), "people")
		b.ReportMetric(float64(size)/mb, "json-MB")
		b.ReportMetric(float64(peakMax)/mb, "peak-heap-MB")
		b.ReportMetric(float64(baseMax)/mb, "base-heap-MB")
		b.ReportMetric(cpu.Seconds()/float64(iters), "cpu-s/op")
	})
}

// countWriter counts what is written to it.
type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
