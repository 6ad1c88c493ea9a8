package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Week is an ISO 8601 week: weeks start on Monday, and week 1 of a year is
// the week that holds its first Thursday (so some years have 53 weeks).
type Week struct{ Year, Week int }

// ParseWeek parses an ISO 8601 week date without a day, "2026-W47" (the "W"
// may be lower case). The week must exist in that year: 2026-W53 does,
// 2025-W53 does not.
func ParseWeek(s string) (Week, error) {
	bad := func(why string) (Week, error) {
		return Week{}, fmt.Errorf("parse week %q: %s", s, why)
	}
	y, w, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok || len(y) != 4 || len(w) != 3 || (w[0] != 'W' && w[0] != 'w') {
		return bad("want YYYY-Www, e.g. 2026-W47")
	}
	year, err := strconv.Atoi(y)
	if err != nil || !digits(y) || year < 1 {
		return bad("want YYYY-Www, e.g. 2026-W47")
	}
	week, err := strconv.Atoi(w[1:])
	if err != nil || !digits(w[1:]) {
		return bad("want YYYY-Www, e.g. 2026-W47")
	}
	if n := WeeksIn(year); week < 1 || week > n {
		return bad(fmt.Sprintf("%d has weeks 01 to %d", year, n))
	}
	return Week{Year: year, Week: week}, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// WeeksIn returns the number of ISO weeks in year: 52 or 53.
func WeeksIn(year int) int {
	// 28 December is always in the last week of its ISO year.
	_, w := time.Date(year, time.December, 28, 12, 0, 0, 0, time.UTC).ISOWeek()
	return w
}

// String returns the week as "2026-W47".
func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Week) }

// IsZero reports whether w is the zero Week.
func (w Week) IsZero() bool { return w == Week{} }

// MarshalText encodes the week as "2026-W47".
func (w Week) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText decodes a week written by MarshalText.
func (w *Week) UnmarshalText(b []byte) error {
	v, err := ParseWeek(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// monday returns the Monday of w as a civil date (year, month, day), using
// UTC only as a calendar.
func (w Week) monday() (int, time.Month, int) {
	// 4 January is always in week 1.
	jan4 := time.Date(w.Year, time.January, 4, 0, 0, 0, 0, time.UTC)
	offset := (int(jan4.Weekday()) + 6) % 7 // days since Monday
	m := jan4.AddDate(0, 0, -offset+7*(w.Week-1))
	return m.Date()
}

// Range returns the start of the week's Monday and of the next Monday, both
// at 00:00 in loc (UTC when loc is nil). The week is [from, to); with a
// daylight saving change inside, it is not exactly 168 hours long.
func (w Week) Range(loc *time.Location) (from, to time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := w.monday()
	return time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+7, 0, 0, 0, 0, loc)
}

// WeekOf returns the ISO week that holds t, as seen in loc (UTC when nil).
func WeekOf(t time.Time, loc *time.Location) Week {
	if loc == nil {
		loc = time.UTC
	}
	y, w := t.In(loc).ISOWeek()
	return Week{Year: y, Week: w}
}

// LastFullWeek returns the ISO week before the one that holds now in loc:
// the default week of the report.
func LastFullWeek(now time.Time, loc *time.Location) Week {
	return WeekOf(now, loc).Add(-1)
}

// Add returns the week n weeks after w (before, when n is negative).
func (w Week) Add(n int) Week {
	y, m, d := w.monday()
	return WeekOf(time.Date(y, m, d+7*n, 12, 0, 0, 0, time.UTC), time.UTC)
}
