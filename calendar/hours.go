package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WorkingHours are the hours a make-up may be suggested in: on Days, from
// Start to End after midnight, in the report's location (config
// report.working_hours).
type WorkingHours struct {
	Days       [7]bool // by time.Weekday
	Start, End time.Duration
}

// DefaultWorkingHours is 09:00–17:00 on weekdays.
func DefaultWorkingHours() WorkingHours {
	return WorkingHours{
		Days:  [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
		Start: 9 * time.Hour, End: 17 * time.Hour,
	}
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseWorkingHours reads "09:00-17:00" (weekdays) or a list of days or
// day ranges before the hours: "mon-fri 09:00-17:00",
// "mon,tue,thu 08:30-16:00", "sun-thu 08:00-16:00". Days are the first
// three letters of their English names, in any case.
func ParseWorkingHours(s string) (WorkingHours, error) {
	fields := strings.Fields(s)
	var w WorkingHours
	switch len(fields) {
	case 1:
		w = DefaultWorkingHours()
	case 2:
		for _, part := range strings.Split(strings.ToLower(fields[0]), ",") {
			from, to, isRange := strings.Cut(part, "-")
			a, b := slices.Index(dayNames, from), slices.Index(dayNames, to)
			if !isRange {
				b = a
			}
			if a < 0 || b < 0 {
				return WorkingHours{}, fmt.Errorf("%q: days are mon, tue, wed, thu, fri, sat, sun, as a list (mon,wed) or a range (mon-fri)", fields[0])
			}
			for d := a; ; d = (d + 1) % 7 {
				w.Days[d] = true
				if d == b {
					break
				}
			}
		}
	default:
		return WorkingHours{}, errors.New(`want hours ("09:00-17:00"), or days and hours ("mon-fri 09:00-17:00")`)
	}
	hours := fields[len(fields)-1]
	from, to, ok := strings.Cut(hours, "-")
	if !ok {
		return WorkingHours{}, fmt.Errorf("%q: want HH:MM-HH:MM", hours)
	}
	var err error
	if w.Start, err = clock(from); err == nil {
		w.End, err = clock(to)
	}
	if err != nil {
		return WorkingHours{}, fmt.Errorf("%q: %w", hours, err)
	}
	if w.End <= w.Start {
		return WorkingHours{}, fmt.Errorf("%q: the end must come after the start", hours)
	}
	return w, nil
}

// clock reads "HH:MM", 00:00 to 24:00.
func clock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(m) != 2 || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// String is the form ParseWorkingHours reads.
func (w WorkingHours) String() string {
	var days []string
	for d := time.Monday; ; d = (d + 1) % 7 {
		if w.Days[d] {
			days = append(days, dayNames[d])
		}
		if d == time.Sunday {
			break
		}
	}
	hm := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return strings.Join(days, ",") + " " + hm(w.Start) + "-" + hm(w.End)
}
