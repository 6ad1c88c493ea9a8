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
