package recur

import "time"

// Wall returns the wall clock of t as a time in UTC: the space in which
// recurrence rules are expanded (RFC 5545 §3.3.10 works on local time).
func Wall(t time.Time) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
}

// InZone places the wall clock w (a time in UTC) in loc as RFC 5545 §3.3.5
// asks: a time that occurs twice means the first occurrence, and a time in a
// gap is read with the offset from before the gap.
func InZone(w time.Time, loc *time.Location) time.Time {
	y, m, d := w.Date()
	hh, mm, ss := w.Clock()
	t := time.Date(y, m, d, hh, mm, ss, 0, loc)
	if loc == time.UTC {
		return t
	}
	_, off := t.Zone()
	_, offA := t.Add(-26 * time.Hour).Zone()
	_, offB := t.Add(26 * time.Hour).Zone()
	if offA == off && offB == off {
		return t
	}
	ws := w.Unix()
	var best time.Time
	for _, o := range [...]int{offA, off, offB} {
		c := time.Unix(ws-int64(o), 0).In(loc)
		if _, co := c.Zone(); co == o && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	if !best.IsZero() {
		return best
	}
	return time.Unix(ws-int64(min(offA, off, offB)), 0).In(loc)
}
