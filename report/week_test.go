package report

import (
	"strings"
	"testing"
	"time"
)

func TestParseWeek(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Week
		wantErr string
	}{
		{name: "upper case", in: "2026-W47", want: Week{2026, 47}},
		{name: "lower case", in: "2026-w47", want: Week{2026, 47}},
		{name: "first week", in: "2027-W01", want: Week{2027, 1}},
		{name: "53rd week of a long year", in: "2026-W53", want: Week{2026, 53}},
		{name: "53rd week of a short year", in: "2025-W53", wantErr: "2025 has weeks 01 to 52"},
		{name: "week zero", in: "2026-W00", wantErr: "2026 has weeks 01 to 53"},
		{name: "one digit week", in: "2026-W7", wantErr: "want YYYY-Www"},
		{name: "no W", in: "2026-47", wantErr: "want YYYY-Www"},
		{name: "date", in: "2026-11-17", wantErr: "want YYYY-Www"},
		{name: "with day", in: "2026-W47-2", wantErr: "want YYYY-Www"},
		{name: "signed week", in: "2026-W+7", wantErr: "want YYYY-Www"},
		{name: "empty", in: "", wantErr: "want YYYY-Www"},
		{name: "garbage", in: "last week", wantErr: "want YYYY-Www"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWeek(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.in) {
					t.Fatalf("ParseWeek(%q) = %v, %v; want an error naming the input and %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseWeek(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if s := got.String(); !strings.EqualFold(s, tt.in) {
				t.Errorf("String() = %q, want %q", s, strings.ToUpper(tt.in))
			}
		})
	}
}

func TestWeekRange(t *testing.T) {
	tests := []struct {
		name     string
		week     Week
		loc      *time.Location
		from, to string // RFC 3339
	}{
		{name: "design example", week: Week{2026, 47}, loc: berlin, from: "2026-11-16T00:00:00+01:00", to: "2026-11-23T00:00:00+01:00"},
		{name: "2026 has 53 weeks", week: Week{2026, 53}, loc: berlin, from: "2026-12-28T00:00:00+01:00", to: "2027-01-04T00:00:00+01:00"},
		{name: "2027-W01 follows 2026-W53", week: Week{2027, 1}, loc: berlin, from: "2027-01-04T00:00:00+01:00", to: "2027-01-11T00:00:00+01:00"},
		{name: "week 1 starting in the year before", week: Week{2026, 1}, loc: berlin, from: "2025-12-29T00:00:00+01:00", to: "2026-01-05T00:00:00+01:00"},
		{name: "spring forward inside", week: Week{2026, 13}, loc: berlin, from: "2026-03-23T00:00:00+01:00", to: "2026-03-30T00:00:00+02:00"},
		{name: "fall back inside", week: Week{2026, 43}, loc: berlin, from: "2026-10-19T00:00:00+02:00", to: "2026-10-26T00:00:00+01:00"},
		{name: "nil location is UTC", week: Week{2026, 47}, loc: nil, from: "2026-11-16T00:00:00Z", to: "2026-11-23T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := tt.week.Range(tt.loc)
			if got := from.Format(time.RFC3339); got != tt.from {
				t.Errorf("from = %s, want %s", got, tt.from)
			}
			if got := to.Format(time.RFC3339); got != tt.to {
				t.Errorf("to = %s, want %s", got, tt.to)
			}
			if got := WeekOf(from, tt.loc); got != tt.week {
				t.Errorf("WeekOf(from) = %v, want %v", got, tt.week)
			}
			if got := WeekOf(to.Add(-time.Nanosecond), tt.loc); got != tt.week {
				t.Errorf("WeekOf(to-1ns) = %v, want %v", got, tt.week)
			}
			if got := WeekOf(to, tt.loc); got != tt.week.Add(1) {
				t.Errorf("WeekOf(to) = %v, want %v", got, tt.week.Add(1))
			}
		})
	}
}

func TestWeekOfUsesLocation(t *testing.T) {
	// Monday 2026-11-16 00:30 in Berlin is still Sunday in UTC.
	ts := at("2026-11-16 00:30")
	if got := WeekOf(ts, berlin); got != (Week{2026, 47}) {
		t.Errorf("WeekOf in Berlin = %v, want 2026-W47", got)
	}
	if got := WeekOf(ts, time.UTC); got != (Week{2026, 46}) {
		t.Errorf("WeekOf in UTC = %v, want 2026-W46", got)
	}
}

func TestLastFullWeek(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		want Week
	}{
		{name: "Monday 00:30 Berlin", now: at("2026-11-23 00:30"), want: Week{2026, 47}},
		{name: "Sunday 23:30 Berlin", now: at("2026-11-22 23:30"), want: Week{2026, 46}},
		{name: "Monday of 2027-W01", now: at("2027-01-04 00:30"), want: Week{2026, 53}},
		{name: "Sunday of 2027-W01", now: at("2027-01-10 23:30"), want: Week{2026, 53}},
		{name: "Monday of 2027-W02", now: at("2027-01-11 00:30"), want: Week{2027, 1}},
		{name: "Monday of 2026-W01", now: at("2025-12-29 09:00"), want: Week{2025, 52}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LastFullWeek(tt.now, berlin); got != tt.want {
				t.Errorf("LastFullWeek(%s) = %v, want %v", tt.now.Format(time.RFC3339), got, tt.want)
			}
		})
	}
}

func TestWeekAdd(t *testing.T) {
	tests := []struct {
		name string
		week Week
		n    int
		want Week
	}{
		{name: "zero", week: Week{2026, 47}, n: 0, want: Week{2026, 47}},
		{name: "into week 53", week: Week{2026, 52}, n: 1, want: Week{2026, 53}},
		{name: "out of week 53", week: Week{2026, 53}, n: 1, want: Week{2027, 1}},
		{name: "back over week 53", week: Week{2027, 1}, n: -1, want: Week{2026, 53}},
		{name: "back over a 52-week year", week: Week{2026, 1}, n: -1, want: Week{2025, 52}},
		{name: "trailing window start", week: Week{2026, 47}, n: -11, want: Week{2026, 36}},
		{name: "a year", week: Week{2026, 10}, n: 53, want: Week{2027, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.week.Add(tt.n); got != tt.want {
				t.Errorf("%v.Add(%d) = %v, want %v", tt.week, tt.n, got, tt.want)
			}
		})
	}
}

func TestWeekText(t *testing.T) {
	var w Week
	if err := w.UnmarshalText([]byte("2026-w05")); err != nil || w != (Week{2026, 5}) {
		t.Fatalf("UnmarshalText = %v, %v", w, err)
	}
	b, _ := w.MarshalText()
	if string(b) != "2026-W05" {
		t.Errorf("MarshalText = %s, want 2026-W05", b)
	}
	if err := w.UnmarshalText([]byte("2026-W60")); err == nil {
		t.Error("UnmarshalText(2026-W60) succeeded")
	}
}
