package recur

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"oneonone/calendar"
)

// Value is one DATE or DATE-TIME value of an RDATE or an EXDATE (RFC 5545
// §3.8.5.1, §3.8.5.2), placed in time by whoever read it: a DATE as a
// midnight, a UTC value as its instant, a value with a TZID in that zone,
// a floating one in any zone (Set moves it to the series' zone).
type Value struct {
	T        time.Time
	Date     bool // a DATE
	Floating bool // a DATE-TIME with neither Z nor TZID
	UTC      bool // a DATE-TIME ending in Z
}

// Set gathers the recurrence set of one master, rules, RDATEs and EXDATEs,
// read against its start, into a calendar.Recurrence. It holds the rules
// every reader of recurrence shares (calendar/ical for iCalendar,
// ReadLines for a provider's recurrence lines), so that they cannot drift:
//
//   - an RRULE is read by ParseRule against the start's wall clock and
//     kind; one whose normalized text is already there is dropped;
//   - a DATE in a DATE-TIME series names the slot on that date, at the
//     start's wall clock, in the start's zone (AtClockOf);
//   - a floating value is that wall clock in the start's zone;
//   - a UTC value, or one with a TZID, is its instant.
//
// The zero Set is not usable: make one with NewSet.
type Set struct {
	start time.Time
	kind  Kind
	r     calendar.Recurrence
	seen  map[string]bool
	ends  map[int64]time.Time
}

// NewSet starts the recurrence set of a master starting at start (in its
// zone), whose DTSTART is of the given kind (KindDate for an all-day one).
func NewSet(start time.Time, kind Kind) *Set {
	return &Set{start: start, kind: kind, seen: make(map[string]bool)}
}

// AddRule reads one RRULE value (ParseRule). A rule that cannot be used is
// left out and err says why; warnings are what was read leniently. A rule
// refused for its cost alone (CostError) is kept, without error: Expand
// refuses it, and its caller names the problem.
func (s *Set) AddRule(value string) (warnings []string, err error) {
	loc := s.start.Location()
	toWall := func(u time.Time) time.Time { return Wall(u.In(loc)) }
	rule, warnings, err := ParseRule(value, Wall(s.start), s.kind, toWall)
	var ce *CostError
	if errors.As(err, &ce) {
		// A rule refused for its cost is kept, so that its series stays a
		// series: Expand and SeriesEnd refuse it before any work, and the
		// caller that expands it says so (history.Build: a problem of
		// that series, whose stored history stays). An event nobody
		// expands costs nothing.
		s.keep(ce.Rule)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.keep(rule.Text())
	return warnings, nil
}

func (s *Set) keep(t string) {
	if !s.seen[t] {
		s.seen[t] = true
		s.r.RRules = append(s.r.RRules, t)
	}
}

// Slot is the original start that v names in this series.
func (s *Set) Slot(v Value) time.Time {
	switch {
	case v.Date && s.kind != KindDate:
		return AtClockOf(v.T, s.start)
	case v.Floating:
		return InZone(Wall(v.T), s.start.Location())
	}
	return v.T
}

// AddRDate adds an RDATE; end is the end of an RDATE;VALUE=PERIOD, zero
// for the others (they last as long as the master).
func (s *Set) AddRDate(v Value, end time.Time) {
	t := s.Slot(v)
	s.r.RDates = append(s.r.RDates, t)
	if !end.IsZero() {
		if s.ends == nil {
			s.ends = make(map[int64]time.Time)
		}
		s.ends[t.Unix()] = end
	}
}

// AddExDate adds an EXDATE.
func (s *Set) AddExDate(v Value) {
	s.r.ExDates = append(s.r.ExDates, s.Slot(v))
}

// Recurrence is what was added, or nil when there is neither an RRULE nor
// an RDATE (EXDATEs alone make no series).
func (s *Set) Recurrence() *calendar.Recurrence {
	if len(s.r.RRules) == 0 && len(s.r.RDates) == 0 {
		return nil
	}
	r := s.r
	r.RRules = append([]string(nil), r.RRules...)
	r.RDates = append([]time.Time(nil), r.RDates...)
	r.ExDates = append([]time.Time(nil), r.ExDates...)
	if len(s.ends) > 0 {
		r.RDateEnds = make(map[int64]time.Time, len(s.ends))
		for k, v := range s.ends {
			r.RDateEnds[k] = v
		}
	}
	return &r
}

// AtClockOf returns the date of d at the wall clock of ref, in ref's zone:
// how a DATE value in EXDATE, RDATE or RECURRENCE-ID names a slot of a
// DATE-TIME series.
func AtClockOf(d, ref time.Time) time.Time {
	y, m, day := d.Date()
	hh, mm, ss := ref.Clock()
	return InZone(time.Date(y, m, day, hh, mm, ss, 0, time.UTC), ref.Location())
}

// Duration is a DURATION value (RFC 5545 §3.3.6): days and weeks are
// nominal (calendar days, which DST may make 23 or 25 hours long), the
// rest exact.
type Duration struct {
	Days  int
	Exact time.Duration
}

// Add returns t moved by d: first the days, on t's wall clock in t's zone,
// then the exact part.
func (d Duration) Add(t time.Time) time.Time {
	if d.Days != 0 {
		t = InZone(Wall(t).AddDate(0, 0, d.Days), t.Location())
	}
	return t.Add(d.Exact)
}

// ParseDuration reads a DURATION value ("PT1H", "-P1D", "P1W", "P1DT2H30M").
func ParseDuration(s string) (Duration, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) < 2 || s[0] != 'P' {
		return Duration{}, false
	}
	s = s[1:]
	var d Duration
	inTime, any := false, false
	for s != "" {
		if s[0] == 'T' {
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 9 {
			return Duration{}, false
		}
		n, _ := strconv.Atoi(s[:i])
		unit := s[i]
		s = s[i+1:]
		any = true
		switch {
		case unit == 'W' && !inTime:
			d.Days += 7 * n
		case unit == 'D' && !inTime:
			d.Days += n
		case unit == 'H' && inTime:
			d.Exact += time.Duration(n) * time.Hour
		case unit == 'M' && inTime:
			d.Exact += time.Duration(n) * time.Minute
		case unit == 'S' && inTime:
			d.Exact += time.Duration(n) * time.Second
		default:
			return Duration{}, false
		}
	}
	if !any {
		return Duration{}, false
	}
	if neg {
		d.Days, d.Exact = -d.Days, -d.Exact
	}
	return d, true
}
