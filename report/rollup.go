package report

import (
	"cmp"
	"context"
	"slices"
	"time"

	"oneonone/calendar"
)

// Rollup is the roll-up for whoever looks after managers: one line of
// figures per person of identity.me (Input.Me), for the same week, window
// and as-of instant as the weekly report (docs/DESIGN.md, "The roll-up").
// Its JSON encoding is the shape documented there.
//
// It holds figures only: no counterpart, title, agenda, action or talking
// point of any pair, so that it can be shown to someone who may see how
// regularly each manager meets their people but not with whom or about
// what.
type Rollup struct {
	Heading
	// People is one entry per person, the one slipping most first (see
	// BuildRollup); [] when identity.me is empty.
	People []PersonRollup `json:"people"`
	// Stale lists the sources that have not synced recently; [] when none.
	Stale []StaleSource `json:"stale"`
}

// PersonRollup is one person's figures: the sums of the trailing figures
// of the pairs they are in (Trailing, as the report gives them).
type PersonRollup struct {
	Person string `json:"person"` // an address of identity.me, lower-cased
	// Pairs counts the person's pairs that set expectations in the window:
	// something was due in it, it is overdue, or one of its series had not
	// ended at the as-of instant.
	Pairs int `json:"pairs"`
	// Due, Kept and Held sum the pairs' trailing.due, .kept and .held.
	Due  int `json:"due"`
	Kept int `json:"kept"`
	Held int `json:"held"`
	// Consistency is kept/due and OnTime held/due over all the person's
	// pairs (so a pair counts by its number of due 1:1s), rounded to 2
	// decimals; 0 when nothing was due, as for a pair.
	Consistency float64 `json:"consistency"`
	OnTime      float64 `json:"on_time"`
	// Overdue counts the pairs whose trailing.overdue is true: nothing
	// kept for more than twice their cadence (the overdue nudge's rule).
	Overdue int `json:"overdue"`
	// Trend compares Consistency with that of the window before.
	Trend Trend `json:"trend"`
}

// Trend directions.
const (
	TrendUp   = "up"
	TrendDown = "down"
	TrendFlat = "flat"
	TrendNone = "none" // nothing due in this window or in the one before
)

// Trend is how a person's consistency moved: this window's against the
// window of the same length just before it (the TrailingWeeks weeks that
// end TrailingWeeks weeks before the reported one), each measured as the
// report of its last week measures it.
type Trend struct {
	Direction string `json:"direction"` // up, down, flat or none
	// Previous is the consistency of the window before, rounded to 2
	// decimals; null when nothing was due in it.
	Previous *float64 `json:"previous"`
	// Delta is Consistency minus Previous, rounded to 2 decimals; null
	// when either window had nothing due.
	Delta *float64 `json:"delta"`
}

// PreviousWindow returns in for the window before in's: the same length,
// ending in.Week.Add(-TrailingWeeks). BuildRollup measures the trend in
// it; LoadRollup reads it.
func PreviousWindow(in Input) Input {
	in = in.normalized()
	in.Week = in.Week.Add(-in.TrailingWeeks)
	return in
}

// LoadRollup is Load for BuildRollup: it reads the trailing window and the
// one before it (for the trend), and counts no open actions (the roll-up
// shows none).
func LoadRollup(ctx context.Context, in Input, h History) (Input, error) {
	n := in.normalized()
	wide := in
	wide.Week, wide.Now, wide.Location = n.Week, n.Now, n.Location
	wide.TrailingWeeks = 2 * n.TrailingWeeks
	out, err := Load(ctx, wide, h, nil)
	if err != nil {
		return Input{}, err
	}
	out.TrailingWeeks = in.TrailingWeeks
	return out, nil
}

// BuildRollup makes the roll-up of in.Week for every address of in.Me.
//
// Each pair's figures are those of Build and PairOf: the same trailing
// computation over the same window, as of the same instant. A pair counts
// for every person of in.Me that is one of its two addresses (a manager
// meeting their own manager counts for both). Nothing here is measured a
// second way: a person's figures are sums of their pairs' trailing due,
// kept and held, and their overdue pairs are counted from the pairs'
// trailing.overdue.
//
// People are sorted by who is slipping most: most overdue pairs first,
// then the lowest consistency, then the biggest fall since the window
// before (a missing trend counts as no change), then by address. People
// with nothing due sort after everyone with something due (with overdue
// pairs first among them): there is nothing to measure.
func BuildRollup(in Input) *Rollup {
	in = in.normalized()
	r := &Rollup{
		Heading: headingOf(in),
		People:  []PersonRollup{},
		Stale:   staleSources(in.Stale, in.Location),
	}
	type sums struct {
		PersonRollup
		prevDue, prevKept int
	}
	var people []*sums
	byAddr := map[string]*sums{}
	for _, m := range in.Me {
		a := calendar.NormalizeEmail(m)
		if a == "" || byAddr[a] != nil {
			continue
		}
		s := &sums{PersonRollup: PersonRollup{Person: a}}
		byAddr[a] = s
		people = append(people, s)
	}
	if len(people) == 0 {
		return r
	}
	asOf := AsOf(in.Week, in.Now, in.Location)
	prevIn := PreviousWindow(in)
	for _, g := range groupByPair(in) {
		if len(g.series) == 0 {
			continue
		}
		var mine []*sums
		for _, a := range []string{g.pair.A, g.pair.B} {
			if s := byAddr[calendar.NormalizeEmail(a)]; s != nil && !slices.Contains(mine, s) {
				mine = append(mine, s)
			}
		}
		if len(mine) == 0 {
			continue
		}
		tr := g.trailing(in)
		if tr.Due == 0 && !tr.Overdue && g.ended(asOf) {
			continue
		}
		prev := g.trailing(prevIn)
		for _, s := range mine {
			s.Pairs++
			s.Due += tr.Due
			s.Kept += tr.Kept
			s.Held += tr.Held
			if tr.Overdue {
				s.Overdue++
			}
			s.prevDue += prev.Due
			s.prevKept += prev.Kept
		}
	}
	for _, s := range people {
		p := s.PersonRollup
		if p.Due > 0 {
			p.Consistency = round2(float64(p.Kept) / float64(p.Due))
			p.OnTime = round2(float64(p.Held) / float64(p.Due))
		}
		p.Trend = Trend{Direction: TrendNone}
		if s.prevDue > 0 {
			prev := round2(float64(s.prevKept) / float64(s.prevDue))
			p.Trend.Previous = &prev
			if p.Due > 0 {
				d := round2(p.Consistency - prev)
				p.Trend.Delta = &d
				switch {
				case d > 0:
					p.Trend.Direction = TrendUp
				case d < 0:
					p.Trend.Direction = TrendDown
				default:
					p.Trend.Direction = TrendFlat
				}
			}
		}
		r.People = append(r.People, p)
	}
	slices.SortStableFunc(r.People, func(a, b PersonRollup) int {
		return cmp.Or(
			cmp.Compare(boolInt(a.Due == 0), boolInt(b.Due == 0)),
			cmp.Compare(b.Overdue, a.Overdue),
			cmp.Compare(a.Consistency, b.Consistency),
			cmp.Compare(a.Trend.delta(), b.Trend.delta()),
			cmp.Compare(a.Person, b.Person),
		)
	})
	return r
}

// delta is Delta, 0 when null.
func (t Trend) delta() float64 {
	if t.Delta == nil {
		return 0
	}
	return *t.Delta
}

// ended reports whether every series of the pair ended (Until or
// Deleted) before t.
func (g *group) ended(t time.Time) bool {
	for _, s := range g.series {
		if end := seriesEnd(s); end.IsZero() || !end.Before(t) {
			return false
		}
	}
	return true
}
