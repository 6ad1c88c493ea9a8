package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"oneonone/report"
	"oneonone/store"
)

// countingStore counts the occurrence records the windowed reads of a
// report visit (store.RecentTx.Visited).
type countingStore struct {
	*store.Store
	visited int
}

func (c *countingStore) ViewRecent(fn func(*store.RecentTx) error) error {
	return c.Store.ViewRecent(func(tx *store.RecentTx) error {
		err := fn(tx)
		c.visited += tx.Visited()
		return err
	})
}

// reportInput is the input of the weekly report at benchNow.
func reportInput() report.Input {
	return report.Input{Location: berlin(), Now: benchNow, Week: report.LastFullWeek(benchNow, berlin())}
}

// BenchmarkReport is the weekly report (report.Load, Build, WriteJSON)
// and the series summaries (Load, Summaries) of the same calendar (1,000
// 1:1 series and their noise) with 1 and 4 years of history in the store,
// and, for comparison, the report from every occurrence (report.LoadAll,
// what Load read before it read the window only). The report and the
// series must cost the same whatever the past kept.
func BenchmarkReport(b *testing.B) {
	cal := historyCalendar(1000)
	for _, years := range []int{1, 4} {
		b.Run(fmt.Sprintf("%dy", years), func(b *testing.B) {
			env := newDAV(b, cal)
			eng, done := historyStore(b, env, cal, years)
			defer done()
			occ := storedOccurrences(b, eng)
			run := func(b *testing.B, fn func() error) {
				var cpu time.Duration
				n := 0
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					c0 := cpuTime()
					if err := fn(); err != nil {
						b.Fatal(err)
					}
					cpu += cpuTime() - c0
					n++
				}
				b.ReportMetric(float64(occ), "stored-occurrences")
				b.ReportMetric(cpu.Seconds()/float64(n), "cpu-s/op")
			}
			ctx := context.Background()
			b.Run("report", func(b *testing.B) {
				run(b, func() error {
					in, err := report.Load(ctx, reportInput(), eng.Store, nil)
					if err != nil {
						return err
					}
					return report.Build(in).WriteJSON(io.Discard)
				})
			})
			b.Run("series", func(b *testing.B) {
				run(b, func() error {
					in, err := report.Load(ctx, reportInput(), eng.Store, nil)
					if err != nil {
						return err
					}
					return report.WriteSummariesText(io.Discard, report.Summaries(in))
				})
			})
			// What the nudger adds after each cycle to find the ways
			// back: the needs of every pair (no request when none).
			b.Run("waysback", func(b *testing.B) {
				run(b, func() error {
					in, err := report.Load(ctx, reportInput(), eng.Store, nil)
					if err != nil {
						return err
					}
					_ = report.WayBackNeeds(in)
					return nil
				})
			})
			b.Run("all", func(b *testing.B) {
				run(b, func() error {
					in, err := report.LoadAll(ctx, reportInput(), eng.Store, nil)
					if err != nil {
						return err
					}
					return report.Build(in).WriteJSON(io.Discard)
				})
			})
		})
	}
}

// TestReportCostFlatWithHistory: the report of the same calendar visits
// as many stored occurrences with four years of history in the store as
// with one, and gives the same figures as a load of every occurrence. A
// count, not a timing.
func TestReportCostFlatWithHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("syncs four years of a calendar")
	}
	cal := historyCalendar(120)
	env := newDAV(t, cal)
	type cost struct{ stored, visited, loaded int }
	measure := func(years int) cost {
		eng, done := historyStore(t, env, cal, years)
		defer done()
		ctx := context.Background()
		cs := &countingStore{Store: eng.Store}
		win, err := report.Load(ctx, reportInput(), cs, nil)
		if err != nil {
			t.Fatal(err)
		}
		all, err := report.LoadAll(ctx, reportInput(), eng.Store, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []func(report.Input) any{
			func(in report.Input) any { return report.Build(in) },
			func(in report.Input) any { return report.Summaries(in) },
		} {
			w, err := json.Marshal(f(win))
			if err != nil {
				t.Fatal(err)
			}
			a, err := json.Marshal(f(all))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(w, a) {
				t.Fatalf("%d years: the windowed report differs from the full one:\n%s\nwant\n%s", years, w, a)
			}
		}
		return cost{storedOccurrences(t, eng), cs.visited, len(win.Occurrences)}
	}
	one, four := measure(1), measure(4)
	t.Logf("1 year:  %6d occurrences stored, %5d visited, %5d loaded", one.stored, one.visited, one.loaded)
	t.Logf("4 years: %6d occurrences stored, %5d visited, %5d loaded", four.stored, four.visited, four.loaded)
	if four.stored < 3*one.stored {
		t.Fatalf("the 4-year store holds %d occurrences, the 1-year one %d: not the history wanted", four.stored, one.stored)
	}
	if one.visited == 0 || one.visited >= one.stored {
		t.Fatalf("the report visited %d of %d stored occurrences: not a windowed read", one.visited, one.stored)
	}
	if r := float64(four.visited) / float64(one.visited); r > 1.2 {
		t.Errorf("the report visits %.2f× as many occurrences with 4 years of history as with 1; want at most 1.2×", r)
	}
	if one.loaded == 0 || four.loaded == 0 {
		t.Errorf("no occurrence loaded")
	}
}
