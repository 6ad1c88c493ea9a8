// Package report turns the occurrence history of the 1:1 series into
// consistency metrics per pair and the weekly report of docs/DESIGN.md
// ("Metrics per pair", "Report JSON"), and renders that report as text,
// Markdown, HTML or JSON.
//
// Everything here is a pure function of its Input (given Input.Now): the
// same input gives the same bytes, so the renderers are tested against
// golden files.
package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"oneonone/calendar"
)

// DefaultTrailingWeeks is the length of the trailing window when
// Input.TrailingWeeks is not set.
const DefaultTrailingWeeks = 12

// DefaultLateNotice is the notice under which a change counts as late when
// Input.LateNotice is not set (config report.late_notice).
const DefaultLateNotice = 24 * time.Hour

// Input is what a report is built from. The engine fills it from the store.
type Input struct {
	// Week is the reported week; the zero Week means LastFullWeek(Now).
	Week Week
	// Location is where weeks and days are counted; nil means UTC.
	Location *time.Location
	// Now is the time the report is made at; zero means time.Now().
	Now time.Time
	// TrailingWeeks is the length of the trailing window; 0 or less means
	// DefaultTrailingWeeks.
	TrailingWeeks int
	// LateNotice is the notice under which a change of an occurrence's fate
	// counts in Trailing.LateChanges; 0 or less means DefaultLateNotice.
	LateNotice time.Duration
	// Me lists the user's own addresses (identity.me): a change made by one
	// of them, or by the pair's me, is the user's ("changed_by": "me").
	Me []string
	// Series holds every known series, deleted ones included.
	Series []calendar.Series
	// Occurrences holds every known occurrence, of any series.
	Occurrences []calendar.Occurrence
	// OpenActions counts the open action items per pair.
	OpenActions map[calendar.Pair]int
	// Stale lists the sources whose data the report may not reflect: the
	// caller decides which (sync.(*Daemon).Stale for the daemon, the stored
	// last success per source for a one-shot report; docs/DESIGN.md,
	// "Stale sources"). Build keeps their order.
	Stale []StaleSource
	// WayBacks holds the make-ups found (package wayback), by
	// WayBackNeed.ID: a pair whose need at Now has one shows it.
	WayBacks map[string]WayBack
}

// StaleSource is a source that has not synced recently: the report's
// figures may miss what changed in it since.
type StaleSource struct {
	Name string `json:"name"`
	// Since is the source's last successful sync; nil when it never
	// synced (JSON null).
	Since *time.Time `json:"since"`
	// Error is the source's last error, "" when none is known.
	Error string `json:"error"`
}

// Report is the weekly report. Its JSON encoding is the shape of
// docs/DESIGN.md, "Report JSON": the contract's example and the fields we add.
type Report struct {
	Heading
	Pairs  []PairReport `json:"pairs"`
	Totals Counts       `json:"totals"` // sum of the pairs' week counts
	// Stale lists the sources that have not synced recently; [] when none.
	Stale []StaleSource `json:"stale"`
}

// Heading is what the report and the roll-up say of themselves: the week,
// its dates and zone, when they were made and as of when they measure.
// Its fields come first in both JSON shapes.
type Heading struct {
	Week          Week      `json:"week"`
	From          string    `json:"from"`     // the week's Monday, YYYY-MM-DD
	To            string    `json:"to"`       // the week's Sunday, YYYY-MM-DD (inclusive)
	Timezone      string    `json:"timezone"` // where weeks and days are counted
	GeneratedAt   time.Time `json:"generated_at"`
	AsOf          time.Time `json:"as_of"`          // the instant the figures are measured at
	TrailingWeeks int       `json:"trailing_weeks"` // length of the trailing window
}

// headingOf is the Heading of the report or roll-up of in (normalized).
func headingOf(in Input) Heading {
	from, to := in.Week.Range(in.Location)
	return Heading{
		Week:          in.Week,
		From:          from.Format(time.DateOnly),
		To:            to.AddDate(0, 0, -1).Format(time.DateOnly),
		Timezone:      in.Location.String(),
		GeneratedAt:   in.Now.UTC().Truncate(time.Second),
		AsOf:          AsOf(in.Week, in.Now, in.Location).Truncate(time.Second),
		TrailingWeeks: in.TrailingWeeks,
	}
}

// PairReport is one pair's entry in the report.
type PairReport struct {
	PairInfo
	Week        Counts       `json:"week"`
	Occurrences []Occurrence `json:"occurrences"` // the week's, by original start
	Trailing    Trailing     `json:"trailing"`
	OpenActions int          `json:"open_actions"`
	// WayBack is the suggested make-up of the pair's skipped 1:1, as of
	// Now; null when none is needed or none was looked for.
	WayBack *WayBack `json:"way_back"`
}

// Counts counts a week's occurrences by state. Planned is all of them.
type Counts struct {
	Planned   int `json:"planned"`
	Held      int `json:"held"`
	Postponed int `json:"postponed"`
	Advanced  int `json:"advanced"`
	Skipped   int `json:"skipped"`
	Declined  int `json:"declined"`
	Upcoming  int `json:"upcoming"`
}

// add counts one occurrence in state s.
func (c *Counts) add(s calendar.State) {
	c.Planned++
	switch s {
	case calendar.StateHeld:
		c.Held++
	case calendar.StatePostponed:
		c.Postponed++
	case calendar.StateAdvanced:
		c.Advanced++
	case calendar.StateSkipped:
		c.Skipped++
	case calendar.StateDeclined:
		c.Declined++
	case calendar.StateUpcoming:
		c.Upcoming++
	}
}

func (c *Counts) sum(o Counts) {
	c.Planned += o.Planned
	c.Held += o.Held
	c.Postponed += o.Postponed
	c.Advanced += o.Advanced
	c.Skipped += o.Skipped
	c.Declined += o.Declined
	c.Upcoming += o.Upcoming
}

// missed is what sorts a pair to the top of the report.
func (c Counts) missed() int { return c.Skipped + c.Postponed + c.Declined }

// Occurrence is one occurrence of the reported week. Times carry the
// report's location.
type Occurrence struct {
	SeriesID      string         `json:"series_id"`
	Title         string         `json:"title"`
	OriginalStart time.Time      `json:"original_start"`
	Start         time.Time      `json:"start"`
	State         calendar.State `json:"state"`
	ShiftMinutes  int            `json:"shift_minutes"`
	// When and by whom its fate changed (docs/DESIGN.md, "When and by
	// whom"); each left out when unknown or nothing changed.
	//
	// NoticeHours is the original start minus the change time, in hours to
	// one decimal, negative for a change after the start.
	NoticeHours *float64 `json:"notice_hours,omitempty"`
	// ChangedBy is "me", "counterpart", or the address of someone else.
	ChangedBy string `json:"changed_by,omitempty"`
	// ChangedAt is the change time (calendar.Occurrence.ChangeTime).
	ChangedAt time.Time `json:"changed_at,omitzero"`
	// Estimated says the change may predate the first sight of the slot.
	Estimated bool `json:"estimated,omitempty"`
}

// occurrence is o as the report and the history exports show it: with its
// series' title, its times in loc.
func (g *group) occurrence(o calendar.Occurrence, loc *time.Location, me []string) Occurrence {
	out := Occurrence{
		SeriesID:      o.SeriesID,
		Title:         g.titleOf(o.SeriesID),
		OriginalStart: o.OriginalStart.In(loc),
		Start:         o.Start.In(loc),
		State:         o.State,
		ShiftMinutes:  o.ShiftMinutes(),
	}
	if c, ok := g.change(o, me); ok {
		h := round1(c.notice.Hours())
		out.NoticeHours = &h
		out.ChangedBy = c.by
		out.ChangedAt = c.at.In(loc)
		out.Estimated = o.Estimated
	}
	return out
}

// OccurrenceOf returns o as the report shows it (its change fields
// included), for the pair info names (PairOf's, Summaries'): for the pages
// that list a pair's own occurrences. Title is the pair's.
func OccurrenceOf(in Input, info PairInfo, o calendar.Occurrence) Occurrence {
	in = in.normalized()
	g := &group{rep: calendar.Series{Me: info.Me, Counterpart: info.Counterpart, Title: info.Title}}
	return g.occurrence(o, in.Location, in.Me)
}

// Build makes the report of in.Week. See metrics.go for the rules.
func Build(in Input) *Report {
	in = in.normalized()
	from, to := in.Week.Range(in.Location)
	r := &Report{
		Heading: headingOf(in),
		Pairs:   []PairReport{},
		Stale:   staleSources(in.Stale, in.Location),
	}
	for _, g := range groupByPair(in) {
		tr := g.trailing(in)
		var week Counts
		occ := []Occurrence{}
		for _, o := range g.occ {
			if o.OriginalStart.Before(from) || !o.OriginalStart.Before(to) {
				continue
			}
			week.add(o.State)
			occ = append(occ, g.occurrence(o, in.Location, in.Me))
		}
		if week.Planned == 0 && !tr.Overdue {
			continue
		}
		r.Pairs = append(r.Pairs, PairReport{
			PairInfo:    g.info(),
			Week:        week,
			Occurrences: occ,
			Trailing:    tr,
			OpenActions: in.OpenActions[g.pair],
			WayBack:     g.wayBack(in),
		})
		r.Totals.sum(week)
	}
	slices.SortStableFunc(r.Pairs, func(a, b PairReport) int {
		return cmp.Or(
			cmp.Compare(b.Week.missed(), a.Week.missed()),
			cmp.Compare(a.Counterpart, b.Counterpart),
			cmp.Compare(a.Pair, b.Pair),
		)
	})
	return r
}

// staleSources copies the stale sources with their times in loc, to the
// second; never nil.
func staleSources(in []StaleSource, loc *time.Location) []StaleSource {
	out := make([]StaleSource, 0, len(in))
	for _, s := range in {
		if s.Since != nil {
			if s.Since.IsZero() {
				s.Since = nil
			} else {
				t := s.Since.In(loc).Truncate(time.Second)
				s.Since = &t
			}
		}
		out = append(out, s)
	}
	return out
}

// normalized fills in the defaults of Input.
func (in Input) normalized() Input {
	if in.Location == nil {
		in.Location = time.UTC
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if in.TrailingWeeks <= 0 {
		in.TrailingWeeks = DefaultTrailingWeeks
	}
	if in.LateNotice <= 0 {
		in.LateNotice = DefaultLateNotice
	}
	if in.Week.IsZero() {
		in.Week = LastFullWeek(in.Now, in.Location)
	}
	return in
}

// For returns r restricted to the pairs that person (a lower-cased
// address) is in, with Totals recounted: the report that person is mailed
// when [report.email] per_person is on. The pairs are copied, their
// slices shared with r; Stale and the rest are as in r.
func (r *Report) For(person string) *Report { return r.Split([]string{person})[person] }

// Split returns For of each of people, in one pass over r's pairs (For
// alone, once per person, would go over all of them each time).
func (r *Report) Split(people []string) map[string]*Report {
	out := make(map[string]*Report, len(people))
	for _, person := range people {
		part := *r
		part.Pairs, part.Totals = []PairReport{}, Counts{}
		out[person] = &part
	}
	for i := range r.Pairs {
		p := &r.Pairs[i] // not a copy of each pair
		a, b, _ := strings.Cut(p.Pair, "|")
		for _, who := range [2]string{a, b} {
			if part := out[who]; part != nil && (who != b || a != b) {
				part.Pairs = append(part.Pairs, *p)
				part.Totals.sum(p.Week)
			}
		}
	}
	return out
}
