package ical

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"oneonone/calendar"
)

// Descriptions written by the table test.
var editDescs = []struct {
	name string
	desc string
}{
	{"agenda", "Weekly 1:1.\n\n-- oneonone agenda --\n" +
		"Agenda: https://docs.example.com/1on1/frank?tab=notes,actions;v=2\n" +
		"- [ ] frank@example.org: send the Q2 numbers; ask finance, then Erin (since 2026-03-01)\n" +
		`- [ ] erin: review C:\temp\plan.docx (since 2026-03-02)` + "\n" +
		"Flow: check-in · progress and obstacles · two-way feedback · development · next steps\n" +
		"-- end oneonone agenda --"},
	{"unicode", "Café ☕ – notes 🎉 会议记录：下周继续 日本語のメモ 👩‍💻 Ünïcödé ✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅"},
	{"5000 chars", strings.Repeat("ab€d ", 1000)},
	{"specials", "a;b,c\\d\\n is not a newline\nline 2\r\nline 3\rline 4\n\n;;,,\\\\"},
	{"empty", ""},
}

// editTargets are the events of the fixtures the table test edits.
var editTargets = []struct {
	name   string
	file   string
	uid    string
	rid    string // RFC 3339; "" for the master
	zone   string // the zone rid is given in, and Parse's DefaultZone ("" = UTC)
	prefix string // the DESCRIPTION line up to its value: the old one's, or "DESCRIPTION:" when inserted; "" = any
	insert string // when the event has no DESCRIPTION: the line the new one must precede
}{
	{name: "apple master insert before VALARM", file: "edit_apple.ics", uid: "5C1A3E2F-8B7D-4F60-9A1B-2C3D4E5F6A7B",
		prefix: "DESCRIPTION:", insert: "BEGIN:VALARM"},
	{name: "apple override TZID", file: "edit_apple.ics", uid: "5C1A3E2F-8B7D-4F60-9A1B-2C3D4E5F6A7B",
		rid: "2026-03-12T11:00:00-07:00", zone: "America/Los_Angeles", prefix: "DESCRIPTION:"},
	{name: "apple override TZID given in UTC", file: "edit_apple.ics", uid: "5C1A3E2F-8B7D-4F60-9A1B-2C3D4E5F6A7B",
		rid: "2026-03-12T18:00:00Z", prefix: "DESCRIPTION:"},
	{name: "nextcloud master", file: "edit_nextcloud.ics", uid: "a7c1e9b2-3f4d-4c5e-8f6a-7b8c9d0e1f2a",
		prefix: "DESCRIPTION:"},
	{name: "nextcloud override insert before END", file: "edit_nextcloud.ics", uid: "a7c1e9b2-3f4d-4c5e-8f6a-7b8c9d0e1f2a",
		rid: "2026-02-23T10:00:00+01:00", zone: "Europe/Berlin", prefix: "DESCRIPTION:", insert: "END:VEVENT"},
	{name: "thunderbird master ALTREP", file: "edit_thunderbird.ics", uid: "b3f6a2c8-1d4e-4f5a-9b6c-7d8e9f0a1b2c",
		prefix: `DESCRIPTION;ALTREP="data:text/html,%3Cp%3EAgenda: see %3Ca href=%22https://wiki.example.co.uk/1on1%22%3Ethe doc%3C/a%3E%3C/p%3E":`},
	{name: "thunderbird override insert", file: "edit_thunderbird.ics", uid: "b3f6a2c8-1d4e-4f5a-9b6c-7d8e9f0a1b2c",
		rid: "2026-01-20T09:30:00Z", zone: "Europe/London", prefix: "DESCRIPTION:", insert: "END:VEVENT"},
	{name: "google master", file: "edit_google.ics", uid: "4q8r2s6t0u4v8w2x6y0z4a8b2c@google.com",
		prefix: "DESCRIPTION:"},
	{name: "google override Z", file: "edit_google.ics", uid: "4q8r2s6t0u4v8w2x6y0z4a8b2c@google.com",
		rid: "2026-03-17T15:00:00Z", prefix: "DESCRIPTION:"},
	{name: "outlook master LANGUAGE", file: "edit_outlook.ics",
		uid:    "040000008200E00074C5B7101A82E0080000000010F3C2A1A3A5DC01000000000000000010000000E5B2E6F0C7A44D4C9C3E8B9F4A2D1C3B",
		prefix: "DESCRIPTION;LANGUAGE=en-us:"},
	{name: "outlook override Windows TZID", file: "edit_outlook.ics",
		uid: "040000008200E00074C5B7101A82E0080000000010F3C2A1A3A5DC01000000000000000010000000E5B2E6F0C7A44D4C9C3E8B9F4A2D1C3B",
		rid: "2026-03-23T09:00:00+01:00", zone: "Europe/Berlin", prefix: "DESCRIPTION;LANGUAGE=en-us:"},
	{name: "xandikos all-day master", file: "edit_xandikos_allday.ics", uid: "allday-2f8e1c4a-6b3d-4e9f-a1c2-d3e4f5a6b7c8@example.org",
		prefix: "DESCRIPTION:"},
	{name: "xandikos override DATE", file: "edit_xandikos_allday.ics", uid: "allday-2f8e1c4a-6b3d-4e9f-a1c2-d3e4f5a6b7c8@example.org",
		rid: "2026-03-09T00:00:00Z", zone: "UTC", prefix: "DESCRIPTION:", insert: "BEGIN:VALARM"},
	{name: "xandikos override DATE read in Berlin", file: "edit_xandikos_allday.ics", uid: "allday-2f8e1c4a-6b3d-4e9f-a1c2-d3e4f5a6b7c8@example.org",
		rid: "2026-03-09T00:00:00+01:00", zone: "Europe/Berlin", prefix: "DESCRIPTION:", insert: "BEGIN:VALARM"},
	{name: "sloppy LF master lower-case TAB-folded", file: "edit_sloppy_lf.ics", uid: "sloppy-7d1e@example.net",
		prefix: "description;language=de:"},
	{name: "sloppy LF override floating duplicates", file: "edit_sloppy_lf.ics", uid: "sloppy-7d1e@example.net",
		rid: "2026-01-19T09:00:00+01:00", zone: "Europe/Berlin", prefix: "DESCRIPTION:"},
}

// editVariants are the forms each fixture is also tried in.
var editVariants = []struct {
	name string
	f    func([]byte) []byte
}{
	{"as stored", func(b []byte) []byte { return b }},
	{"other line ending", func(b []byte) []byte {
		if bytes.Contains(b, []byte("\r\n")) {
			return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		}
		return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	}},
	{"no final line ending", func(b []byte) []byte { return bytes.TrimRight(b, "\r\n") }},
}

func readEditFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func editZone(t testing.TB, name string) *time.Location {
	t.Helper()
	if name == "" {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestSetDescription(t *testing.T) {
	for _, tg := range editTargets {
		for _, d := range editDescs {
			for _, v := range editVariants {
				t.Run(tg.name+"/"+d.name+"/"+v.name, func(t *testing.T) {
					in := v.f(readEditFixture(t, tg.file))
					opt := ParseOptions{DefaultZone: editZone(t, tg.zone)}
					var rid time.Time
					if tg.rid != "" {
						r, err := time.Parse(time.RFC3339, tg.rid)
						if err != nil {
							t.Fatal(err)
						}
						rid = r
						if opt.DefaultZone != nil {
							rid = r.In(opt.DefaultZone)
						}
					}
					out, old, err := SetDescription(in, tg.uid, rid, d.desc)
					if err != nil {
						t.Fatalf("SetDescription: %v", err)
					}
					checkEdit(t, in, out, old, tg.uid, rid, opt, d.desc, tg.prefix, tg.insert)
				})
			}
		}
	}
}

// checkEdit checks out, the result of SetDescription(in, uid, rid, desc)
// that returned old: (1) Parse finds desc at the event, (2) every other
// field of every event is unchanged, (3) the bytes outside the edited
// DESCRIPTION content line are identical, (4) SEQUENCE is unchanged,
// (5) a second call changes nothing.
func checkEdit(t *testing.T, in, out []byte, old, uid string, rid time.Time, opt ParseOptions, desc, prefix, insert string) {
	t.Helper()
	want := strings.ReplaceAll(strings.ReplaceAll(desc, "\r\n", "\n"), "\r", "\n")
	before, berr := Parse(in, opt)
	after, aerr := Parse(out, opt)
	if berr == nil && aerr != nil {
		t.Errorf("Parse(out): %v", aerr)
	}
	ti := testFindEvent(before, uid, rid)
	if ti < 0 {
		t.Fatalf("event %q %v not in the input", uid, rid)
	}
	if old != before[ti].Description {
		t.Errorf("old = %q, want %q", old, before[ti].Description)
	}
	// (1) and (2), (4)
	if len(after) != len(before) {
		t.Fatalf("Parse(out) has %d events, want %d", len(after), len(before))
	}
	if after[ti].Description != want {
		t.Errorf("Description = %q, want %q", after[ti].Description, want)
	}
	if after[ti].Sequence != before[ti].Sequence {
		t.Errorf("SEQUENCE = %d, want %d", after[ti].Sequence, before[ti].Sequence)
	}
	for i := range before {
		if d := diffEvent(before[i], after[i], i == ti); len(d) > 0 {
			t.Errorf("event %d (%q %v) changed: %s", i, before[i].UID, before[i].RecurrenceID, strings.Join(d, "; "))
		}
	}
	// (3)
	if want == old {
		if !bytes.Equal(in, out) {
			t.Errorf("desc unchanged but the bytes changed")
		}
	} else {
		checkBytes(t, in, out, want, prefix, insert)
	}
	// (5)
	again, old2, err := SetDescription(out, uid, rid, desc)
	if err != nil {
		t.Fatalf("second SetDescription: %v", err)
	}
	if old2 != want || !bytes.Equal(again, out) {
		t.Errorf("second SetDescription changed the object (old %q)", old2)
	}
}

// checkBytes checks that out is in with one DESCRIPTION content line
// replaced or inserted, and that line is well formed.
func checkBytes(t *testing.T, in, out []byte, want, prefix, insert string) {
	t.Helper()
	checkLineBytes(t, in, out, "DESCRIPTION", want, prefix, insert)
}

// checkLineBytes checks that out is in with one content line named name
// replaced or inserted, and that line is well formed.
func checkLineBytes(t *testing.T, in, out []byte, name, want, prefix, insert string) {
	t.Helper()
	a, b := testChunks(in), testChunks(out)
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	removed, added := a[p:len(a)-s], b[p:len(b)-s]
	if len(added) != 1 || len(removed) > 1 {
		t.Fatalf("not one content line changed: removed %q, added %q", removed, added)
	}
	isDesc := func(c string) bool {
		c = strings.NewReplacer("\r\n ", "", "\r\n\t", "", "\n ", "", "\n\t", "").Replace(c)
		n := len(name)
		return len(c) > n+1 && strings.EqualFold(c[:n], name) && (c[n] == ':' || c[n] == ';')
	}
	if len(removed) == 1 && !isDesc(removed[0]) {
		t.Errorf("removed a line that is not a %s: %q", name, removed[0])
	}
	if insert != "" {
		if len(removed) != 0 {
			t.Errorf("expected an insert, removed %q", removed)
		}
		if len(b) <= p+1 || !strings.HasPrefix(b[p+1], insert) {
			t.Errorf("inserted line is not followed by %q", insert)
		}
	}
	eol := "\n"
	if bytes.Contains(in, []byte("\r\n")) {
		eol = "\r\n"
	}
	line := added[0]
	if !strings.HasSuffix(line, eol) || eol == "\n" && strings.HasSuffix(line, "\r\n") {
		t.Errorf("new line does not end with %q", eol)
	}
	phys := strings.Split(strings.TrimSuffix(line, eol), eol)
	var unfolded strings.Builder
	for i, l := range phys {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("physical line %d has a stray line ending: %q", i, l)
		}
		if len(l) > 75 {
			t.Errorf("physical line %d has %d octets", i, len(l))
		}
		if i > 0 {
			if !strings.HasPrefix(l, " ") {
				t.Fatalf("continuation line %d does not start with a space: %q", i, l)
			}
			l = l[1:]
		}
		if utf8.ValidString(want) && !utf8.ValidString(l) {
			t.Errorf("physical line %d splits a UTF-8 sequence: %q", i, l)
		}
		unfolded.WriteString(l)
	}
	esc := strings.NewReplacer(`\`, `\\`, `;`, `\;`, `,`, `\,`, "\n", `\n`).Replace(want)
	if got := unfolded.String(); prefix == "" && !strings.HasSuffix(got, ":"+esc) || prefix != "" && got != prefix+esc {
		t.Errorf("new line = %q\nwant       %q", got, prefix+esc)
	}
}

// testChunks cuts data into content lines, folds and line endings kept.
func testChunks(data []byte) []string {
	var out []string
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n') + 1
		if i == 0 {
			i = len(data)
		}
		l := string(data[:i])
		data = data[i:]
		if len(out) > 0 && (l[0] == ' ' || l[0] == '\t') {
			out[len(out)-1] += l
			continue
		}
		out = append(out, l)
	}
	return out
}

func testFindEvent(events []calendar.Event, uid string, rid time.Time) int {
	for i, e := range events {
		if e.UID == uid && (rid.IsZero() && !e.IsOverride() || !rid.IsZero() && e.RecurrenceID.Equal(rid)) {
			return i
		}
	}
	return -1
}

// diffEvent lists the fields in which a and b differ, Description left out
// when skipDesc.
func diffEvent(a, b calendar.Event, skipDesc bool) []string {
	var d []string
	str := func(name, x, y string) {
		if x != y {
			d = append(d, fmt.Sprintf("%s %q != %q", name, x, y))
		}
	}
	tm := func(name string, x, y time.Time) {
		if !x.Equal(y) || x.Location().String() != y.Location().String() {
			d = append(d, fmt.Sprintf("%s %v != %v", name, x, y))
		}
	}
	tms := func(name string, x, y []time.Time) {
		if len(x) != len(y) {
			d = append(d, fmt.Sprintf("%s %v != %v", name, x, y))
			return
		}
		for i := range x {
			tm(fmt.Sprintf("%s[%d]", name, i), x[i], y[i])
		}
	}
	str("Source", a.Source, b.Source)
	str("Calendar", a.Calendar, b.Calendar)
	str("Href", a.Href, b.Href)
	str("ETag", a.ETag, b.ETag)
	str("UID", a.UID, b.UID)
	str("ICalUID", a.ICalUID, b.ICalUID)
	str("Summary", a.Summary, b.Summary)
	if !skipDesc {
		str("Description", a.Description, b.Description)
	}
	str("AltDescription", a.AltDescription, b.AltDescription)
	str("Status", a.Status, b.Status)
	tm("Start", a.Start, b.Start)
	tm("End", a.End, b.End)
	if a.AllDay != b.AllDay || a.Floating != b.Floating || a.ThisAndFuture != b.ThisAndFuture || a.Sequence != b.Sequence {
		d = append(d, fmt.Sprintf("AllDay/Floating/ThisAndFuture/Sequence %v %v %v %d != %v %v %v %d",
			a.AllDay, a.Floating, a.ThisAndFuture, a.Sequence, b.AllDay, b.Floating, b.ThisAndFuture, b.Sequence))
	}
	if a.Organizer != b.Organizer {
		d = append(d, fmt.Sprintf("Organizer %+v != %+v", a.Organizer, b.Organizer))
	}
	if !slices.Equal(a.Attendees, b.Attendees) {
		d = append(d, fmt.Sprintf("Attendees %+v != %+v", a.Attendees, b.Attendees))
	}
	switch {
	case (a.Recurrence == nil) != (b.Recurrence == nil):
		d = append(d, "Recurrence nil-ness")
	case a.Recurrence != nil:
		if !slices.Equal(a.Recurrence.RRules, b.Recurrence.RRules) {
			d = append(d, fmt.Sprintf("RRules %q != %q", a.Recurrence.RRules, b.Recurrence.RRules))
		}
		tms("RDates", a.Recurrence.RDates, b.Recurrence.RDates)
		tms("ExDates", a.Recurrence.ExDates, b.Recurrence.ExDates)
		if !maps.EqualFunc(a.Recurrence.RDateEnds, b.Recurrence.RDateEnds, time.Time.Equal) {
			d = append(d, fmt.Sprintf("RDateEnds %v != %v", a.Recurrence.RDateEnds, b.Recurrence.RDateEnds))
		}
	}
	tm("RecurrenceID", a.RecurrenceID, b.RecurrenceID)
	tm("Modified", a.Modified, b.Modified)
	return d
}

func TestDiffEventKnowsEveryField(t *testing.T) {
	// diffEvent names Event's fields one by one: a new field must be added there.
	if n := reflect.TypeFor[calendar.Event]().NumField(); n != 21 {
		t.Errorf("Event has %d fields, diffEvent knows 21", n)
	}
	if n := reflect.TypeFor[calendar.Recurrence]().NumField(); n != 4 {
		t.Errorf("Recurrence has %d fields, diffEvent knows 4", n)
	}
}

func TestSetDescriptionUnchanged(t *testing.T) {
	files, err := filepath.Glob("testdata/edit_*.ics")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		events, err := Parse(data, ParseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range events {
			t.Run(filepath.Base(f)+"/"+e.RecurrenceID.Format(time.RFC3339), func(t *testing.T) {
				out, old, err := SetDescription(data, e.UID, e.RecurrenceID, e.Description)
				if err != nil {
					t.Fatal(err)
				}
				if old != e.Description {
					t.Errorf("old = %q, want %q", old, e.Description)
				}
				if !bytes.Equal(out, data) || len(out) > 0 && &out[0] != &data[0] {
					t.Errorf("same description: data not returned as it was")
				}
			})
		}
	}
}

func TestSetDescriptionFolding(t *testing.T) {
	in := readEditFixture(t, "edit_nextcloud.ics")
	const uid = "a7c1e9b2-3f4d-4c5e-8f6a-7b8c9d0e1f2a"
	a := func(n int) string { return strings.Repeat("a", n) }
	// "DESCRIPTION:" is 12 octets.
	tests := []struct {
		name  string
		desc  string
		first string // the first physical line of the new DESCRIPTION
		next  string // the start of the second one
	}{
		{"ascii fills 75", a(63) + "bc", "DESCRIPTION:" + a(63), " bc"},
		{"2-octet ends at 75", a(61) + "é", "DESCRIPTION:" + a(61) + "é", ""},
		{"2-octet across 75", a(62) + "é", "DESCRIPTION:" + a(62), " é"},
		{"3-octet across 75", a(62) + "☕x", "DESCRIPTION:" + a(62), " ☕x"},
		{"3-octet ends at 75", a(60) + "☕x", "DESCRIPTION:" + a(60) + "☕", " x"},
		{"4-octet across 75", a(61) + "🎉", "DESCRIPTION:" + a(61), " 🎉"},
		{"escape across 75", a(62) + ",b", "DESCRIPTION:" + a(62), ` \,b`},
		{"newline escape across 75", a(62) + "\nb", "DESCRIPTION:" + a(62), ` \nb`},
		{"CJK", strings.Repeat("会", 30), "DESCRIPTION:" + strings.Repeat("会", 21), " " + strings.Repeat("会", 9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := SetDescription(in, uid, time.Time{}, tt.desc)
			if err != nil {
				t.Fatal(err)
			}
			i := bytes.Index(out, []byte("\r\nDESCRIPTION:")) + 2
			lines := strings.Split(string(out[i:]), "\r\n")
			if lines[0] != tt.first {
				t.Errorf("first line (%d octets) = %q, want %q", len(lines[0]), lines[0], tt.first)
			}
			if tt.next != "" && lines[1] != tt.next {
				t.Errorf("second line = %q, want %q", lines[1], tt.next)
			}
			if tt.next == "" && strings.HasPrefix(lines[1], " ") {
				t.Errorf("unexpected continuation line %q", lines[1])
			}
			checkEdit(t, in, out, "Weekly 1:1.\n\nNotes live in the team folder: https://cloud.example.de/apps/files/?dir=/1on1/jonas",
				uid, time.Time{}, ParseOptions{}, tt.desc, "DESCRIPTION:", "")
		})
	}
}

func TestSetDescriptionDetails(t *testing.T) {
	t.Run("VALARM DESCRIPTION untouched", func(t *testing.T) {
		in := readEditFixture(t, "edit_apple.ics")
		out, _, err := SetDescription(in, "5C1A3E2F-8B7D-4F60-9A1B-2C3D4E5F6A7B", time.Time{}, "agenda")
		if err != nil {
			t.Fatal(err)
		}
		if n, m := bytes.Count(in, []byte("\r\nDESCRIPTION:Reminder\r\n")), bytes.Count(out, []byte("\r\nDESCRIPTION:Reminder\r\n")); n != 2 || m != 2 {
			t.Errorf("VALARM descriptions: %d before, %d after", n, m)
		}
		if !bytes.Contains(out, []byte("X-APPLE-CREATOR-TEAM-IDENTITY:0000000000\r\nDESCRIPTION:agenda\r\nBEGIN:VALARM\r\n")) {
			t.Errorf("DESCRIPTION not inserted before the VALARM:\n%s", out)
		}
	})
	t.Run("duplicate DESCRIPTION kept", func(t *testing.T) {
		in := readEditFixture(t, "edit_sloppy_lf.ics")
		rid := time.Date(2026, 1, 19, 9, 0, 0, 0, time.UTC)
		out, old, err := SetDescription(in, "sloppy-7d1e@example.net", rid, "new")
		if err != nil {
			t.Fatal(err)
		}
		if old != "First description: moved to Tuesday." {
			t.Errorf("old = %q", old)
		}
		if !bytes.Contains(out, []byte("summary:Kai / Lou 1:1 (moved)\nDESCRIPTION:new\norganizer:")) ||
			!bytes.Contains(out, []byte("\nDESCRIPTION:Second description\\, written by another client.\n")) {
			t.Errorf("first DESCRIPTION not replaced in place, or the second lost:\n%s", out)
		}
	})
	t.Run("lower-case name, parameters and TAB folding", func(t *testing.T) {
		in := readEditFixture(t, "edit_sloppy_lf.ics")
		out, _, err := SetDescription(in, "sloppy-7d1e@example.net", time.Time{}, "neu, mit Komma")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(out, []byte("summary:Kai / Lou 1:1\ndescription;language=de:neu\\, mit Komma\norganizer:")) {
			t.Errorf("old line not replaced as a whole:\n%s", out)
		}
		if bytes.Contains(out, []byte("\r")) {
			t.Errorf("CR written into an LF object")
		}
	})
	t.Run("BOM, X-WR-TIMEZONE and trailing data kept", func(t *testing.T) {
		in := append([]byte("\xef\xbb\xbf"), readEditFixture(t, "edit_google.ics")...)
		in = append(in, "\r\n\r\n"...)
		out, _, err := SetDescription(in, "4q8r2s6t0u4v8w2x6y0z4a8b2c@google.com", time.Date(2026, 3, 17, 15, 0, 0, 0, time.UTC), "x")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(out, []byte("\xef\xbb\xbfBEGIN:VCALENDAR\r\n")) || !bytes.HasSuffix(out, []byte("END:VCALENDAR\r\n\r\n\r\n")) {
			t.Errorf("BOM or trailing data changed")
		}
		checkEdit(t, in, out, "", "4q8r2s6t0u4v8w2x6y0z4a8b2c@google.com", time.Date(2026, 3, 17, 15, 0, 0, 0, time.UTC), ParseOptions{}, "x", "DESCRIPTION:", "")
	})
	t.Run("DATE RECURRENCE-ID of a DATE-TIME series", func(t *testing.T) {
		in := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n" +
			"BEGIN:VEVENT\r\nUID:d1\r\nDTSTART;TZID=Europe/Berlin:20260302T100000\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:s\r\nEND:VEVENT\r\n" +
			"BEGIN:VEVENT\r\nUID:d1\r\nRECURRENCE-ID;VALUE=DATE:20260309\r\nDTSTART;TZID=Europe/Berlin:20260310T100000\r\nSUMMARY:s\r\nEND:VEVENT\r\n" +
			"END:VCALENDAR\r\n")
		rid := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC) // 10:00 in Berlin
		out, _, err := SetDescription(in, "d1", rid, "moved")
		if err != nil {
			t.Fatal(err)
		}
		checkEdit(t, in, out, "", "d1", rid, ParseOptions{}, "moved", "DESCRIPTION:", "END:VEVENT")
		if !bytes.Contains(out, []byte("DTSTART;TZID=Europe/Berlin:20260310T100000\r\nSUMMARY:s\r\nDESCRIPTION:moved\r\nEND:VEVENT")) {
			t.Errorf("inserted into the wrong VEVENT:\n%s", out)
		}
	})
	t.Run("no DESCRIPTION and no line ending at the end of data", func(t *testing.T) {
		in := []byte("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u\nDTSTART:20260302T100000Z\nEND:VEVENT\nEND:VCALENDAR")
		out, _, err := SetDescription(in, "u", time.Time{}, "d")
		if err != nil {
			t.Fatal(err)
		}
		if want := "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u\nDTSTART:20260302T100000Z\nDESCRIPTION:d\nEND:VEVENT\nEND:VCALENDAR"; string(out) != want {
			t.Errorf("out = %q, want %q", out, want)
		}
	})
}

func TestSetDescriptionErrors(t *testing.T) {
	apple := readEditFixture(t, "edit_apple.ics")
	const uid = "5C1A3E2F-8B7D-4F60-9A1B-2C3D4E5F6A7B"
	overrideOnly := []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:o\r\nRECURRENCE-ID:20260302T100000Z\r\nDTSTART:20260303T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	tests := []struct {
		name     string
		data     []byte
		uid      string
		rid      time.Time
		notFound bool
		mention  []string
	}{
		{"unknown UID", apple, "nope", time.Time{}, true, []string{`"nope"`, "master"}},
		{"no override at that instant", apple, uid, time.Date(2026, 3, 12, 11, 0, 0, 0, time.UTC), true, []string{uid, "2026-03-12T11:00:00Z"}},
		{"master asked, only an override", overrideOnly, "o", time.Time{}, true, []string{`"o"`}},
		{"calendar without events", []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"), "x", time.Time{}, true, nil},
		{"not iCalendar", []byte("not ical at all"), "x", time.Time{}, false, nil},
		{"empty", nil, "x", time.Time{}, false, nil},
		{"truncated", apple[:200], uid, time.Time{}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := SetDescription(tt.data, tt.uid, tt.rid, "desc")
			if err == nil {
				t.Fatalf("no error; out:\n%s", out)
			}
			if errors.Is(err, calendar.ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v", err, !tt.notFound)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not name %s", err, m)
				}
			}
		})
	}
}

// TestSetDescriptionCorpus edits every event of every fixture in testdata/
// and, when ONEONONE_CORPUS points at it, of the public corpus/ics files.
func TestSetDescriptionCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.ics")
	if dir := os.Getenv("ONEONONE_CORPUS"); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "ics", "*", "*.ics"))
		if len(more) == 0 {
			t.Fatalf("no .ics files under %s/ics", dir)
		}
		files = append(files, more...)
	}
	const desc = "Notes.\n\n-- oneonone agenda --\nAgenda: https://docs.example.com/d/abc\n- [ ] bob: a, b; c (since 2026-03-01)\n-- end oneonone agenda --"
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		events, _ := Parse(data, ParseOptions{})
		step := max(1, len(events)/12) // big files: a dozen events spread over them
		for i, e := range events {
			if i%step != 0 || testFindEvent(events, e.UID, e.RecurrenceID) != i {
				continue // a second event with the same key: SetDescription edits the first
			}
			t.Run(filepath.Base(f)+"/"+e.RecurrenceID.Format(time.RFC3339), func(t *testing.T) {
				out, old, err := SetDescription(data, e.UID, e.RecurrenceID, desc)
				if err != nil {
					t.Fatal(err)
				}
				opt := ParseOptions{}
				if !e.RecurrenceID.IsZero() {
					opt.DefaultZone = e.RecurrenceID.Location()
				}
				checkEdit(t, data, out, old, e.UID, e.RecurrenceID, opt, desc, "", "")
			})
		}
	}
}

// changedChunks returns the content lines (testChunks) of before that out
// replaced, and those it put in their place: what lies between the longest
// common prefix and the longest common suffix.
func changedChunks(before, out []byte) (removed, added []string) {
	a, b := testChunks(before), testChunks(out)
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	return a[p : len(a)-s], b[p : len(b)-s]
}

func FuzzSetDescription(f *testing.F) {
	// Seeds: the edit fixtures with every description but the long one
	// (large seeds make minimizing slow), the other fixtures with one.
	files, _ := filepath.Glob("testdata/*.ics")
	for i, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for j, d := range editDescs {
			edit := strings.HasPrefix(filepath.Base(name), "edit_")
			if d.name == "5000 chars" || !edit && j > 0 {
				continue
			}
			f.Add(data, uint8(i+j), d.desc, "")
		}
	}
	f.Add(readEditFixture(f, "edit_apple.ics"), uint8(1), strings.Repeat("ab€d ", 200), "")
	f.Add([]byte("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u\nDTSTART:20260302T100000Z\nEND:VEVENT\nEND:VCALENDAR"), uint8(0), "x", "")
	f.Add([]byte("BEGIN:VEVENT\r\nUID:u\r\nDTSTART:20260302\r\ndescription;x=\"a:b\":c\r\n\td\r\nBEGIN:VALARM\r\nDESCRIPTION:r\r\n"), uint8(0), "é,;\\\n", "")
	f.Add([]byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), uint8(255), "x", "u")
	// UTF-16 with and without a byte order mark; Outlook's quoted TZID
	// that swallowed the value.
	utf16Src := string(vcal("BEGIN:VEVENT", "UID:u", "DTSTART:20260302T100000Z", "DESCRIPTION:x", "END:VEVENT"))
	f.Add(utf16Bytes(utf16Src, false, true), uint8(0), "y", "")
	f.Add(utf16Bytes(utf16Src, true, false), uint8(0), "y", "")
	f.Add(vcal("BEGIN:VEVENT", "UID:u", `DTSTART;TZID="W. Europe Standard Time:20200609T090000"`, "DESCRIPTION:x", "END:VEVENT"), uint8(0), "y", "")
	f.Fuzz(func(t *testing.T, data []byte, pick uint8, desc, uid string) {
		events, perr := Parse(data, ParseOptions{})
		var rid time.Time
		if len(events) > 0 && pick < 250 {
			e := events[int(pick)%len(events)]
			uid, rid = e.UID, e.RecurrenceID
		}
		out, old, err := SetDescription(data, uid, rid, desc)
		opt := ParseOptions{}
		if !rid.IsZero() {
			opt.DefaultZone = rid.Location()
		}
		before, _ := Parse(data, opt)
		ti := testFindEvent(before, uid, rid)
		if err != nil {
			if ti >= 0 && perr == nil {
				t.Fatalf("well-formed object, event there, but: %v", err)
			}
			if ti < 0 && len(before) > 0 && !errors.Is(err, calendar.ErrNotFound) {
				t.Fatalf("event not there: error %v does not wrap ErrNotFound", err)
			}
			return
		}
		if ti < 0 {
			t.Fatalf("no error, but the event is not there")
		}
		want := strings.ReplaceAll(strings.ReplaceAll(desc, "\r\n", "\n"), "\r", "\n")
		if old != before[ti].Description {
			t.Fatalf("old = %q, want %q", old, before[ti].Description)
		}
		if old == want {
			if !bytes.Equal(out, data) {
				t.Fatalf("same description, different bytes")
			}
			return
		}
		after, aerr := Parse(out, opt)
		if perr == nil && aerr != nil {
			t.Fatalf("Parse(out): %v", aerr)
		}
		if len(after) != len(before) {
			t.Fatalf("Parse(out) has %d events, want %d", len(after), len(before))
		}
		if after[ti].Description != want {
			t.Fatalf("Description = %q, want %q", after[ti].Description, want)
		}
		for i := range before {
			if d := diffEvent(before[i], after[i], i == ti); len(d) > 0 {
				t.Fatalf("event %d changed: %s", i, strings.Join(d, "; "))
			}
		}
		if perr == nil {
			if removed, added := changedChunks(data, out); len(added) != 1 || len(removed) > 1 {
				t.Fatalf("not one content line changed: removed %q, added %q", removed, added)
			}
		}
		again, old2, err := SetDescription(out, uid, rid, desc)
		if err != nil || old2 != want || !bytes.Equal(again, out) {
			t.Fatalf("second call: err %v, old %q, changed %v", err, old2, !bytes.Equal(again, out))
		}
	})
}
