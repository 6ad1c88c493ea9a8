package demo

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"oneonone/calendar"
	"oneonone/calendar/ical"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load Europe/Berlin: %v", err)
	}
	return loc
}

// nows are the moments the seed is checked at, in Europe/Berlin.
var nows = []struct {
	name string
	at   string
}{
	{"monday 00:30", "2026-11-16 00:30"},
	{"wednesday noon", "2026-11-18 12:00"},
	{"sunday 23:59", "2026-11-22 23:59"},
	{"exactly at a slot start", "2026-11-17 10:00"},
	{"inside a slot", "2026-11-17 10:15"},
	{"friday before spring DST", "2026-03-27 15:00"},
	{"monday after spring DST", "2026-03-30 09:00"},
	{"sunday of autumn DST", "2026-10-25 02:30"},
	{"tuesday after autumn DST", "2026-10-27 10:30"},
	{"2026-11-20", "2026-11-20 08:00"},
	{"new year in ISO week 53", "2027-01-01 12:00"},
}

func parseNow(t *testing.T, s string, loc *time.Location) time.Time {
	t.Helper()
	now, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return now
}

func TestSeedDeterministic(t *testing.T) {
	loc := berlin(t)
	for _, tc := range nows {
		t.Run(tc.name, func(t *testing.T) {
			now := parseNow(t, tc.at, loc)
			a, b := Seed(now, loc), Seed(now, loc)
			if !reflect.DeepEqual(a, b) {
				t.Fatal("two seeds for the same now differ")
			}
			// The same instant given in another zone seeds the same team.
			if c := Seed(now.UTC(), loc); !reflect.DeepEqual(a.Objects, c.Objects) || len(a.Expect) != len(c.Expect) {
				t.Fatal("seed depends on the zone of now")
			}
		})
	}
}

func TestUIDsDoNotDependOnNow(t *testing.T) {
	loc := berlin(t)
	names := func(s string) []string {
		var out []string
		for _, o := range Seed(parseNow(t, s, loc), loc).Objects {
			out = append(out, o.Calendar+"/"+o.Name)
		}
		return out
	}
	if a, b := names("2026-11-20 08:00"), names("2026-03-02 08:00"); !slices.Equal(a, b) {
		t.Fatalf("object names differ between two nows:\n%v\n%v", a, b)
	}
}

func TestObjectsWellFormed(t *testing.T) {
	loc := berlin(t)
	for _, tc := range nows {
		t.Run(tc.name, func(t *testing.T) {
			team := Seed(parseNow(t, tc.at, loc), loc)
			seen := map[string]bool{}
			for _, o := range team.Objects {
				if o.Calendar != CalendarWork && o.Calendar != CalendarPersonal {
					t.Errorf("%s: calendar %q", o.Name, o.Calendar)
				}
				key := o.Calendar + "/" + o.Name
				if seen[key] {
					t.Errorf("%s: twice", key)
				}
				seen[key] = true
				checkStructure(t, o)
			}
		})
	}
}

// checkStructure is a minimal RFC 5545 check of one object resource: CRLF
// only, lines of at most 75 octets, valid UTF-8 that folding did not split,
// balanced BEGIN/END, the required properties, one UID per object, unique
// RECURRENCE-IDs, and a VTIMEZONE for every TZID used.
func checkStructure(t *testing.T, o Object) {
	t.Helper()
	data := o.Data
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Errorf("%s: does not end with CRLF", o.Name)
	}
	if bytes.Count(data, []byte("\n")) != bytes.Count(data, []byte("\r\n")) || bytes.Count(data, []byte("\r")) != bytes.Count(data, []byte("\r\n")) {
		t.Errorf("%s: bare CR or LF", o.Name)
	}
	phys := strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n")
	for i, l := range phys {
		if len(l) > maxLineOctets {
			t.Errorf("%s: line %d has %d octets: %q", o.Name, i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("%s: line %d is not valid UTF-8 on its own (split sequence?)", o.Name, i+1)
		}
		if l == "" {
			t.Errorf("%s: empty line %d", o.Name, i+1)
		}
	}
	cal, err := parseICS(data)
	if err != nil {
		t.Fatalf("%s: %v", o.Name, err)
	}
	if cal.name != "VCALENDAR" {
		t.Fatalf("%s: top component %s", o.Name, cal.name)
	}
	for _, name := range []string{"VERSION", "PRODID"} {
		if cal.get(name) == nil {
			t.Errorf("%s: VCALENDAR without %s", o.Name, name)
		}
	}
	tzids := map[string]bool{}
	for _, c := range cal.subs {
		if c.name == "VTIMEZONE" {
			tzids[c.get("TZID").value] = true
			if !slices.ContainsFunc(c.subs, func(s *component) bool { return s.name == "STANDARD" || s.name == "DAYLIGHT" }) {
				t.Errorf("%s: VTIMEZONE without observances", o.Name)
			}
		}
	}
	uids := map[string]bool{}
	rids := map[string]bool{}
	masters := 0
	for _, ev := range cal.subs {
		if ev.name != "VEVENT" {
			continue
		}
		for _, name := range []string{"UID", "DTSTAMP", "DTSTART", "SUMMARY"} {
			if ev.get(name) == nil {
				t.Errorf("%s: VEVENT without %s", o.Name, name)
			}
		}
		if ev.get("DTEND") != nil && ev.get("DURATION") != nil {
			t.Errorf("%s: both DTEND and DURATION", o.Name)
		}
		if !strings.HasSuffix(ev.get("DTSTAMP").value, "Z") {
			t.Errorf("%s: DTSTAMP %q not in UTC", o.Name, ev.get("DTSTAMP").value)
		}
		uids[ev.get("UID").value] = true
		if rid := ev.get("RECURRENCE-ID"); rid != nil {
			if rids[rid.value] {
				t.Errorf("%s: RECURRENCE-ID %s twice", o.Name, rid.value)
			}
			rids[rid.value] = true
		} else {
			masters++
		}
		for _, p := range ev.props {
			if tz := p.params["TZID"]; tz != "" && !tzids[tz] {
				t.Errorf("%s: %s uses TZID %s without VTIMEZONE", o.Name, p.name, tz)
			}
			if p.name == "RRULE" && strings.Contains(p.value, "UNTIL=") && !strings.HasSuffix(strings.Split(strings.SplitAfter(p.value, "UNTIL=")[1], ";")[0], "Z") {
				t.Errorf("%s: UNTIL not in UTC: %s", o.Name, p.value)
			}
		}
	}
	if len(uids) != 1 {
		t.Errorf("%s: %d UIDs in one object", o.Name, len(uids))
	}
	for uid := range uids {
		if o.Name != uid+".ics" {
			t.Errorf("object %s holds UID %s", o.Name, uid)
		}
	}
	if masters != 1 {
		t.Errorf("%s: %d events without RECURRENCE-ID", o.Name, masters)
	}
}

func TestLastFullWeekIsInteresting(t *testing.T) {
	loc := berlin(t)
	for _, tc := range nows {
		t.Run(tc.name, func(t *testing.T) {
			now := parseNow(t, tc.at, loc)
			team := Seed(now, loc)
			from, to := lastFullWeek(now, loc)
			got := map[calendar.State]int{}
			for _, e := range team.Expect {
				if !e.OriginalStart.Before(from) && e.OriginalStart.Before(to) {
					got[e.State]++
				}
			}
			for _, s := range []calendar.State{calendar.StateHeld, calendar.StateSkipped, calendar.StatePostponed, calendar.StateDeclined} {
				if got[s] == 0 {
					t.Errorf("week from %s: no %s occurrence (%v)", from.Format("2006-01-02"), s, got)
				}
			}
			if got[calendar.StateUpcoming] != 0 {
				t.Errorf("week from %s: %d upcoming", from.Format("2006-01-02"), got[calendar.StateUpcoming])
			}
		})
	}
}

// lastFullWeek returns the ISO week before now's, in loc.
func lastFullWeek(now time.Time, loc *time.Location) (from, to time.Time) {
	n := now.In(loc)
	back := (int(n.Weekday()) + 6) % 7
	to = time.Date(n.Year(), n.Month(), n.Day()-back, 0, 0, 0, 0, loc)
	return to.AddDate(0, 0, -7), to
}

func TestExpectations(t *testing.T) {
	loc := berlin(t)
	for _, tc := range nows {
		t.Run(tc.name, func(t *testing.T) {
			now := parseNow(t, tc.at, loc)
			team := Seed(now, loc)
			if !team.From.Equal(now.AddDate(0, 0, -84)) || !team.To.Equal(now.AddDate(0, 0, 14)) {
				t.Fatalf("window [%s, %s)", team.From, team.To)
			}
			people := map[string]Person{}
			for _, p := range team.People {
				people[p.Email] = p
			}
			if len(people) < 7 {
				t.Errorf("%d people", len(people))
			}
			seen := map[string]bool{}
			perPerson := map[string]int{}
			states := map[calendar.State]int{}
			for i, e := range team.Expect {
				if _, ok := people[e.Counterpart]; !ok {
					t.Errorf("expectation for %s, who is not in People", e.Counterpart)
				}
				perPerson[e.Counterpart]++
				states[e.State]++
				if e.OriginalStart.Before(team.From) || !e.OriginalStart.Before(team.To) {
					t.Errorf("%s %s: outside the window", e.Counterpart, e.OriginalStart)
				}
				key := e.UID + e.OriginalStart.UTC().String()
				if seen[key] {
					t.Errorf("%s %s: twice", e.Counterpart, e.OriginalStart)
				}
				seen[key] = true
				if i > 0 && e.OriginalStart.Before(team.Expect[i-1].OriginalStart) {
					t.Errorf("not sorted at %d", i)
				}
				if e.Why == "" {
					t.Errorf("%s %s: no reason", e.Counterpart, e.OriginalStart)
				}
				switch e.State {
				case calendar.StateHeld:
					if !e.OriginalStart.Before(now) || !e.Start.Equal(e.OriginalStart) {
						t.Errorf("held %s %s: not past or moved", e.Counterpart, e.OriginalStart)
					}
				case calendar.StateUpcoming:
					if e.OriginalStart.Before(now) || !e.Start.Equal(e.OriginalStart) {
						t.Errorf("upcoming %s %s: past or moved", e.Counterpart, e.OriginalStart)
					}
				case calendar.StatePostponed:
					if !e.Start.After(e.OriginalStart) || !e.Start.Before(now) {
						t.Errorf("postponed %s %s → %s", e.Counterpart, e.OriginalStart, e.Start)
					}
				case calendar.StateAdvanced:
					if !e.Start.Before(e.OriginalStart) {
						t.Errorf("advanced %s %s → %s", e.Counterpart, e.OriginalStart, e.Start)
					}
				case calendar.StateSkipped, calendar.StateDeclined:
					if !e.Start.Equal(e.OriginalStart) || !e.OriginalStart.Before(now) {
						t.Errorf("%s %s %s: moved or not past", e.State, e.Counterpart, e.OriginalStart)
					}
				default:
					t.Errorf("%s %s: state %q", e.Counterpart, e.OriginalStart, e.State)
				}
				// Weekly slots keep their wall-clock time across DST.
				if e.Counterpart == bob.Email {
					l := e.OriginalStart.In(loc)
					if l.Weekday() != time.Tuesday || l.Hour() != 10 || l.Minute() != 0 {
						t.Errorf("Bob's slot at %s", l)
					}
				}
			}
			for _, p := range team.People {
				if perPerson[p.Email] == 0 {
					t.Errorf("no occurrence with %s", p.Name)
				}
			}
			for _, s := range calendar.States {
				if states[s] == 0 {
					t.Errorf("no %s occurrence at all", s)
				}
			}
			// Why names each kind of change at least once.
			var whys []string
			for _, e := range team.Expect {
				whys = append(whys, e.Why)
			}
			all := strings.Join(whys, "|")
			for _, w := range []string{"EXDATE", "cancelled override", "moved +2d", "moved +1h", "moved -1d", "made up by one-off", "declined"} {
				if !strings.Contains(all, w) {
					t.Errorf("no occurrence %q", w)
				}
			}
		})
	}
}

// TestExpectMatchesText reads the objects back with a small reader of its
// own: it recognises the 1:1 series by the default rule (docs/DESIGN.md,
// "Recognising a 1:1"), expands their RRULEs, applies EXDATEs, overrides and
// make-ups, and checks that the result is Team.Series and Team.Expect, state
// for state.
func TestExpectMatchesText(t *testing.T) {
	loc := berlin(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		at   string
		loc  *time.Location
	}{
		{"utc", "2026-11-20 08:00", time.UTC},
		{"new york", "2026-11-02 09:00", ny},
	}
	for _, n := range nows {
		cases = append(cases, struct {
			name string
			at   string
			loc  *time.Location
		}{n.name, n.at, loc})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := parseNow(t, tc.at, tc.loc)
			team := Seed(now, tc.loc)
			got := readBack(t, team, now, tc.loc)
			var wantUIDs, gotUIDs []string
			for _, s := range team.Series {
				wantUIDs = append(wantUIDs, s.UID)
			}
			for uid := range got.series {
				gotUIDs = append(gotUIDs, uid)
			}
			slices.Sort(wantUIDs)
			slices.Sort(gotUIDs)
			if !slices.Equal(wantUIDs, gotUIDs) {
				t.Fatalf("1:1 series read back %v, want %v", gotUIDs, wantUIDs)
			}
			want := map[string]Expectation{}
			for _, e := range team.Expect {
				want[e.UID+" "+e.OriginalStart.UTC().Format(fmtUTCTime)] = e
			}
			for k, g := range got.occ {
				w, ok := want[k]
				switch {
				case !ok:
					t.Errorf("%s: read back as %s, not expected", k, g.State)
				case w.State != g.State || !w.Start.Equal(g.Start) || w.Counterpart != g.Counterpart:
					t.Errorf("%s: read back %s %s at %s, expected %s %s at %s (%s)", k, g.Counterpart, g.State, g.Start, w.Counterpart, w.State, w.Start, w.Why)
				}
			}
			for k, w := range want {
				if _, ok := got.occ[k]; !ok {
					t.Errorf("%s: expected %s (%s), not read back", k, w.State, w.Why)
				}
			}
		})
	}
}

func TestTextSurvives(t *testing.T) {
	loc := berlin(t)
	team := Seed(parseNow(t, "2026-11-20 08:00", loc), loc)
	var found bool
	for _, o := range team.Objects {
		cal, err := parseICS(o.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range cal.subs {
			if d := ev.get("DESCRIPTION"); ev.name == "VEVENT" && d != nil && strings.HasPrefix(unescapeText(d.value), "Café ☕ – notes\nShared doc:") {
				found = true
				if !strings.Contains(unescapeText(d.value), "feedback both ways (what should I start, stop, keep doing?), and") {
					t.Errorf("description lost text: %q", unescapeText(d.value))
				}
			}
		}
	}
	if !found {
		t.Error("no description with Unicode notes")
	}
}

func TestSummary(t *testing.T) {
	loc := berlin(t)
	s := Seed(parseNow(t, "2026-11-20 08:00", loc), loc).Summary()
	for _, want := range []string{"Anna Berg and 8 people", "4 reports", "1 skip-level", "1 peer", "2 mentors", "weekly", "biweekly", "monthly"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary %q lacks %q", s, want)
		}
	}
	t.Log(s)
}

func TestFold(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
	}{
		{"short", "SUMMARY:hi"},
		{"exactly 75", "X:" + strings.Repeat("a", 73)},
		{"76", "X:" + strings.Repeat("a", 74)},
		{"long ascii", "DESCRIPTION:" + strings.Repeat("0123456789", 30)},
		{"multi-byte at the edge", "DESCRIPTION:" + strings.Repeat("a", 61) + strings.Repeat("☕é日", 40)},
		{"emoji", "SUMMARY:" + strings.Repeat("🌴", 50)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := fold(tc.in)
			if !strings.HasSuffix(out, "\r\n") {
				t.Fatalf("no CRLF: %q", out)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
			for i, l := range lines {
				if len(l) > maxLineOctets {
					t.Errorf("line %d: %d octets", i, len(l))
				}
				if !utf8.ValidString(l) {
					t.Errorf("line %d splits a UTF-8 sequence", i)
				}
				if i > 0 && !strings.HasPrefix(l, " ") {
					t.Errorf("continuation %d without a space", i)
				}
				if i < len(lines)-1 && len(l) < maxLineOctets-3 {
					t.Errorf("line %d folded early: %d octets", i, len(l))
				}
			}
			if got := strings.ReplaceAll(strings.TrimSuffix(out, "\r\n"), "\r\n ", ""); got != tc.in {
				t.Errorf("unfolds to %q", got)
			}
		})
	}
}

func TestEscapeText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a, b; c", `a\, b\; c`},
		{`C:\Users`, `C:\\Users`},
		{"one\ntwo\r\nthree", `one\ntwo\nthree`},
		{"Café ☕ – notes", "Café ☕ – notes"},
	} {
		if got := escapeText(tc.in); got != tc.want {
			t.Errorf("escapeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := unescapeText(escapeText(tc.in)); got != strings.ReplaceAll(tc.in, "\r\n", "\n") {
			t.Errorf("round trip of %q gives %q", tc.in, got)
		}
	}
}

func TestVTimezone(t *testing.T) {
	loc := berlin(t)
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	got := strings.Join(vtimezone(loc, "Europe/Berlin", from, to), "\n")
	for _, want := range []string{"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "DTSTART:19700329T020000", "DTSTART:19701025T030000"} {
		if !strings.Contains(got, want) {
			t.Errorf("Europe/Berlin VTIMEZONE lacks %s", want)
		}
	}
	// The Berlin rule agrees with the tz database over the seed's years.
	for y := 2020; y <= 2035; y++ {
		for _, m := range []time.Month{time.March, time.October} {
			last := time.Date(y, m+1, 0, 12, 0, 0, 0, loc)
			for last.Weekday() != time.Sunday {
				last = last.AddDate(0, 0, -1)
			}
			before, after := last.Add(-12*time.Hour), last.Add(12*time.Hour)
			if before.IsDST() == after.IsDST() {
				t.Errorf("%d-%02d: no change on the last Sunday", y, m)
			}
		}
	}

	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	lines := vtimezone(ny, ny.String(), from, to)
	joined := strings.Join(lines, "\n")
	for _, want := range []string{"TZID:America/New_York", "BEGIN:DAYLIGHT\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\nTZNAME:EDT\nDTSTART:20250309T020000", "BEGIN:STANDARD\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nTZNAME:EST\nDTSTART:20251102T020000"} {
		if !strings.Contains(joined, want) {
			t.Errorf("America/New_York VTIMEZONE lacks %q:\n%s", want, joined)
		}
	}
	utc := strings.Join(vtimezone(time.UTC, "UTC", from, to), "\n")
	if !strings.Contains(utc, "TZOFFSETFROM:+0000\nTZOFFSETTO:+0000") {
		t.Errorf("UTC VTIMEZONE:\n%s", utc)
	}
}

// --- a small iCalendar reader for the tests ---

type property struct {
	name   string
	params map[string]string
	value  string
}

type component struct {
	name  string
	props []property
	subs  []*component
}

func (c *component) get(name string) *property {
	for i := range c.props {
		if c.props[i].name == name {
			return &c.props[i]
		}
	}
	return nil
}

func (c *component) all(name string) []property {
	var out []property
	for _, p := range c.props {
		if p.name == name {
			out = append(out, p)
		}
	}
	return out
}

// parseICS unfolds and parses one iCalendar object; BEGIN and END must balance.
func parseICS(data []byte) (*component, error) {
	text := strings.ReplaceAll(string(data), "\r\n ", "")
	text = strings.ReplaceAll(text, "\r\n\t", "")
	var stack []*component
	var root *component
	for _, line := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		p, err := parseLine(line)
		if err != nil {
			return nil, err
		}
		switch p.name {
		case "BEGIN":
			c := &component{name: p.value}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.subs = append(top.subs, c)
			} else if root != nil {
				return nil, fmt.Errorf("second top-level component %s", p.value)
			} else {
				root = c
			}
			stack = append(stack, c)
		case "END":
			if len(stack) == 0 || stack[len(stack)-1].name != p.value {
				return nil, fmt.Errorf("END:%s does not close the open component", p.value)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 0 {
				return nil, fmt.Errorf("property %s outside a component", p.name)
			}
			top := stack[len(stack)-1]
			top.props = append(top.props, p)
		}
	}
	if len(stack) != 0 || root == nil {
		return nil, fmt.Errorf("unbalanced BEGIN/END")
	}
	return root, nil
}

func parseLine(line string) (property, error) {
	p := property{params: map[string]string{}}
	var parts []string
	quoted, start, colon := false, 0, -1
	for i, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == ';':
			parts = append(parts, line[start:i])
			start = i + 1
		case r == ':':
			parts = append(parts, line[start:i])
			colon = i
		}
		if colon >= 0 {
			break
		}
	}
	if colon < 0 || len(parts) == 0 || parts[0] == "" {
		return p, fmt.Errorf("malformed content line %q", line)
	}
	p.name = strings.ToUpper(parts[0])
	for _, kv := range parts[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, fmt.Errorf("malformed parameter %q in %q", kv, line)
		}
		p.params[strings.ToUpper(k)] = strings.Trim(v, `"`)
	}
	p.value = line[colon+1:]
	return p, nil
}

func unescapeText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// times parses a DATE-TIME or DATE property, possibly multi-valued.
func (p property) times(t *testing.T, loc *time.Location) []time.Time {
	t.Helper()
	var out []time.Time
	for _, v := range strings.Split(p.value, ",") {
		var tm time.Time
		var err error
		switch {
		case p.params["VALUE"] == "DATE":
			tm, err = time.ParseInLocation(fmtDate, v, loc)
		case strings.HasSuffix(v, "Z"):
			tm, err = time.Parse(fmtUTCTime, v)
		default:
			if p.params["TZID"] != loc.String() {
				t.Fatalf("%s: TZID %q, want %q", p.name, p.params["TZID"], loc)
			}
			tm, err = time.ParseInLocation(fmtLocalTime, v, loc)
		}
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		out = append(out, tm)
	}
	return out
}

type readEvent struct {
	c      *component
	start  time.Time
	allDay bool
	humans []string // lower-cased addresses
	status string
	rid    time.Time
}

func readVEvent(t *testing.T, c *component, loc *time.Location) readEvent {
	t.Helper()
	ev := readEvent{c: c}
	ds := c.get("DTSTART")
	ev.start = ds.times(t, loc)[0]
	ev.allDay = ds.params["VALUE"] == "DATE"
	if s := c.get("STATUS"); s != nil {
		ev.status = s.value
	}
	if r := c.get("RECURRENCE-ID"); r != nil {
		ev.rid = r.times(t, loc)[0]
	}
	seen := map[string]bool{}
	add := func(p property) {
		switch p.params["CUTYPE"] {
		case "ROOM", "RESOURCE", "GROUP":
			return
		}
		addr := calendar.NormalizeEmail(p.value)
		if addr != "" && !seen[addr] {
			seen[addr] = true
			ev.humans = append(ev.humans, addr)
		}
	}
	if o := c.get("ORGANIZER"); o != nil {
		add(*o)
	}
	for _, a := range c.all("ATTENDEE") {
		add(a)
	}
	slices.Sort(ev.humans)
	return ev
}

func (ev readEvent) declined() bool {
	for _, a := range ev.c.all("ATTENDEE") {
		if a.params["PARTSTAT"] == "DECLINED" {
			return true
		}
	}
	return false
}

type readBackResult struct {
	series map[string]bool
	occ    map[string]Expectation // by UID + " " + UTC original start
}

var titleRule = []string{"1:1", "1-1", "1on1", "1x1", "one-on-one", "one on one"}

// readBack reads every object the way docs/DESIGN.md describes it
// ("Recognising a 1:1", "Occurrence states"), independently of the seed's
// own bookkeeping.
func readBack(t *testing.T, team Team, now time.Time, loc *time.Location) readBackResult {
	t.Helper()
	me := team.Me.Email
	res := readBackResult{series: map[string]bool{}, occ: map[string]Expectation{}}
	type master struct {
		ev        readEvent
		overrides map[int64]readEvent
		uid       string
	}
	var masters []master
	var oneOffs []readEvent
	for _, o := range team.Objects {
		cal, err := parseICS(o.Data)
		if err != nil {
			t.Fatal(err)
		}
		m := master{overrides: map[int64]readEvent{}}
		for _, c := range cal.subs {
			if c.name != "VEVENT" {
				continue
			}
			ev := readVEvent(t, c, loc)
			m.uid = c.get("UID").value
			switch {
			case !ev.rid.IsZero():
				m.overrides[ev.rid.Unix()] = ev
			case c.get("RRULE") != nil:
				m.ev = ev
			default:
				oneOffs = append(oneOffs, ev)
			}
		}
		if m.ev.c == nil {
			continue
		}
		humans := m.ev.humans
		title := strings.ToLower(m.ev.c.get("SUMMARY").value)
		titled := slices.ContainsFunc(titleRule, func(k string) bool { return strings.Contains(title, k) })
		if m.ev.allDay || !slices.Contains(humans, me) || !(len(humans) == 2 || titled && len(humans) <= 2) {
			continue
		}
		masters = append(masters, m)
		res.series[m.uid] = true
	}
	for _, m := range masters {
		counterpart := m.ev.humans[0]
		if counterpart == me {
			counterpart = m.ev.humans[1]
		}
		exdates := map[int64]bool{}
		for _, p := range m.ev.c.all("EXDATE") {
			for _, x := range p.times(t, loc) {
				exdates[x.Unix()] = true
			}
		}
		slots := expandRule(t, m.ev.c.get("RRULE").value, m.ev.start, team.To.AddDate(0, 2, 0), loc)
		for i, s := range slots {
			if s.Before(team.From) || !s.Before(team.To) {
				continue
			}
			e := Expectation{Counterpart: counterpart, UID: m.uid, OriginalStart: s, Start: s}
			ov, hasOv := m.overrides[s.Unix()]
			switch {
			case exdates[s.Unix()]:
				e.State = calendar.StateSkipped
			case hasOv && ov.status == calendar.StatusCancelled:
				e.State = calendar.StateSkipped
				next := time.Time{}
				if i+1 < len(slots) {
					next = slots[i+1]
				}
				for _, one := range oneOffs {
					if !one.allDay && slices.Equal(one.humans, m.ev.humans) && one.start.After(s) && (next.IsZero() || one.start.Before(next)) {
						e.State, e.Start = calendar.StatePostponed, one.start
					}
				}
			case hasOv && ov.declined():
				e.State = calendar.StateDeclined
			case hasOv && ov.start.After(s):
				e.State, e.Start = calendar.StatePostponed, ov.start
			case hasOv && ov.start.Before(s):
				e.State, e.Start = calendar.StateAdvanced, ov.start
			case s.Before(now):
				e.State = calendar.StateHeld
			default:
				e.State = calendar.StateUpcoming
			}
			res.occ[m.uid+" "+s.UTC().Format(fmtUTCTime)] = e
		}
	}
	return res
}

// expandRule expands the RRULEs the seed writes: FREQ=WEEKLY with INTERVAL
// and one BYDAY, FREQ=MONTHLY with BYDAY=<n><day>, each with COUNT or UNTIL.
func expandRule(t *testing.T, rrule string, dtstart, limit time.Time, loc *time.Location) []time.Time {
	t.Helper()
	parts := map[string]string{}
	for _, kv := range strings.Split(rrule, ";") {
		k, v, _ := strings.Cut(kv, "=")
		parts[k] = v
	}
	interval, count := 1, 0
	if v, ok := parts["INTERVAL"]; ok {
		interval, _ = strconv.Atoi(v)
	}
	if v, ok := parts["COUNT"]; ok {
		count, _ = strconv.Atoi(v)
	}
	var until time.Time
	if v, ok := parts["UNTIL"]; ok {
		until = property{name: "UNTIL", value: v}.times(t, loc)[0]
	}
	days := map[string]time.Weekday{"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}
	d := dtstart.In(loc)
	var out []time.Time
	for k := 0; count == 0 || k < count; k++ {
		var s time.Time
		switch parts["FREQ"] {
		case "WEEKLY":
			if bd, ok := parts["BYDAY"]; ok && days[bd] != d.Weekday() {
				t.Fatalf("RRULE %s: BYDAY is not DTSTART's day", rrule)
			}
			s = time.Date(d.Year(), d.Month(), d.Day()+7*interval*k, d.Hour(), d.Minute(), 0, 0, loc)
		case "MONTHLY":
			bd := parts["BYDAY"]
			n, _ := strconv.Atoi(bd[:len(bd)-2])
			wd := days[bd[len(bd)-2:]]
			first := time.Date(d.Year(), d.Month()+time.Month(k*interval), 1, d.Hour(), d.Minute(), 0, 0, loc)
			s = first.AddDate(0, 0, (int(wd)-int(first.Weekday())+7)%7+7*(n-1))
			if k == 0 && !s.Equal(d) {
				t.Fatalf("RRULE %s: DTSTART %s is not an occurrence", rrule, d)
			}
		default:
			t.Fatalf("RRULE %s: not expected in a 1:1", rrule)
		}
		if (!until.IsZero() && s.After(until)) || !s.Before(limit) {
			break
		}
		out = append(out, s)
	}
	return out
}

// TestObjectsParse reads every object with the project's own parser: no
// errors, one Event per VEVENT, and the fields the engine relies on.
func TestObjectsParse(t *testing.T) {
	loc := berlin(t)
	for _, tc := range nows {
		t.Run(tc.name, func(t *testing.T) {
			team := Seed(parseNow(t, tc.at, loc), loc)
			uids := map[string]bool{}
			for _, s := range team.Series {
				uids[s.UID] = true
			}
			for _, o := range team.Objects {
				events, err := ical.Parse(o.Data, ical.ParseOptions{Href: o.Name, DefaultZone: loc})
				if err != nil {
					t.Errorf("%s: %v", o.Name, err)
					continue
				}
				if n := bytes.Count(o.Data, []byte("BEGIN:VEVENT\r\n")); len(events) != n {
					t.Errorf("%s: %d events parsed, %d VEVENTs written", o.Name, len(events), n)
				}
				for _, ev := range events {
					if ev.UID+".ics" != o.Name {
						t.Errorf("%s: event UID %s", o.Name, ev.UID)
					}
					if !uids[ev.UID] || ev.IsOverride() {
						continue
					}
					if !ev.Recurring() || ev.AllDay || len(ev.Humans()) != 2 {
						t.Errorf("%s: 1:1 master parsed as recurring=%v allDay=%v humans=%d", o.Name, ev.Recurring(), ev.AllDay, len(ev.Humans()))
					}
					if ev.Start.Location().String() != loc.String() {
						t.Errorf("%s: DTSTART in %s", o.Name, ev.Start.Location())
					}
					for _, h := range ev.Humans() {
						if h.Email != strings.ToLower(h.Email) || strings.Contains(h.Email, "room") {
							t.Errorf("%s: human %q", o.Name, h.Email)
						}
					}
				}
			}
		})
	}
}
