package report

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/store"
)

// orgHistory returns a deterministic history of several managers, each
// with a few reports of every cadence: pairs that keep their 1:1s, that
// slip lately, that stopped (overdue), that ended, plus one pair of two
// managers (it counts for both) and one of a stranger (it counts for
// nobody).
func orgHistory(rng *rand.Rand, managers []string, now time.Time) ([]calendar.Series, []calendar.Occurrence) {
	cadences := []calendar.Cadence{calendar.CadenceWeekly, calendar.CadenceBiweekly, calendar.CadenceMonthly, calendar.CadenceOther}
	var all []calendar.Series
	var occ []calendar.Occurrence
	add := func(id, boss, who string, profile int) {
		s := series(id, who, cadences[rng.IntN(len(cadences))], "2026-01-05 10:00")
		s.Pair, s.Me, s.Title = calendar.NewPair(boss, who), boss, boss+" / "+who+" secret-title"
		s.Start = now.AddDate(0, 0, -7*(10+rng.IntN(60)))
		if profile == 3 {
			s.Until = now.AddDate(0, 0, -7*(1+rng.IntN(40)))
		}
		period := map[calendar.Cadence]int{calendar.CadenceWeekly: 7, calendar.CadenceBiweekly: 14, calendar.CadenceMonthly: 28}[s.Cadence]
		if period == 0 {
			period = 3 + rng.IntN(30)
		}
		stopped := now.AddDate(0, 0, -rng.IntN(120))
		end := now.AddDate(0, 0, 30)
		if !s.Until.IsZero() {
			end = s.Until
		}
		for os := s.Start; os.Before(end); os = os.AddDate(0, 0, period) {
			o := calendar.Occurrence{SeriesID: s.ID, Pair: s.Pair, OriginalStart: os, Start: os, End: os.Add(30 * time.Minute)}
			keeps := map[int]bool{0: rng.IntN(10) < 9, 1: rng.IntN(10) < 5, 2: os.Before(stopped) && rng.IntN(10) < 8, 3: rng.IntN(10) < 7}[profile]
			switch {
			case !os.Before(now):
				o.State = calendar.StateUpcoming
			case !keeps:
				o.State = []calendar.State{calendar.StateSkipped, calendar.StateDeclined}[rng.IntN(2)]
			case rng.IntN(4) == 0:
				o.State, o.Start = calendar.StatePostponed, os.Add(time.Duration(1+rng.IntN(72))*time.Hour)
			case rng.IntN(8) == 0:
				o.State, o.Start = calendar.StateAdvanced, os.Add(-time.Duration(1+rng.IntN(48))*time.Hour)
			default:
				o.State = calendar.StateHeld
			}
			occ = append(occ, o)
		}
		all = append(all, s)
	}
	for m, boss := range managers {
		for k := range 2 + rng.IntN(5) {
			add(fmt.Sprintf("m%d-r%d", m, k), boss, fmt.Sprintf("report%d.%d@example.com", m, k), rng.IntN(4))
		}
	}
	add("managers", managers[0], managers[1], 0)
	add("stranger", "someone@example.com", "else@example.com", 0)
	return all, occ
}

var orgManagers = []string{"anna@example.com", "bert@example.com", "cleo@example.com", "dana@example.com", "emil@example.com", "fay@example.com"}

// TestRollupFiguresArePerPairFigures: for random organisations at one
// fixed instant, each person's roll-up figures equal those derived from
// their pairs' trailing figures (PairOf, which gives each pair exactly as
// the report does, and the report's own pairs), and the trend equals the
// same derivation over the window before.
func TestRollupFiguresArePerPairFigures(t *testing.T) {
	now := at("2026-11-25 10:00")
	for seed := range 8 {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 16))
			series, occ := orgHistory(rng, orgManagers, now)
			week := []Week{{}, WeekOf(now, berlin), WeekOf(now, berlin).Add(-5)}[seed%3]
			in := Input{Week: week, Location: berlin, Now: now, TrailingWeeks: []int{4, 12}[seed%2],
				Me: append([]string{"Anna@Example.com"}, orgManagers...), Series: series, Occurrences: occ}
			rep := Build(in)
			ru := BuildRollup(in)
			if ru.AsOf != rep.AsOf || ru.Week != rep.Week || ru.TrailingWeeks != rep.TrailingWeeks {
				t.Fatalf("roll-up of %s as of %s over %d weeks; the report: %s as of %s over %d", ru.Week, ru.AsOf, ru.TrailingWeeks, rep.Week, rep.AsOf, rep.TrailingWeeks)
			}
			if len(ru.People) != len(orgManagers) {
				t.Fatalf("%d people, want %d (identity.me de-duplicated)", len(ru.People), len(orgManagers))
			}
			inReport := map[string]Trailing{}
			for _, p := range rep.Pairs {
				inReport[p.Pair] = p.Trailing
			}
			seen := map[calendar.Pair]bool{}
			type want struct{ pairs, due, kept, held, overdue, prevDue, prevKept int }
			wants := map[string]*want{}
			for _, m := range orgManagers {
				wants[m] = &want{}
			}
			prevIn := in
			prevIn.Week = rep.Week.Add(-rep.TrailingWeeks)
			for _, s := range series {
				if seen[s.Pair] {
					continue
				}
				seen[s.Pair] = true
				sum, ok := PairOf(in, s.Pair)
				if !ok {
					t.Fatalf("PairOf %s: no pair", s.Pair)
				}
				tr := sum.Trailing
				if r, ok := inReport[sum.Pair]; ok && !reflect.DeepEqual(r, tr) {
					t.Fatalf("pair %s: report %+v, PairOf %+v", sum.Pair, r, tr)
				}
				if tr.Due == 0 && !tr.Overdue && sum.Ended {
					continue // sets no expectations
				}
				prev, _ := PairOf(prevIn, s.Pair)
				for _, a := range []string{s.Pair.A, s.Pair.B} {
					w := wants[a]
					if w == nil {
						continue
					}
					w.pairs++
					w.due += tr.Due
					w.kept += tr.Kept
					w.held += tr.Held
					w.prevDue += prev.Trailing.Due
					w.prevKept += prev.Trailing.Kept
					if tr.Overdue {
						w.overdue++
					}
				}
			}
			ratio := func(a, b int) float64 {
				if b == 0 {
					return 0
				}
				return round2(float64(a) / float64(b))
			}
			anyOverdue := false
			for _, p := range ru.People {
				w := wants[p.Person]
				if w == nil {
					t.Fatalf("person %q is not one of identity.me", p.Person)
				}
				if p.Pairs != w.pairs || p.Due != w.due || p.Kept != w.kept || p.Held != w.held || p.Overdue != w.overdue {
					t.Errorf("%s: pairs %d due %d kept %d held %d overdue %d; from the pairs: %+v", p.Person, p.Pairs, p.Due, p.Kept, p.Held, p.Overdue, *w)
				}
				if p.Consistency != ratio(w.kept, w.due) || p.OnTime != ratio(w.held, w.due) {
					t.Errorf("%s: consistency %v on time %v, want %v %v", p.Person, p.Consistency, p.OnTime, ratio(w.kept, w.due), ratio(w.held, w.due))
				}
				if w.prevDue == 0 {
					if p.Trend.Previous != nil || p.Trend.Direction != TrendNone {
						t.Errorf("%s: trend %+v with nothing due before", p.Person, p.Trend)
					}
				} else if p.Trend.Previous == nil || *p.Trend.Previous != ratio(w.prevKept, w.prevDue) {
					t.Errorf("%s: previous %v, want %v", p.Person, p.Trend.Previous, ratio(w.prevKept, w.prevDue))
				} else if w.due > 0 && (p.Trend.Delta == nil || *p.Trend.Delta != round2(p.Consistency-*p.Trend.Previous)) {
					t.Errorf("%s: delta %v, want %v", p.Person, p.Trend.Delta, round2(p.Consistency-*p.Trend.Previous))
				}
				anyOverdue = anyOverdue || p.Overdue > 0
			}
			if seed == 0 && !anyOverdue {
				t.Error("the generated organisation has no overdue pair: the test checks too little")
			}
			checkRollupOrder(t, ru.People)
		})
	}
}

// checkRollupOrder checks BuildRollup's order: something due first, then
// most overdue, lowest consistency, biggest fall.
func checkRollupOrder(t *testing.T, people []PersonRollup) {
	t.Helper()
	for i := 1; i < len(people); i++ {
		a, b := people[i-1], people[i]
		key := func(p PersonRollup) []float64 {
			return []float64{float64(boolInt(p.Due == 0)), -float64(p.Overdue), p.Consistency, p.Trend.delta()}
		}
		ka, kb := key(a), key(b)
		for j := range ka {
			if ka[j] < kb[j] {
				break
			}
			if ka[j] > kb[j] {
				t.Errorf("%s sorted before %s: %v before %v", a.Person, b.Person, ka, kb)
				break
			}
		}
	}
}

// TestRollupOrderAndTrend: hand-made people: the one with an overdue pair
// first, then the lowest consistency, then the biggest fall; one with no
// pairs last; the trend's direction and delta.
func TestRollupOrderAndTrend(t *testing.T) {
	now := at("2026-11-25 10:00") // a Wednesday; the last full week is W47
	mk := func(id, boss, who, states string) ([]calendar.Series, []calendar.Occurrence) {
		s := series(id, who, calendar.CadenceWeekly, "2026-05-04 10:00")
		s.Pair, s.Me = calendar.NewPair(boss, who), boss
		return []calendar.Series{s}, run(s, "2026-05-04 10:00", 7, states)
	}
	// 29 weeks from 4 May to 16 Nov: the window before is W36–W47-12,
	// the window the 12 weeks W36..W47.
	var ss []calendar.Series
	var oo []calendar.Occurrence
	for _, c := range []struct{ id, boss, who, states string }{
		{"a", "anna@example.com", "a1@example.com", strings.Repeat("h", 17) + strings.Repeat("h", 12) + "u"},
		{"b", "bert@example.com", "b1@example.com", strings.Repeat("h", 17) + strings.Repeat("hs", 6) + "u"},
		{"c", "cleo@example.com", "c1@example.com", strings.Repeat("s", 17) + strings.Repeat("hs", 6) + "u"},
		{"d", "dana@example.com", "d1@example.com", strings.Repeat("h", 17) + "hhhhhhhhh" + "sss" + "u"},
	} {
		s, o := mk(c.id, c.boss, c.who, c.states)
		ss, oo = append(ss, s...), append(oo, o...)
	}
	ru := BuildRollup(Input{Location: berlin, Now: now, Series: ss, Occurrences: oo,
		Me: []string{"anna@example.com", "bert@example.com", "cleo@example.com", "dana@example.com", "eve@example.com"}})
	var order []string
	for _, p := range ru.People {
		order = append(order, fmt.Sprintf("%s %d %.2f %s", p.Person, p.Overdue, p.Consistency, p.Trend.Text()))
	}
	want := []string{
		"dana@example.com 1 0.75 down 25 pts (from 100%)",
		"bert@example.com 0 0.50 down 50 pts (from 100%)",
		"cleo@example.com 0 0.50 up 50 pts (from 0%)",
		"anna@example.com 0 1.00 flat (100%)",
		"eve@example.com 0 0.00 -",
	}
	if strings.Join(order, "\n") != strings.Join(want, "\n") {
		t.Errorf("order:\n%s\nwant\n%s", strings.Join(order, "\n"), strings.Join(want, "\n"))
	}
}

// TestRollupShowsNoContent: no format of the roll-up names a counterpart
// or a title, only the people of identity.me.
func TestRollupShowsNoContent(t *testing.T) {
	now := at("2026-11-25 10:00")
	series, occ := orgHistory(rand.New(rand.NewPCG(1, 2)), orgManagers, now)
	ru := BuildRollup(Input{Location: berlin, Now: now, Me: orgManagers, Series: series, Occurrences: occ})
	for _, f := range Formats {
		var b bytes.Buffer
		if err := WriteRollup(&b, ru, f); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, bad := range []string{"report0.", "secret-title", "someone@", "else@"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s roll-up shows %q", f, bad)
			}
		}
		for _, m := range orgManagers {
			if !strings.Contains(out, m) {
				t.Errorf("%s roll-up does not show %s", f, m)
			}
		}
	}
	if err := WriteRollup(&bytes.Buffer{}, ru, "pdf"); err == nil || !strings.Contains(err.Error(), `"pdf"`) {
		t.Errorf("format pdf: %v", err)
	}
}

// TestLoadRollupSameFigures: the roll-up of a windowed load (LoadRollup:
// the window and the one before) equals that of a load of every
// occurrence.
func TestLoadRollupSameFigures(t *testing.T) {
	ctx := context.Background()
	now := at("2026-11-25 10:00")
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	series, occ := orgHistory(rand.New(rand.NewPCG(3, 4)), orgManagers, now)
	if err := st.SaveHistory("team", series, occ); err != nil {
		t.Fatal(err)
	}
	for _, weeks := range []int{0, 4, 12} {
		for _, week := range []Week{{}, WeekOf(now, berlin), WeekOf(now, berlin).Add(-9)} {
			in := Input{Location: berlin, Now: now, TrailingWeeks: weeks, Week: week, Me: orgManagers}
			all, err := LoadAll(ctx, in, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			win, err := LoadRollup(ctx, in, st)
			if err != nil {
				t.Fatal(err)
			}
			if win.TrailingWeeks != weeks {
				t.Errorf("LoadRollup changed the window to %d weeks", win.TrailingWeeks)
			}
			sameJSON(t, fmt.Sprintf("%d weeks, week %s", weeks, week), BuildRollup(win), BuildRollup(all))
		}
	}
}
