package recur

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Kind is what kind of value DTSTART is; it decides how UNTIL is read.
type Kind int

const (
	KindZoned    Kind = iota // DATE-TIME with TZID
	KindUTC                  // DATE-TIME in UTC
	KindFloating             // DATE-TIME without zone
	KindDate                 // DATE
)

// Rule is one RRULE (RFC 5545 §3.3.10) read against its DTSTART, in
// wall-clock time: Dtstart and Until are local times stored as UTC.
type Rule struct {
	text        string // normalized RRULE value
	opt         rrule.ROption
	empty       bool // generates nothing (UNTIL before DTSTART, COUNT used up)
	beforeStart bool // UNTIL lies before DTSTART
}

// ruleParts are the RRULE parts handed to rrule-go as they are.
var ruleParts = map[string]bool{
	"FREQ": true, "INTERVAL": true, "COUNT": true, "WKST": true, "BYSETPOS": true,
	"BYMONTH": true, "BYMONTHDAY": true, "BYYEARDAY": true, "BYWEEKNO": true,
	"BYDAY": true, "BYHOUR": true, "BYMINUTE": true, "BYSECOND": true, "BYEASTER": true,
}

// ParseRule reads an RRULE value against DTSTART (its wall clock and kind).
// toWall converts a UTC UNTIL to DTSTART's wall clock. It tolerates what
// real producers write (spaces in lists, a trailing ';', a floating UNTIL
// with a zoned DTSTART, a DATE UNTIL with a DATE-TIME DTSTART) and says so
// in warnings; err means the rule cannot be used. Like dateutil it rejects a
// BYHOUR/BYMINUTE/BYSECOND that the INTERVAL can never reach.
func ParseRule(value string, dtstart time.Time, kind Kind, toWall func(time.Time) time.Time) (spec *Rule, warnings []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			spec, err = nil, fmt.Errorf("invalid rule: %v", r)
		}
	}()
	v := strings.TrimSpace(value)
	if len(v) >= 6 && strings.EqualFold(v[:6], "RRULE:") {
		v = v[6:]
	}
	var (
		keep      []string
		untilText string
		seen      = make(map[string]bool)
		hasFreq   bool
	)
	for _, part := range strings.Split(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		// A part that is not NAME=VALUE, or names no RFC 5545 part, is left
		// out and named (RRULE:RRULE:AnythingRandom;FREQ=WEEKLY: the rest is
		// the rule its producer meant). A doubled "RRULE:" is stripped first.
		for len(part) >= 6 && strings.EqualFold(part[:6], "RRULE:") {
			part = strings.TrimSpace(part[6:])
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			if part != "" {
				warnings = append(warnings, fmt.Sprintf("invalid part %q ignored", part))
			}
			continue
		}
		k = strings.ToUpper(strings.TrimSpace(k))
		val = strings.ToUpper(strings.Join(strings.Fields(val), ""))
		if k == "BYWEEKDAY" {
			warnings = append(warnings, "BYWEEKDAY is not RFC 5545: read as BYDAY")
			k = "BYDAY"
		}
		if seen[k] {
			return nil, nil, fmt.Errorf("%s given twice", k)
		}
		seen[k] = true
		if val == "" {
			return nil, nil, fmt.Errorf("%s has no value", k)
		}
		switch {
		case k == "FREQ":
			if _, err := rrule.StrToFreq(val); err != nil {
				return nil, nil, fmt.Errorf("invalid FREQ %q", val)
			}
			hasFreq = true
			keep = append(keep, k+"="+val)
		case k == "UNTIL":
			untilText = val
		case k == "RSCALE":
			if val != "GREGORIAN" {
				return nil, nil, fmt.Errorf("unsupported RSCALE %q", val)
			}
		case k == "SKIP":
			if val != "OMIT" {
				warnings = append(warnings, fmt.Sprintf("SKIP=%s ignored", val))
			}
		case ruleParts[k]:
			keep = append(keep, k+"="+val)
		case strings.HasPrefix(k, "X-"):
			warnings = append(warnings, fmt.Sprintf("%s ignored", k))
		default:
			warnings = append(warnings, fmt.Sprintf("unknown part %q ignored", k))
		}
	}
	if !hasFreq {
		return nil, nil, errors.New("missing FREQ")
	}
	opt, err := rrule.StrToROption(strings.Join(keep, ";"))
	if err != nil {
		for _, p := range keep {
			if _, perr := rrule.StrToROption("FREQ=DAILY;" + p); perr != nil && !strings.HasPrefix(p, "FREQ=") {
				return nil, nil, fmt.Errorf("invalid %s", p)
			}
		}
		return nil, nil, fmt.Errorf("invalid rule: %v", err)
	}
	if seen["COUNT"] && opt.Count <= 0 {
		return nil, nil, fmt.Errorf("invalid COUNT %d", opt.Count)
	}
	if seen["INTERVAL"] && opt.Interval == 0 {
		warnings = append(warnings, "INTERVAL=0 read as 1")
	}
	if opt.Interval > maxInterval {
		return nil, nil, fmt.Errorf("INTERVAL %d too large", opt.Interval)
	}
	// RFC 5545 §3.3.10: in a MONTHLY rule, or a YEARLY one with BYMONTH, a
	// BYDAY ordinal counts within the month. rrule-go panics beyond that.
	if opt.Freq == rrule.MONTHLY || opt.Freq == rrule.YEARLY && len(opt.Bymonth) > 0 {
		for _, d := range opt.Byweekday {
			if n := d.N(); n > 5 || n < -5 {
				return nil, nil, fmt.Errorf("BYDAY=%s out of range within a month", d)
			}
		}
	}
	for _, n := range opt.Byeaster {
		if n < -366 || n > 366 {
			return nil, nil, fmt.Errorf("invalid BYEASTER %d", n)
		}
	}
	if kind == KindDate && (len(opt.Byhour) > 0 || len(opt.Byminute) > 0 || len(opt.Bysecond) > 0) {
		// RFC 5545 §3.3.10: these MUST be ignored for a DATE DTSTART.
		warnings = append(warnings, "BYHOUR, BYMINUTE and BYSECOND ignored with a DATE DTSTART")
		opt.Byhour, opt.Byminute, opt.Bysecond = nil, nil, nil
	}
	// Repeated values would make rrule-go emit an instance twice.
	for _, l := range []*[]int{&opt.Bysetpos, &opt.Bymonth, &opt.Bymonthday, &opt.Byyearday, &opt.Byweekno, &opt.Byhour, &opt.Byminute, &opt.Bysecond, &opt.Byeaster} {
		*l = uniqueInts(*l)
	}
	opt.Dtstart = dtstart
	if untilText == "" && reachable(opt) == nil {
		// Before rrule-go builds the rule's times of day (up to 86,400);
		// an unreachable rule is refused as such below.
		if err := checkCost(strings.Join(keep, ";"), opt); err != nil {
			return nil, nil, err
		}
	}
	if _, err := rrule.NewRRule(*opt); err != nil {
		return nil, nil, err
	}
	if err := reachable(opt); err != nil {
		return nil, nil, err
	}
	spec = &Rule{opt: *opt}
	if untilText != "" {
		w, utc, date, err := ParseWall(untilText, "")
		if err != nil {
			return nil, nil, fmt.Errorf("invalid UNTIL %q", untilText)
		}
		zoned := kind == KindZoned || kind == KindUTC
		switch {
		case utc:
			if toWall != nil {
				w = toWall(w)
			}
		case date && kind != KindDate:
			// Read as midnight starting that day, as python-dateutil does.
			if zoned {
				warnings = append(warnings, "UNTIL must be UTC when DTSTART has a time zone (RFC 5545 §3.3.10); read as midnight in DTSTART's zone")
			} else {
				warnings = append(warnings, "UNTIL is a DATE but DTSTART a DATE-TIME; read as midnight")
			}
		case !date && zoned:
			warnings = append(warnings, "UNTIL must be UTC when DTSTART has a time zone (RFC 5545 §3.3.10); read in DTSTART's zone")
		}
		spec.opt.Until = w
		if w.Before(dtstart) {
			spec.empty, spec.beforeStart = true, true
		}
	}
	spec.text = strings.Join(keep, ";")
	if untilText != "" {
		spec.text += ";UNTIL=" + untilText
		if err := checkCost(spec.text, &spec.opt); err != nil {
			return nil, nil, err
		}
	}
	return spec, warnings, nil
}

// reachable rejects an HOURLY, MINUTELY or SECONDLY rule whose INTERVAL can
// never land on its BYHOUR/BYMINUTE/BYSECOND values (rrule-go would loop
// forever; dateutil raises "empty set").
func reachable(o *rrule.ROption) error {
	iv := max(o.Interval, 1)
	ds := o.Dtstart
	var period, step, at int
	switch o.Freq {
	case rrule.HOURLY:
		period, step, at = 24, iv, ds.Hour()
	case rrule.MINUTELY:
		period, step, at = 1440, iv, ds.Hour()*60+ds.Minute()
	case rrule.SECONDLY:
		period, step, at = 86400, iv, ds.Hour()*3600+ds.Minute()*60+ds.Second()
	default:
		return nil
	}
	g := gcd(step, period)
	all := func(vals []int, n int) []int {
		if len(vals) == 0 {
			return seq(n)
		}
		return vals
	}
	hours, minutes, seconds := all(o.Byhour, 24), []int{0}, []int{0}
	if o.Freq != rrule.HOURLY {
		minutes = all(o.Byminute, 60)
	}
	if o.Freq == rrule.SECONDLY {
		seconds = all(o.Bysecond, 60)
	}
	for _, h := range hours {
		for _, mi := range minutes {
			for _, s := range seconds {
				pos := h
				switch o.Freq {
				case rrule.MINUTELY:
					pos = h*60 + mi
				case rrule.SECONDLY:
					pos = h*3600 + mi*60 + s
				}
				if ((pos-at)%g+g)%g == 0 {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("INTERVAL=%d never reaches BYHOUR/BYMINUTE/BYSECOND", iv)
}

func uniqueInts(l []int) []int {
	if len(l) < 2 {
		return l
	}
	out := l[:0:0]
	seen := make(map[int]bool, len(l))
	for _, v := range l {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// first returns the first wall time the rule generates.
func (r *Rule) first(b *budget) (time.Time, bool) {
	var out time.Time
	_ = r.iterate(r.opt.Dtstart, r.opt.Dtstart, b, func(w time.Time) bool {
		out = w
		return false
	})
	return out, !out.IsZero()
}

// last returns the last wall time a bounded rule generates; when the budget
// runs out first, the last one found (a lower bound).
func (r *Rule) last(b *budget) (time.Time, bool) {
	if r.empty {
		return time.Time{}, false
	}
	if r.opt.Count > 0 {
		var out time.Time
		end := r.opt.Dtstart.AddDate(1000, 0, 0)
		if !r.opt.Until.IsZero() && r.opt.Until.Before(end) {
			end = r.opt.Until
		}
		_ = r.iterate(r.opt.Dtstart, end, b, func(w time.Time) bool {
			out = w
			return true
		})
		return out, !out.IsZero()
	}
	// UNTIL only: search backwards from UNTIL in growing windows, so that
	// a long series costs no more than its last stretch.
	until := r.opt.Until
	win := searchWindow(r.opt.Freq, max(r.opt.Interval, 1))
	for {
		from := r.opt.Dtstart
		if win < maxSearch {
			if f := until.Add(-win); f.After(from) {
				from = f
			}
		}
		var out time.Time
		err := r.iterate(from, until, b, func(w time.Time) bool {
			out = w
			return true
		})
		if !out.IsZero() {
			return out, true
		}
		if err != nil || !from.After(r.opt.Dtstart) {
			return time.Time{}, false
		}
		win *= 2
	}
}

// maxSearch is the widest backward window last tries before scanning the
// whole series; time.Duration reaches about 292 years.
const maxSearch = 200 * 366 * 24 * time.Hour

func searchWindow(f rrule.Frequency, iv int) time.Duration {
	unit := map[rrule.Frequency]time.Duration{
		rrule.SECONDLY: 10 * time.Second,
		rrule.MINUTELY: 10 * time.Minute,
		rrule.HOURLY:   10 * time.Hour,
		rrule.DAILY:    10 * 24 * time.Hour,
		rrule.WEEKLY:   10 * 7 * 24 * time.Hour,
		rrule.MONTHLY:  10 * 31 * 24 * time.Hour,
		rrule.YEARLY:   10 * 366 * 24 * time.Hour,
	}[f]
	return unit * time.Duration(min(iv, 1000))
}

// iterate calls fn with each wall time the rule generates in [from, to], in
// order, until fn returns false. The work is bounded three ways: a rule
// without COUNT starts near from instead of at DTSTART; every date is moved
// forward by a multiple of 400 years (the Gregorian cycle keeps weekdays
// and leap years) so that rrule-go's stop at year 9999 falls at most 400
// years after to, even for a rule that never matches; and when the budget
// (counted work, see ruleBudget) runs out it gives up with ErrBudget.
func (r *Rule) iterate(from, to time.Time, b *budget, fn func(time.Time) bool) (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			err = fmt.Errorf("rule engine: %v", rec)
		}
	}()
	if r.empty {
		return nil
	}
	opt := r.opt
	if opt.Count == 0 {
		fastForward(&opt, from)
	}
	if !opt.Until.IsZero() && opt.Until.Before(to) {
		to = opt.Until
	}
	maxWall := time.Date(9998, 12, 31, 23, 59, 59, 0, time.UTC)
	if to.After(maxWall) {
		to = maxWall
	}
	if opt.Dtstart.After(to) || to.Before(from) {
		return nil
	}
	opt.Until = to
	shift := 0
	if len(opt.Byeaster) == 0 {
		shift = 400 * ((9998 - to.Year()) / 400)
		if shift < 0 {
			shift = 0
		}
	}
	opt.Dtstart = opt.Dtstart.AddDate(shift, 0, 0)
	opt.Until = opt.Until.AddDate(shift, 0, 0)
	rule, err := rrule.NewRRule(opt)
	if err != nil {
		return err
	}
	next := rule.Iterator()
	prev, n := opt.Dtstart, 0
	for {
		t, ok := next()
		if !ok {
			if opt.Count > 0 && n >= opt.Count {
				return nil // COUNT reached
			}
			// rrule-go stepped at least up to UNTIL without a candidate.
			return b.charge(hiddenPeriods(&opt, prev, opt.Until))
		}
		n++
		if err := b.spend(hiddenPeriods(&opt, prev, t)); err != nil {
			return err
		}
		prev = t
		t = t.AddDate(-shift, 0, 0)
		if t.Before(from) {
			continue
		}
		if t.After(to) || !fn(t) {
			return nil
		}
	}
}

var pyWeekdays = [...]rrule.Weekday{rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU}

// pyWeekday numbers weekdays the way rrule-go does: Monday is 0.
func pyWeekday(d time.Weekday) int { return (int(d) + 6) % 7 }

// civilDay numbers the calendar date of t (in t's own zone) in days.
func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	s := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
	if s < 0 {
		return (s - 86399) / 86400
	}
	return s / 86400
}

func floorMod(a, b int64) int64 { return ((a % b) + b) % b }

func dayWall(day int64) time.Time { return time.Unix(day*86400, 0).UTC() }

// fastForward moves the DTSTART of a rule without COUNT to the start of the
// last whole period (of FREQ, INTERVAL-aligned) well before target, pinning
// the parts that rrule-go would otherwise derive from DTSTART. The instances
// from the new start on are unchanged.
func fastForward(o *rrule.ROption, target time.Time) {
	ds := o.Dtstart
	if !target.After(ds) {
		return
	}
	if len(o.Byweekno) == 0 && len(o.Byyearday) == 0 && len(o.Bymonthday) == 0 && len(o.Byweekday) == 0 && len(o.Byeaster) == 0 {
		switch o.Freq {
		case rrule.YEARLY:
			if len(o.Bymonth) == 0 {
				o.Bymonth = []int{int(ds.Month())}
			}
			o.Bymonthday = []int{ds.Day()}
		case rrule.MONTHLY:
			o.Bymonthday = []int{ds.Day()}
		case rrule.WEEKLY:
			o.Byweekday = []rrule.Weekday{pyWeekdays[pyWeekday(ds.Weekday())]}
		}
	}
	if len(o.Byhour) == 0 && o.Freq < rrule.HOURLY {
		o.Byhour = []int{ds.Hour()}
	}
	if len(o.Byminute) == 0 && o.Freq < rrule.MINUTELY {
		o.Byminute = []int{ds.Minute()}
	}
	if len(o.Bysecond) == 0 && o.Freq < rrule.SECONDLY {
		o.Bysecond = []int{ds.Second()}
	}
	iv := int64(max(o.Interval, 1))
	switch o.Freq {
	case rrule.YEARLY:
		if n := int64(target.Year()-ds.Year()-1) / iv; n > 0 {
			o.Dtstart = time.Date(ds.Year()+int(n*iv), 1, 1, 0, 0, 0, 0, time.UTC)
		}
	case rrule.MONTHLY:
		months := int64(target.Year()-ds.Year())*12 + int64(target.Month()) - int64(ds.Month()) - 1
		if n := months / iv; n > 0 {
			o.Dtstart = time.Date(ds.Year(), ds.Month()+time.Month(n*iv), 1, 0, 0, 0, 0, time.UTC)
		}
	case rrule.WEEKLY:
		wkst := o.Wkst.Day()
		weekStart := civilDay(ds) - int64((pyWeekday(ds.Weekday())-wkst+7)%7)
		if n := (civilDay(target) - weekStart - 7) / (7 * iv); n > 0 {
			o.Dtstart = dayWall(weekStart + n*7*iv)
		}
	case rrule.DAILY:
		if n := (civilDay(target) - civilDay(ds) - 1) / iv; n > 0 {
			o.Dtstart = dayWall(civilDay(ds) + n*iv)
		}
	case rrule.HOURLY, rrule.MINUTELY, rrule.SECONDLY:
		// Wall clocks are UTC times, so Unix seconds count wall seconds;
		// time.Duration would overflow after 292 years.
		unit := map[rrule.Frequency]int64{rrule.HOURLY: 3600, rrule.MINUTELY: 60, rrule.SECONDLY: 1}[o.Freq]
		base := ds.Unix() - floorMod(ds.Unix(), unit)
		if n := ((target.Unix()-base)/unit - 1) / iv; n > 0 {
			o.Dtstart = time.Unix(base+n*iv*unit, 0).UTC()
		}
	}
}

// ParseWall reads a DATE (YYYYMMDD) or DATE-TIME (YYYYMMDDTHHMMSS[Z]) value
// (RFC 5545 §3.3.4, §3.3.5) as a wall clock in UTC. valueType "DATE" takes
// the date of a DATE-TIME.
func ParseWall(s, valueType string) (w time.Time, utc, date bool, err error) {
	s = strings.TrimSpace(s)
	bad := func() (time.Time, bool, bool, error) {
		return time.Time{}, false, false, fmt.Errorf("invalid value %q", s)
	}
	digits := func(t string) bool {
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return false
			}
		}
		return true
	}
	var hh, mm, ss int
	switch {
	case len(s) == 8:
		date = true
	case len(s) == 9 && (s[8] == 'Z' || s[8] == 'z'):
		// Google has written RDATE:20131210Z for a DATE.
		s, date = s[:8], true
	case len(s) == 15 || len(s) == 16:
		if s[8] != 'T' && s[8] != 't' {
			return bad()
		}
		if len(s) == 16 {
			if s[15] != 'Z' && s[15] != 'z' {
				return bad()
			}
			utc = true
		}
		if !digits(s[9:15]) {
			return bad()
		}
		hh, _ = strconv.Atoi(s[9:11])
		mm, _ = strconv.Atoi(s[11:13])
		ss, _ = strconv.Atoi(s[13:15])
		if hh > 23 || mm > 59 || ss > 60 {
			return bad()
		}
		if ss == 60 {
			ss = 59 // a leap second
		}
	default:
		return bad()
	}
	if !digits(s[:8]) {
		return bad()
	}
	y, _ := strconv.Atoi(s[:4])
	mo, _ := strconv.Atoi(s[4:6])
	d, _ := strconv.Atoi(s[6:8])
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) {
		return bad()
	}
	if strings.EqualFold(valueType, "DATE") {
		date, utc, hh, mm, ss = true, false, 0, 0, 0
	}
	return time.Date(y, time.Month(mo), d, hh, mm, ss, 0, time.UTC), utc, date, nil
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Text is the rule as it is kept in calendar.Recurrence.RRules: the
// normalized RRULE value, without the "RRULE:" prefix.
func (r *Rule) Text() string { return r.text }

// Walk calls fn with each instance of the rule in [from, to), in wall-clock
// time, until fn returns false. It gives up with ErrBudget after
// maxInstances units of work (instances, and periods stepped through
// without one: see ruleBudget). The bound is a count, not a time, so that
// the result does not depend on the machine's load.
func (r *Rule) Walk(from, to time.Time, maxInstances int, fn func(time.Time) bool) error {
	return r.iterate(from, to, newBudget(maxInstances), fn)
}
