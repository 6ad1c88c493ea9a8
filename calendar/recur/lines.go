package recur

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"oneonone/calendar"
)

// Line is one content line (RFC 5545 §3.1) split into its parts.
type Line struct {
	Name   string              // upper case
	Params map[string][]string // parameter names upper case, values as written (unquoted)
	Value  string
}

// Param returns the first value of the parameter name (upper case), or "".
func (l Line) Param(name string) string {
	if v := l.Params[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// SplitLine splits one unfolded content line,
// name *(";" param-name "=" param-value *("," param-value)) ":" value,
// where a param-value is quoted ("…") or holds none of ";,:\"". Names are
// letters, digits, '-' and '_'. It does not unescape the value. It reads
// what Outlook writes when a quoted parameter swallowed the value
// (TZID="zone:20200609T090000") as that parameter and that value.
func SplitLine(s string) (Line, error) {
	i := 0
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	if i == 0 || i == len(s) || (s[i] != ';' && s[i] != ':') {
		return Line{}, errors.New("malformed content line")
	}
	l := Line{Name: strings.ToUpper(s[:i])}
	for s[i] == ';' {
		i++
		j := i
		for j < len(s) && isNameChar(s[j]) {
			j++
		}
		if j == i || j == len(s) || s[j] != '=' {
			return Line{}, errors.New("malformed parameter")
		}
		name := strings.ToUpper(s[i:j])
		i = j + 1
		for {
			var v string
			if i < len(s) && s[i] == '"' {
				end := strings.IndexByte(s[i+1:], '"')
				if end < 0 {
					return Line{}, errors.New("unterminated quoted parameter value")
				}
				v = s[i+1 : i+1+end]
				i += end + 2
			} else {
				j := i
				for j < len(s) && s[j] != ';' && s[j] != ':' && s[j] != ',' && s[j] != '"' {
					j++
				}
				v = s[i:j]
				i = j
			}
			if l.Params == nil {
				l.Params = make(map[string][]string)
			}
			if i >= len(s) {
				// Outlook writes DTSTART;TZID="W. Europe Standard Time:20200609T090000":
				// the quoted parameter swallowed the value. Split it back.
				if k := strings.LastIndexByte(v, ':'); k > 0 && s[len(s)-1] == '"' {
					l.Params[name] = append(l.Params[name], v[:k])
					l.Value = v[k+1:]
					return l, nil
				}
				return Line{}, errors.New("missing value")
			}
			l.Params[name] = append(l.Params[name], v)
			if s[i] == ',' {
				i++
				continue
			}
			if s[i] != ';' && s[i] != ':' {
				return Line{}, errors.New("malformed parameter value")
			}
			break
		}
	}
	l.Value = s[i+1:]
	return l, nil
}

func isNameChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// LineError is a problem with one of the lines given to ReadLines.
type LineError struct {
	Index int // of the line in the slice
	Err   error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Index, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ReadLines reads the recurrence of a master from its recurrence content
// lines, as a provider gives them without the rest of an iCalendar object
// (the Calendar API's "recurrence": "RRULE:FREQ=WEEKLY;BYDAY=TU",
// "EXDATE;TZID=America/Chicago:20250325T073000", "RDATE;VALUE=DATE:20250401",
// "EXDATE:20250325T133000Z"). start is the master's start, in its zone
// (for an all-day master, a midnight in the zone its dates are read in);
// kind is what its DTSTART would be: it decides how ParseRule reads UNTIL
// and what it warns of.
//
// Each line is RRULE, RDATE or EXDATE, names and parameter names in any
// case, blanks around the line ignored. Values are read as calendar/ical
// reads them (both use Set): a DATE-TIME with Z is an instant (a TZID
// beside it is reported and ignored); with a TZID it is in zone(tzid),
// and when zone says no, in start's zone, reported once per TZID; without
// either it is floating, read in start's zone; a DATE is a midnight in
// start's zone, which in a DATE-TIME series names the slot at start's wall
// clock on that date; "a/b" is a PERIOD (b a DURATION or an end, read like
// a), whose end RDateEnds keeps for an RDATE. A duplicate RRULE is dropped;
// EXRULE (removed by RFC 5545) is reported and ignored.
//
// The result is nil when the lines hold neither an RRULE nor an RDATE. A
// line that cannot be read, or only in part, adds a *LineError to errs and
// whatever of it could be read to the result; the warnings of a rule read
// leniently are LineErrors too. It never panics.
func ReadLines(lines []string, start time.Time, kind Kind, zone func(tzid string) (*time.Location, bool)) (r *calendar.Recurrence, errs []error) {
	set := NewSet(start, kind)
	rd := linesReader{start: start, zone: zone, reported: make(map[string]bool)}
	for i, raw := range lines {
		rd.index = i
		rd.lineErrs = rd.lineErrs[:0]
		func() {
			defer func() {
				if p := recover(); p != nil {
					rd.errorf("internal error: %v", p)
				}
			}()
			rd.line(set, raw)
		}()
		errs = append(errs, rd.lineErrs...)
	}
	return set.Recurrence(), errs
}

type linesReader struct {
	start    time.Time
	zone     func(string) (*time.Location, bool)
	reported map[string]bool // TZIDs reported unknown
	index    int
	lineErrs []error
}

func (rd *linesReader) errorf(format string, args ...any) {
	rd.lineErrs = append(rd.lineErrs, &LineError{Index: rd.index, Err: fmt.Errorf(format, args...)})
}

func (rd *linesReader) line(set *Set, raw string) {
	s := strings.TrimSpace(raw)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			rd.errorf("control character %q: line ignored", c)
			return
		}
	}
	l, err := SplitLine(s)
	if err != nil {
		rd.errorf("%v: line ignored", err)
		return
	}
	switch l.Name {
	case "RRULE":
		warns, err := set.AddRule(l.Value)
		if err != nil {
			rd.errorf("RRULE: %v: rule ignored", err)
			return
		}
		for _, w := range warns {
			rd.errorf("RRULE: %s", w)
		}
	case "EXRULE":
		rd.errorf("EXRULE is not supported (removed by RFC 5545): ignored")
	case "RDATE", "EXDATE":
		items := SplitList(l.Value)
		if len(items) == 0 {
			rd.errorf("%s: invalid value %q", l.Name, l.Value)
		}
		for _, item := range items {
			first, rest, period := strings.Cut(item, "/")
			v, err := rd.value(l, first, rd.start.Location())
			if err != nil {
				rd.errorf("%s: %v", l.Name, err)
				continue
			}
			var end time.Time
			if period {
				if d, ok := ParseDuration(rest); ok {
					end = d.Add(v.T)
				} else if e, err := rd.value(l, rest, v.T.Location()); err == nil {
					end = e.T
				} else {
					rd.errorf("%s: invalid period %q", l.Name, item)
				}
			}
			if l.Name == "RDATE" {
				set.AddRDate(v, end)
			} else {
				set.AddExDate(v)
			}
		}
	default:
		rd.errorf("%s is not a recurrence property (RRULE, RDATE, EXDATE): line ignored", l.Name)
	}
}

// value reads one DATE or DATE-TIME of line l; floating is the zone a
// floating value is read in.
func (rd *linesReader) value(l Line, s string, floating *time.Location) (Value, error) {
	w, utc, date, err := ParseWall(s, l.Param("VALUE"))
	if err != nil {
		return Value{}, err
	}
	loc := rd.start.Location()
	tzid := l.Param("TZID")
	switch {
	case date:
		return Value{T: InZone(w, loc), Date: true}, nil
	case utc:
		if tzid != "" {
			rd.errorf("%s: UTC value %q with TZID %q: TZID ignored", l.Name, s, tzid)
		}
		return Value{T: w, UTC: true}, nil
	case tzid != "":
		if z, ok := rd.lookup(tzid); ok {
			loc = z
		} else if !rd.reported[tzid] {
			rd.reported[tzid] = true
			rd.errorf("%s: unknown time zone %q: read in %s", l.Name, tzid, zoneName(rd.start))
		}
		return Value{T: InZone(w, loc)}, nil
	}
	return Value{T: InZone(w, floating), Floating: true}, nil
}

func (rd *linesReader) lookup(tzid string) (*time.Location, bool) {
	if rd.zone == nil {
		return nil, false
	}
	loc, ok := rd.zone(tzid)
	return loc, ok && loc != nil
}

// SplitList splits a multi-valued property value at its commas, dropping
// empty items and the blanks around each.
func SplitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// zoneName names the zone of t, by its offset when it has no name.
func zoneName(t time.Time) string {
	if name := t.Location().String(); name != "" {
		return name
	}
	return "UTC" + t.Format("-07:00")
}
