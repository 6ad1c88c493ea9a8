package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/store"
)

// randomHistory stores a random history of a few pairs over up to four
// years before now and returns its series: pairs that keep their 1:1s, that
// kept them only long ago, that never kept one, series split or ended,
// the same meeting in two sources, and slots moved by up to store.MaxShift,
// some of them across the window's edge.
func randomHistory(t *testing.T, st *store.Store, rng *rand.Rand, now time.Time) {
	t.Helper()
	cadences := []calendar.Cadence{calendar.CadenceWeekly, calendar.CadenceBiweekly, calendar.CadenceMonthly, calendar.CadenceOther}
	bySource := map[string][]calendar.Series{}
	var occBySource = map[string][]calendar.Occurrence{}
	for p := range 6 + rng.IntN(6) {
		who := fmt.Sprintf("p%d@example.com", p)
		// How the pair keeps its 1:1s: 0 mostly, 1 never, 2 only before
		// keptUntil, 3 rarely.
		profile := rng.IntN(4)
		keptUntil := now.AddDate(0, 0, -rng.IntN(4*365))
		start := now.AddDate(0, 0, -7-rng.IntN(4*365))
		for k := range 1 + rng.IntN(3) {
			id := fmt.Sprintf("s%d-%d", p, k)
			s := series(id, who, cadences[rng.IntN(len(cadences))], "2026-01-05 10:00")
			s.Start = start
			if rng.IntN(3) == 0 {
				s.Until = start.AddDate(0, 0, 30+rng.IntN(700))
			}
			if rng.IntN(5) == 0 {
				s.Deleted = start.AddDate(0, 0, 30+rng.IntN(700))
			}
			s.Checked = now.Add(-time.Duration(rng.IntN(1000)) * time.Hour)
			period := 7
			switch s.Cadence {
			case calendar.CadenceBiweekly:
				period = 14
			case calendar.CadenceMonthly:
				period = 28
			case calendar.CadenceOther:
				period = 3 + rng.IntN(40)
			}
			end := now.AddDate(0, 0, 60)
			if !s.Until.IsZero() && s.Until.Before(end) {
				end = s.Until
			}
			var occ []calendar.Occurrence
			for os := s.Start; os.Before(end); os = os.AddDate(0, 0, period) {
				o := calendar.Occurrence{SeriesID: s.ID, Pair: s.Pair, OriginalStart: os, Start: os, End: os.Add(30 * time.Minute)}
				keeps := map[int]bool{0: rng.IntN(10) < 8, 1: false, 2: os.Before(keptUntil) && rng.IntN(10) < 8, 3: rng.IntN(10) == 0}[profile]
				switch {
				case !keeps:
					o.State = []calendar.State{calendar.StateSkipped, calendar.StateDeclined}[rng.IntN(2)]
				case rng.IntN(4) == 0:
					// Moved: mostly by hours or days, sometimes by weeks,
					// never by more than store.MaxShift.
					shift := time.Duration(rng.IntN(72)) * time.Hour
					if rng.IntN(3) == 0 {
						shift = time.Duration(rng.Int64N(int64(store.MaxShift/time.Minute))) * time.Minute
					}
					o.State = calendar.StatePostponed
					if rng.IntN(3) == 0 {
						shift, o.State = -shift, calendar.StateAdvanced
					}
					o.Start = os.Add(shift)
				case os.Before(now):
					o.State = calendar.StateHeld
				default:
					o.State = calendar.StateUpcoming
				}
				if o.Start.IsZero() || rng.IntN(20) == 0 {
					o.Start = time.Time{}
				}
				occ = append(occ, o)
			}
			bySource[s.Source] = append(bySource[s.Source], s)
			occBySource[s.Source] = append(occBySource[s.Source], occ...)
			if rng.IntN(4) == 0 {
				// The same meeting in another source, with other states
				// for some slots.
				m := s
				m.ID, m.Source, m.Checked = "mirror/work/"+id, "mirror", s.Checked.Add(time.Duration(rng.IntN(200)-100)*time.Hour)
				bySource[m.Source] = append(bySource[m.Source], m)
				for _, o := range occ {
					if rng.IntN(3) == 0 {
						continue
					}
					o.SeriesID = m.ID
					if rng.IntN(3) == 0 {
						o.State = []calendar.State{calendar.StateHeld, calendar.StateSkipped}[rng.IntN(2)]
					}
					occBySource[m.Source] = append(occBySource[m.Source], o)
				}
			}
			start = start.AddDate(0, 0, rng.IntN(900))
			if start.After(now) {
				start = now.AddDate(0, 0, -rng.IntN(30))
			}
		}
	}
	for src, ss := range bySource {
		if err := st.SaveHistory(src, ss, occBySource[src]); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoadWindowSameFigures compares, for random histories, the report,
// the summaries and every pair's summary of a windowed load (Load) with
// those of a load of every occurrence (LoadAll): for the last full week,
// the current week and past weeks, at several instants.
func TestLoadWindowSameFigures(t *testing.T) {
	ctx := context.Background()
	genNow := at("2026-11-25 10:00")
	seeds := 12
	if testing.Short() {
		seeds = 4
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 13))
			st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			randomHistory(t, st, rng, genNow)
			for q := range 8 {
				now := genNow.Add(-time.Duration(rng.IntN(60*24)) * time.Hour)
				in := Input{Location: berlin, Now: now, TrailingWeeks: []int{1, 4, 12, 13}[rng.IntN(4)]}
				switch q % 4 {
				case 0: // the last full week
				case 1:
					in.Week = WeekOf(now, berlin)
				default: // a past week, as of its end
					in.Week = WeekOf(now, berlin).Add(-1 - rng.IntN(100))
				}
				all, err := LoadAll(ctx, in, st, nil)
				if err != nil {
					t.Fatal(err)
				}
				win, err := Load(ctx, in, st, nil)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("now %s, week %s, %d weeks", now.Format(time.DateTime), in.Week, in.TrailingWeeks)
				if len(win.Occurrences) > len(all.Occurrences) {
					t.Errorf("%s: windowed load read %d occurrences, more than all %d", name, len(win.Occurrences), len(all.Occurrences))
				}
				sameJSON(t, name+": report", Build(win), Build(all))
				sameJSON(t, name+": summaries", Summaries(win), Summaries(all))
				pairs := map[calendar.Pair]bool{}
				for _, s := range all.Series {
					if pairs[s.Pair] {
						continue
					}
					pairs[s.Pair] = true
					a, aok := PairOf(all, s.Pair)
					w, wok := PairOf(win, s.Pair)
					if aok != wok {
						t.Fatalf("%s: PairOf %s: %v, want %v", name, s.Pair, wok, aok)
					}
					sameJSON(t, name+": pair "+s.Pair.String(), w, a)
				}
			}
		})
	}
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s: windowed load differs from the full load:\n%s\nwant\n%s", what, g, w)
	}
}

// TestLoadWindowEdges: hand-made cases at the edges of the windowed read,
// each against the full load: a slot moved from 50 days ago to just after
// now (the next start of a 4-week window), a last kept 1:1 years ago, one
// advanced from just after the edge to before it, and none kept.
func TestLoadWindowEdges(t *testing.T) {
	ctx := context.Background()
	now := at("2026-11-25 10:00")
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var all []calendar.Series
	var occ []calendar.Occurrence
	add := func(id, who string, start time.Time, n int, state func(i int, os time.Time) (calendar.State, time.Time)) {
		s := series(id, who, calendar.CadenceWeekly, "2026-01-05 10:00")
		s.Start = start
		all = append(all, s)
		for i := range n {
			os := start.AddDate(0, 0, 7*i)
			st, at := state(i, os)
			occ = append(occ, calendar.Occurrence{SeriesID: s.ID, Pair: s.Pair, OriginalStart: os, Start: at, End: at.Add(time.Hour), State: st})
		}
	}
	since := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	// Moved from 50 days ago to an hour from now; the rest skipped, the
	// next regular slot in four days.
	add("moved", "moved@example.com", since(50+7*20), 24, func(i int, os time.Time) (calendar.State, time.Time) {
		if os.Equal(since(50)) {
			return calendar.StatePostponed, now.Add(time.Hour)
		}
		if os.After(now) {
			return calendar.StateUpcoming, os
		}
		return calendar.StateSkipped, os
	})
	// Kept only three years ago, one of them postponed by 60 days.
	add("ancient", "ancient@example.com", since(4*365), 80, func(i int, os time.Time) (calendar.State, time.Time) {
		switch {
		case i == 50:
			return calendar.StatePostponed, os.Add(60 * 24 * time.Hour)
		case i < 52:
			return calendar.StateHeld, os
		}
		return calendar.StateSkipped, os
	})
	// Never kept.
	add("never", "never@example.com", since(700), 100, func(int, time.Time) (calendar.State, time.Time) {
		return calendar.StateDeclined, time.Time{}
	})
	// Kept until 100 days ago, the last one advanced by 60 days.
	add("advanced", "adv@example.com", since(400), 58, func(i int, os time.Time) (calendar.State, time.Time) {
		switch {
		case os.After(since(100)):
			return calendar.StateSkipped, os
		case os.After(since(107)):
			return calendar.StateAdvanced, os.Add(-60 * 24 * time.Hour)
		}
		return calendar.StateHeld, os
	})
	if err := st.SaveHistory("team", all, occ); err != nil {
		t.Fatal(err)
	}
	for _, weeks := range []int{1, 4, 12} {
		for _, week := range []Week{{}, WeekOf(now, berlin), WeekOf(now, berlin).Add(-30)} {
			in := Input{Location: berlin, Now: now, TrailingWeeks: weeks, Week: week}
			full, err := LoadAll(ctx, in, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			win, err := Load(ctx, in, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%d weeks, week %s", weeks, week)
			sameJSON(t, name+": report", Build(win), Build(full))
			sameJSON(t, name+": summaries", Summaries(win), Summaries(full))
			if week.Year != 0 && week != WeekOf(now, berlin) {
				continue // a past week: read from its window on
			}
			if len(win.Occurrences) >= len(full.Occurrences)/2 {
				t.Errorf("%s: the windowed load read %d of %d occurrences", name, len(win.Occurrences), len(full.Occurrences))
			}
		}
	}
}
