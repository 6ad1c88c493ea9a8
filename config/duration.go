package config

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Duration is a time.Duration written in TOML as a string: Go's units
// ("ns", "us", "ms", "s", "m", "h") plus "d" (24h) and "w" (7d), as in
// "5m", "1h30m", "14d" or "2w".
type Duration struct{ time.Duration }

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler; ParseDuration reads back
// exactly what it writes.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(FormatDuration(d.Duration)), nil
}

// String returns the duration as FormatDuration writes it.
func (d Duration) String() string { return FormatDuration(d.Duration) }

// ParseDuration parses a duration like time.ParseDuration, with the extra
// units "d" (24h) and "w" (7×24h): "14d", "2w", "1d12h", "1h30m", "90s".
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	if s == "" {
		return 0, errors.New("invalid duration \"\": empty")
	}
	sign := ""
	if s[0] == '-' || s[0] == '+' {
		sign, s = s[:1], s[1:]
	}
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fmt.Errorf("invalid duration %q", orig)
	}
	var (
		days time.Duration   // the "d" and "w" segments, unsigned
		rest strings.Builder // every other segment, for time.ParseDuration
	)
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		num := s[:i]
		if num == "" || num == "." || strings.Count(num, ".") > 1 {
			return 0, fmt.Errorf("invalid duration %q: expected a number at %q", orig, s)
		}
		j := i
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		unit := s[i:j]
		s = s[j:]
		var per time.Duration
		switch unit {
		case "":
			return 0, fmt.Errorf("invalid duration %q: missing unit after %s (use ns, us, ms, s, m, h, d, w)", orig, num)
		case "d":
			per = 24
		case "w":
			per = 7 * 24
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
			rest.WriteString(num + unit)
			continue
		default:
			return 0, fmt.Errorf("invalid duration %q: unknown unit %q (use ns, us, ms, s, m, h, d, w)", orig, unit)
		}
		h, err := time.ParseDuration(num + "h")
		if err != nil || h > math.MaxInt64/per {
			return 0, fmt.Errorf("invalid duration %q: out of range", orig)
		}
		h *= per
		if days > math.MaxInt64-h {
			return 0, fmt.Errorf("invalid duration %q: out of range", orig)
		}
		days += h
	}
	var r time.Duration
	if rest.Len() > 0 {
		var err error
		r, err = time.ParseDuration(sign + rest.String())
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: out of range", orig)
		}
	}
	if sign == "-" {
		if r < math.MinInt64+days {
			return 0, fmt.Errorf("invalid duration %q: out of range", orig)
		}
		return r - days, nil
	}
	if r > math.MaxInt64-days {
		return 0, fmt.Errorf("invalid duration %q: out of range", orig)
	}
	return r + days, nil
}

// FormatDuration writes d with whole days as "d" and the rest as Go does,
// without trailing zero units: "14d", "5m", "1h30m", "1d12h", "0s".
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	sign := ""
	days, rest := d/day, d%day
	if d < 0 {
		sign, days, rest = "-", -days, -rest // never overflows: |days| < MaxInt64/day, |rest| < day
	}
	var b strings.Builder
	b.WriteString(sign)
	if days != 0 {
		fmt.Fprintf(&b, "%dd", int64(days))
	}
	if rest != 0 {
		r := rest.String()
		if strings.HasSuffix(r, "m0s") {
			r = strings.TrimSuffix(r, "0s")
		}
		if strings.HasSuffix(r, "h0m") {
			r = strings.TrimSuffix(r, "0m")
		}
		b.WriteString(r)
	}
	return b.String()
}
