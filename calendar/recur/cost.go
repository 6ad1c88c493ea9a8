package recur

import (
	"fmt"
	"time"

	"github.com/teambition/rrule-go"
)

// The work a rule costs, estimated from the rule alone before it is
// expanded (docs in checkCost). rrule-go works period by period (a year of
// a YEARLY rule, a second of a SECONDLY one): it builds every candidate of a
// period at once, the product of the BY* lists over the days the period
// keeps, and for HOURLY, MINUTELY and SECONDLY it steps through every
// period, matching or not.
const (
	// maxYearCandidates bounds the candidates a rule may need per year
	// (and in any one period: a YEARLY rule builds its year at once).
	// Twice a plain FREQ=MINUTELY (527,040), the densest rule the corpus
	// and the tests expand over a year; a real 1:1 needs a few hundred.
	maxYearCandidates = 1_000_000
	// maxBlindSteps bounds the periods an HOURLY, MINUTELY or SECONDLY
	// rule may step through without a candidate when its days and its
	// times filter each other: rrule-go jumps a filtered day only to step
	// through the next one until a BYHOUR/BYMINUTE/BYSECOND matches, up to
	// 400 years on (see iterate). HOURLY stays under it (3.5 million).
	maxBlindSteps = 10_000_000
	// blindDays is how many days iterate may let rrule-go scan past the
	// window when nothing matches any more (400 years).
	blindDays = 146_097
)

// CostError is a rule refused because expanding it would cost too much.
type CostError struct {
	Rule         string // the RRULE value, normalized
	Needs, Limit int64
	What         string // "candidates per year", "periods without a match"
}

func (e *CostError) Error() string {
	return fmt.Sprintf("%s: needs about %d %s, more than %d", e.Rule, e.Needs, e.What, e.Limit)
}

// ruleCost is the estimate of one rule's work.
type ruleCost struct {
	perPeriod int64 // candidates built in one period (an upper bound)
	perYear   int64 // candidates, and for sub-daily rules periods, in a year
	blind     int64 // periods stepped past the window when nothing matches any more
}

// periodsPerYear is the most periods of each frequency in a year.
var periodsPerYear = map[rrule.Frequency]int64{
	rrule.YEARLY: 1, rrule.MONTHLY: 12, rrule.WEEKLY: 53, rrule.DAILY: 366,
	rrule.HOURLY: 366 * 24, rrule.MINUTELY: 366 * 1440, rrule.SECONDLY: 366 * 86400,
}

// shortestPeriod is the shortest period of each frequency, in seconds.
var shortestPeriod = map[rrule.Frequency]int64{
	rrule.YEARLY: 365 * 86400, rrule.MONTHLY: 28 * 86400, rrule.WEEKLY: 7 * 86400, rrule.DAILY: 86400,
	rrule.HOURLY: 3600, rrule.MINUTELY: 60, rrule.SECONDLY: 1,
}

func size(l []int) int64 {
	if len(l) == 0 {
		return 1
	}
	return int64(len(l))
}

// hasDayFilter reports whether the rule keeps only some days.
func hasDayFilter(o *rrule.ROption) bool {
	return len(o.Bymonth) > 0 || len(o.Byweekno) > 0 || len(o.Byyearday) > 0 || len(o.Bymonthday) > 0 || len(o.Byweekday) > 0 || len(o.Byeaster) > 0
}

// hasTimeFilter reports whether a sub-daily rule keeps only some of its
// periods by their time of day.
func hasTimeFilter(o *rrule.ROption) bool {
	switch o.Freq {
	case rrule.HOURLY:
		return len(o.Byhour) > 0
	case rrule.MINUTELY:
		return len(o.Byhour) > 0 || len(o.Byminute) > 0
	case rrule.SECONDLY:
		return len(o.Byhour) > 0 || len(o.Byminute) > 0 || len(o.Bysecond) > 0
	}
	return false
}

// daysPerPeriod bounds the days one period of the rule keeps.
func daysPerPeriod(o *rrule.ROption) int64 {
	plain, nth := int64(0), int64(0)
	for _, d := range o.Byweekday {
		if d.N() == 0 {
			plain++
		} else {
			nth++
		}
	}
	months := size(o.Bymonth)
	if len(o.Bymonth) == 0 {
		months = 12
	}
	var d int64
	switch o.Freq {
	case rrule.YEARLY:
		d = 366
		if len(o.Bymonth) > 0 {
			d = min(d, 31*months)
		}
		if len(o.Bymonthday) > 0 {
			d = min(d, int64(len(o.Bymonthday))*months)
		}
		if len(o.Byweekday) > 0 {
			per := int64(1)
			if len(o.Bymonth) > 0 {
				per = months // an ordinal counts within each month
			}
			d = min(d, plain*53+nth*per)
		}
	case rrule.MONTHLY:
		d = 31
		if len(o.Bymonthday) > 0 {
			d = min(d, int64(len(o.Bymonthday)))
		}
		if len(o.Byweekday) > 0 {
			d = min(d, plain*5+nth)
		}
	case rrule.WEEKLY:
		d = 7
		if len(o.Byweekday) > 0 {
			d = min(d, plain+nth)
		}
	default:
		return 1
	}
	if len(o.Byweekno) > 0 {
		d = min(d, 7*int64(len(o.Byweekno)))
	}
	if len(o.Byyearday) > 0 {
		d = min(d, int64(len(o.Byyearday)))
	}
	if len(o.Byeaster) > 0 {
		d = min(d, int64(len(o.Byeaster)))
	}
	return max(d, 1)
}

// estimate is the work of a rule, from the rule alone: the candidates of
// one period are the days it keeps times the times of day (the product of
// BYHOUR, BYMINUTE and BYSECOND: rrule-go pins a missing one to DTSTART's),
// or the BYSETPOS picks; a year holds periods per year / INTERVAL of them
// (at least one whole period). An HOURLY, MINUTELY or SECONDLY rule steps
// through each of its periods, so it counts periods, times its candidates
// per period. An UNTIL within a year caps them at the periods up to it; a
// COUNT caps the candidates at COUNT and one more period,
// unless the rule may step without a match for long (days and times that
// filter each other).
func estimate(o *rrule.ROption) ruleCost {
	iv := int64(max(o.Interval, 1))
	periods := max(periodsPerYear[o.Freq]/iv, 1)
	var times int64
	switch o.Freq {
	case rrule.HOURLY:
		times = size(o.Byminute) * size(o.Bysecond)
	case rrule.MINUTELY:
		times = size(o.Bysecond)
	case rrule.SECONDLY:
		times = 1
	default:
		times = size(o.Byhour) * size(o.Byminute) * size(o.Bysecond)
	}
	per := daysPerPeriod(o) * times
	if len(o.Bysetpos) > 0 {
		per = min(per, int64(len(o.Bysetpos)))
	}
	c := ruleCost{perPeriod: per, perYear: periods * per}
	subDaily := o.Freq >= rrule.HOURLY
	if subDaily && hasDayFilter(o) && !hasTimeFilter(o) {
		// Every period of a day kept is a candidate; a day filtered out is
		// jumped over in a step or two.
		y := *o
		y.Freq = rrule.YEARLY
		perDay := max(periodsPerYear[o.Freq]/366/iv, 1)
		c.perYear = min(c.perYear, daysPerPeriod(&y)*perDay*per+2*366)
	}
	if !o.Until.IsZero() && o.Until.Before(o.Dtstart.AddDate(1, 0, 0)) {
		// An UNTIL within a year: the periods up to it, and one more.
		spanned := int64(0)
		if o.Until.After(o.Dtstart) {
			spanned = (o.Until.Unix()-o.Dtstart.Unix())/shortestPeriod[o.Freq]/iv + 2
		}
		c.perYear = min(c.perYear, spanned*per)
	}
	blindly := subDaily && hasDayFilter(o) && hasTimeFilter(o)
	if blindly {
		perDay := max(periodsPerYear[o.Freq]/366/iv, 1)
		c.blind = blindDays * perDay
	}
	if o.Count > 0 && !blindly {
		c.perYear = min(c.perYear, int64(o.Count)+per)
	}
	return c
}

// checkCost refuses a rule whose expansion would cost more than the
// limits allow, whatever the window: the limits are on the rule, so that
// the same rule gives the same answer on any machine and in any window.
func checkCost(text string, o *rrule.ROption) error {
	c := estimate(o)
	if c.perYear > maxYearCandidates || c.perPeriod > maxYearCandidates {
		return &CostError{Rule: text, Needs: max(c.perYear, c.perPeriod), Limit: maxYearCandidates, What: "candidates per year"}
	}
	if c.blind > maxBlindSteps {
		return &CostError{Rule: text, Needs: c.blind, Limit: maxBlindSteps, What: "periods without a match (its days and its times filter each other)"}
	}
	return nil
}

// checkSetCost refuses the rules of one series when, each within the
// limits, together they cost more than one rule may: every rule is
// expanded over the window in turn, building its periods' candidates, so
// their work and their memory add up (50 rules of half the limit each cost
// 6 s and 1.2 GB allocated per series before).
func checkSetCost(rules []*Rule) error {
	if len(rules) < 2 {
		return nil
	}
	var perYear, blind int64
	n := 0
	for _, r := range rules {
		if r.empty {
			continue
		}
		c := estimate(&r.opt)
		perYear += max(c.perYear, c.perPeriod)
		blind += c.blind
		n++
	}
	what := fmt.Sprintf("%d RRULEs together", n)
	if perYear > maxYearCandidates {
		return &CostError{Rule: what, Needs: perYear, Limit: maxYearCandidates, What: "candidates per year"}
	}
	if blind > maxBlindSteps {
		return &CostError{Rule: what, Needs: blind, Limit: maxBlindSteps, What: "periods without a match (their days and their times filter each other)"}
	}
	return nil
}

// hiddenPeriods estimates the periods rrule-go stepped through, between
// the candidates a and b (wall clocks, a before b), without building a
// candidate: the work iterate cannot see. Each counts as one unit of work,
// as a candidate does; the estimate depends on the rule and the two times
// only, so the same expansion costs the same everywhere.
func hiddenPeriods(o *rrule.ROption, a, b time.Time) int64 {
	if !b.After(a) {
		return 0
	}
	iv := int64(max(o.Interval, 1))
	secs := b.Unix() - a.Unix()
	days := civilDay(b) - civilDay(a)
	var n int64
	switch o.Freq {
	case rrule.YEARLY:
		n = int64(b.Year()-a.Year()) / iv
	case rrule.MONTHLY:
		n = (int64(b.Year()-a.Year())*12 + int64(b.Month()) - int64(a.Month())) / iv
	case rrule.WEEKLY:
		n = days / 7 / iv
	case rrule.DAILY:
		n = days / iv
	default:
		unit := map[rrule.Frequency]int64{rrule.HOURLY: 3600, rrule.MINUTELY: 60, rrule.SECONDLY: 1}[o.Freq]
		n = secs / unit / iv
		if !hasTimeFilter(o) && hasDayFilter(o) {
			// A day filtered out is jumped over in a step or two.
			n = min(n, 2*days+1)
		}
	}
	return max(n-1, 0)
}

// WorkDone is the work every Expand and SeriesEnd call has done so far,
// in units of ruleBudget: tests of other packages assert with it that
// work is bounded, by counting it.
func WorkDone() int64 { return ruleWork.Load() }
