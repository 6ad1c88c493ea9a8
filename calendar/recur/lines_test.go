package recur_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/ical"
	"oneonone/calendar/recur"
)

// lineStart is a master's start as ReadLines takes it, with the DTSTART
// line that says the same to ical.Parse.
type lineStart struct {
	name    string
	start   time.Time
	kind    recur.Kind
	dtstart string
}

func lineStarts(t testing.TB) []lineStart {
	t.Helper()
	chicago, berlin := lineZone(t, "America/Chicago"), lineZone(t, "Europe/Berlin")
	return []lineStart{
		{"zoned", time.Date(2025, 3, 24, 7, 30, 0, 0, chicago), recur.KindZoned, "DTSTART;TZID=America/Chicago:20250324T073000"},
		{"floating", time.Date(2025, 3, 24, 7, 30, 0, 0, berlin), recur.KindFloating, "DTSTART:20250324T073000"},
		{"utc", time.Date(2025, 3, 24, 12, 30, 0, 0, time.UTC), recur.KindUTC, "DTSTART:20250324T123000Z"},
		{"date", time.Date(2025, 3, 24, 0, 0, 0, 0, berlin), recur.KindDate, "DTSTART;VALUE=DATE:20250324"},
		{"date utc", time.Date(2025, 3, 24, 0, 0, 0, 0, time.UTC), recur.KindDate, "DTSTART;VALUE=DATE:20250324"},
	}
}

func lineZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	return loc
}

// ianaZone is the zone resolver a provider naming IANA zones would pass.
func ianaZone(tzid string) (*time.Location, bool) {
	if tzid == "" || tzid == "Local" {
		return nil, false
	}
	loc, err := time.LoadLocation(tzid)
	return loc, err == nil
}

// viaICal is what calendar/ical makes of the same lines in a VEVENT.
func viaICal(t testing.TB, s lineStart, lines []string) (*calendar.Recurrence, error) {
	t.Helper()
	var trimmed []string // ReadLines trims; a leading blank would fold the line in iCalendar
	for _, l := range lines {
		trimmed = append(trimmed, strings.TrimSpace(l))
	}
	evs, err := ical.Parse(vcal(append([]string{"BEGIN:VEVENT", "UID:x", s.dtstart}, append(trimmed, "END:VEVENT")...)...),
		ical.ParseOptions{Href: "x.ics", DefaultZone: s.start.Location()})
	if len(evs) != 1 {
		t.Fatalf("ical.Parse: %d events, %v", len(evs), err)
	}
	return evs[0].Recurrence, err
}

// sameRecurrence compares instants and zone names.
func sameRecurrence(a, b *calendar.Recurrence) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	if a == nil {
		return true
	}
	times := func(ts []time.Time) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Format(time.RFC3339Nano)+" "+t.Location().String())
		}
		return out
	}
	ends := func(m map[int64]time.Time) map[int64]string {
		if m == nil {
			return nil
		}
		out := make(map[int64]string)
		for k, v := range m {
			out[k] = v.Format(time.RFC3339Nano) + " " + v.Location().String()
		}
		return out
	}
	return reflect.DeepEqual(a.RRules, b.RRules) &&
		reflect.DeepEqual(times(a.RDates), times(b.RDates)) &&
		reflect.DeepEqual(times(a.ExDates), times(b.ExDates)) &&
		reflect.DeepEqual(ends(a.RDateEnds), ends(b.RDateEnds))
}

func dump(r *calendar.Recurrence) string {
	if r == nil {
		return "nil"
	}
	return fmt.Sprintf("%+v", *r)
}

var lineCases = [][]string{
	{"RRULE:FREQ=WEEKLY;BYDAY=TU"},
	{"RRULE:FREQ=DAILY", "RRULE:FREQ=DAILY", "RRULE:FREQ=WEEKLY"},
	{"RRULE:FREQ=DAILY;UNTIL=20250401T045959Z"},
	{"RRULE:FREQ=DAILY;UNTIL=20250401T073000"},
	{"RRULE:FREQ=DAILY;UNTIL=20250401"},
	{"RRULE:FREQ=WEEKLY;BYHOUR=9"},
	{"RRULE:FREQ=SOMETIMES"},
	{"RRULE:FREQ=DAILY", "EXDATE;TZID=America/Chicago:20250325T073000,20250327T073000"},
	{"RRULE:FREQ=DAILY", "EXDATE;TZID=\"Europe/Berlin\":20250325T133000"},
	{"RRULE:FREQ=DAILY", "EXDATE:20250325T123000Z"},
	{"RRULE:FREQ=DAILY", "EXDATE;TZID=America/Chicago:20250325T123000Z"},
	{"RRULE:FREQ=DAILY", "EXDATE:20250325T073000"},
	{"RRULE:FREQ=DAILY", "EXDATE;VALUE=DATE:20250325,20250327"},
	{"RRULE:FREQ=DAILY", "EXDATE:20250325"},
	{"RRULE:FREQ=DAILY", "EXDATE:20250325Z"},
	{"RRULE:FREQ=WEEKLY;COUNT=2", "RDATE;VALUE=DATE:20250401"},
	{"RDATE;TZID=America/Chicago:20250401T090000"},
	{"EXDATE;TZID=America/Chicago:20250401T073000"},
	{"RRULE:FREQ=WEEKLY;COUNT=2", "RDATE;VALUE=PERIOD:20250401T140000Z/PT2H,20250402T140000Z/P1D"},
	{"RRULE:FREQ=WEEKLY;COUNT=2", "RDATE;VALUE=PERIOD;TZID=America/Chicago:20250401T090000/20250401T100000"},
	{"RRULE:FREQ=WEEKLY;COUNT=2", "RDATE;VALUE=PERIOD:20250401T090000/20250401T100000"},
	{"RRULE:FREQ=WEEKLY;COUNT=2", "RDATE;VALUE=PERIOD:20250401/P2D"},
	{"RRULE:FREQ=WEEKLY;COUNT=2", "RDATE;VALUE=PERIOD:20250401T140000Z/soon"},
	{"RRULE:FREQ=DAILY", "EXDATE:20250325T123000Z/PT1H"},
	{"RRULE:FREQ=DAILY", "EXDATE:2025-03-25", "EXDATE:20250326T123000Z,tomorrow", "EXDATE:"},
	{"RRULE:FREQ=DAILY", "EXDATE;TZID=Mars/Olympus:20250325T073000", "RDATE;TZID=Mars/Olympus:20250326T090000"},
	{"RRULE:FREQ=DAILY", "EXDATE;TZID=:20250325T073000"},
	{"RRULE:FREQ=DAILY", "EXDATE;TZID=UTC:20250325T123000"},
	{"rrule:FREQ=DAILY", "exdate;tzid=America/Chicago:20250325T073000", "RDate;Value=Date:20250401"},
	{"RRULE;X-A=b:FREQ=DAILY", "RRULE:RRULE:FREQ=WEEKLY"},
	{"RRULE:FREQ=DAILY", "EXRULE:FREQ=WEEKLY"},
	{"EXRULE:FREQ=WEEKLY"},
	{"RRULE:FREQ=DAILY", "EXDATE;TZID:20250325T073000", "RRULE", "SUMMARY:x"},
	{"RRULE:FREQ=DAILY", "EXDATE;TZID=\"America/Chicago:20250325T073000"},
	{"RRULE:FREQ=WEEKLY", "EXDATE;VALUE=DATE:20250310", "RDATE;VALUE=DATE:20251103"},
}

// TestReadLinesAsICal: ReadLines gives the Recurrence calendar/ical gives
// for the same lines in a VEVENT, in each kind of series, and an error
// exactly when ical.Parse has one.
func TestReadLinesAsICal(t *testing.T) {
	for _, s := range lineStarts(t) {
		for _, lines := range lineCases {
			t.Run(s.name+" "+strings.Join(lines, " "), func(t *testing.T) {
				got, errs := recur.ReadLines(lines, s.start, s.kind, ianaZone)
				want, werr := viaICal(t, s, lines)
				if !sameRecurrence(got, want) {
					t.Errorf("ReadLines %s\n      ical %s", dump(got), dump(want))
				}
				if (len(errs) > 0) != (werr != nil) {
					t.Errorf("errors %v, ical's %v", errs, werr)
				}
				for _, err := range errs {
					var le *recur.LineError
					if !errors.As(err, &le) || le.Index < 0 || le.Index >= len(lines) {
						t.Errorf("error %v is not a LineError of a given line", err)
					}
				}
			})
		}
	}
}

func TestReadLinesDetails(t *testing.T) {
	chicago := lineZone(t, "America/Chicago")
	start := time.Date(2025, 3, 24, 7, 30, 0, 0, chicago)
	r, errs := recur.ReadLines([]string{
		"RRULE:FREQ=DAILY",
		"EXDATE;VALUE=DATE:20250325",
		"EXDATE:20250326T073000",
		"EXDATE:20250327T123000Z",
		"RDATE;VALUE=PERIOD:20250401T140000Z/PT2H",
		"EXDATE;TZID=Nowhere/Land:20250328T073000",
		"EXDATE;TZID=Nowhere/Land:20250329T073000",
	}, start, recur.KindZoned, ianaZone)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "line 5: EXDATE: unknown time zone \"Nowhere/Land\"") {
		t.Errorf("errors %v, want one about Nowhere/Land on line 5", errs)
	}
	var le *recur.LineError
	if len(errs) == 1 && (!errors.As(errs[0], &le) || le.Index != 5) {
		t.Errorf("error %v, want a LineError of index 5", errs[0])
	}
	want := []time.Time{
		time.Date(2025, 3, 25, 7, 30, 0, 0, chicago), // a DATE names the slot at the start's clock
		time.Date(2025, 3, 26, 7, 30, 0, 0, chicago), // floating: in the start's zone
		time.Date(2025, 3, 27, 7, 30, 0, 0, chicago), // UTC: the instant
		time.Date(2025, 3, 28, 7, 30, 0, 0, chicago), // unknown zone: the start's
		time.Date(2025, 3, 29, 7, 30, 0, 0, chicago),
	}
	if r == nil || len(r.ExDates) != len(want) {
		t.Fatalf("recurrence %s", dump(r))
	}
	for i, w := range want {
		if !r.ExDates[i].Equal(w) {
			t.Errorf("ExDates[%d] %v, want %v", i, r.ExDates[i], w)
		}
	}
	rd := time.Date(2025, 4, 1, 14, 0, 0, 0, time.UTC)
	if len(r.RDates) != 1 || !r.RDates[0].Equal(rd) || !r.RDateEnds[rd.Unix()].Equal(rd.Add(2*time.Hour)) {
		t.Errorf("RDates %v RDateEnds %v", r.RDates, r.RDateEnds)
	}
	if r, errs := recur.ReadLines([]string{"EXDATE:20250325T123000Z"}, start, recur.KindZoned, nil); r != nil || len(errs) != 0 {
		t.Errorf("EXDATEs alone: %s %v, want no recurrence and no error", dump(r), errs)
	}
	if r, errs := recur.ReadLines(nil, start, recur.KindZoned, nil); r != nil || errs != nil {
		t.Errorf("no lines: %s %v", dump(r), errs)
	}
}

func TestSplitLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want recur.Line
		err  bool
	}{
		{"RRULE:FREQ=DAILY", recur.Line{Name: "RRULE", Value: "FREQ=DAILY"}, false},
		{`exdate;tzid="A;B:C",D;value=DATE-TIME:1:2`, recur.Line{Name: "EXDATE", Params: map[string][]string{"TZID": {"A;B:C", "D"}, "VALUE": {"DATE-TIME"}}, Value: "1:2"}, false},
		{"X:", recur.Line{Name: "X"}, false},
		{"RRULE", recur.Line{}, true},
		{":x", recur.Line{}, true},
		{"A;B:x", recur.Line{}, true},
		{`A;B="x:y`, recur.Line{}, true},
		{`A;B=x"y:z`, recur.Line{}, true},
		{`A;B="x"y:z`, recur.Line{}, true},
		{"A;B=x", recur.Line{}, true},
	} {
		got, err := recur.SplitLine(tc.in)
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitLine(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// FuzzReadLines: ReadLines never panics, its errors name a given line, and
// its Recurrence is consistent; for lines that SplitLine reads, with a
// recurrence property each, it is the one calendar/ical gives.
func FuzzReadLines(f *testing.F) {
	for i, lines := range lineCases {
		f.Add(strings.Join(lines, "\n"), uint8(i))
	}
	starts := lineStarts(f)
	f.Fuzz(func(t *testing.T, data string, which uint8) {
		lines := strings.Split(data, "\n")
		if len(lines) > 20 {
			return
		}
		s := starts[int(which)%len(starts)]
		r, errs := recur.ReadLines(lines, s.start, s.kind, ianaZone)
		for _, err := range errs {
			var le *recur.LineError
			if !errors.As(err, &le) || le.Index < 0 || le.Index >= len(lines) {
				t.Fatalf("error %v is not a LineError of a given line", err)
			}
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("panic: %v", err)
			}
		}
		if r != nil {
			if len(r.RRules) == 0 && len(r.RDates) == 0 {
				t.Fatalf("an empty recurrence %s", dump(r))
			}
			for k := range r.RDateEnds {
				found := false
				for _, d := range r.RDates {
					found = found || d.Unix() == k
				}
				if !found {
					t.Fatalf("RDateEnds key %d is no RDATE: %s", k, dump(r))
				}
			}
		}
		for _, l := range lines {
			l = strings.TrimSpace(l)
			if strings.ContainsFunc(l, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
				return
			}
			sl, err := recur.SplitLine(l)
			if err != nil {
				return
			}
			switch sl.Name {
			case "RRULE", "RDATE", "EXDATE", "EXRULE":
			default:
				return
			}
		}
		want, werr := viaICal(t, s, lines)
		if !sameRecurrence(r, want) {
			t.Fatalf("ReadLines %s\n      ical %s", dump(r), dump(want))
		}
		if (len(errs) > 0) != (werr != nil) {
			t.Fatalf("errors %v, ical's %v", errs, werr)
		}
	})
}
