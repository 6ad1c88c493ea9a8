package ical

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

// Where the X-ALT-DESC fixtures come from: the shared corpus
// (/work/shared/corpus/ics, $ONEONONE_CORPUS/ics) holds no X-ALT-DESC at
// all (grep -ril X-ALT-DESC finds nothing there), so there is no corpus file
// to cite. The objects below are shaped after Outlook's own exports, as in
// testdata/edit_outlook.ics: the property is X-ALT-DESC;FMTTYPE=text/html,
// its value a whole HTML document read as TEXT (RFC 5545 §3.3.11), with
// "\n" for its line breaks and "\," "\;" for commas and semicolons, folded
// at 75 octets, an escape split by a fold where it falls.

// altOutlook is an Outlook 16 object (CRLF): a recurring master whose HTML
// holds a comma and a semicolon, an override whose fold splits "\,", and a
// VALARM with a DESCRIPTION of its own.
var altOutlook = []byte(strings.Join([]string{
	"BEGIN:VCALENDAR",
	"PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
	"VERSION:2.0",
	"METHOD:PUBLISH",
	"BEGIN:VTIMEZONE",
	"TZID:W. Europe Standard Time",
	"BEGIN:STANDARD",
	"DTSTART:16011028T030000",
	"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
	"TZOFFSETFROM:+0200",
	"TZOFFSETTO:+0100",
	"END:STANDARD",
	"BEGIN:DAYLIGHT",
	"DTSTART:16010325T020000",
	"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
	"TZOFFSETFROM:+0100",
	"TZOFFSETTO:+0200",
	"END:DAYLIGHT",
	"END:VTIMEZONE",
	"BEGIN:VEVENT",
	`ATTENDEE;CN="Dan Wu";RSVP=TRUE:mailto:dan.wu@contoso.com`,
	"CLASS:PUBLIC",
	"CREATED:20260301T101500Z",
	`DESCRIPTION;LANGUAGE=en-us:Weekly 1:1\, agenda in the doc\; bring numbers.\n`,
	`DTEND;TZID="W. Europe Standard Time":20260309T093000`,
	"DTSTAMP:20260301T101500Z",
	`DTSTART;TZID="W. Europe Standard Time":20260309T090000`,
	`ORGANIZER;CN="Carla Rossi":mailto:carla.rossi@contoso.com`,
	"RRULE:FREQ=WEEKLY;BYDAY=MO;WKST=MO",
	"SEQUENCE:0",
	"SUMMARY;LANGUAGE=en-us:Carla / Dan",
	"UID:040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5DC01000000000000000",
	" 0100000001122334455667788990011223344556",
	`X-ALT-DESC;FMTTYPE=text/html:<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2//E`,
	` N">\n<HTML>\n<HEAD>\n<META NAME="Generator" CONTENT="MS Exchange Server ve`,
	` rsion rmj.rmm.rup.rpr">\n<TITLE></TITLE>\n</HEAD>\n<BODY>\n<!-- Converted `,
	` from text/rtf format -->\n\n<P DIR=LTR><SPAN LANG="en-us"><FONT FACE="Cali`,
	` bri">Weekly 1:1\, agenda in the doc\; bring numbers.</FONT></SPAN></P>\n\n`,
	` </BODY>\n</HTML>`,
	"X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
	"X-MICROSOFT-CDO-IMPORTANCE:1",
	"BEGIN:VALARM",
	"TRIGGER:-PT15M",
	"ACTION:DISPLAY",
	"DESCRIPTION:Reminder",
	"END:VALARM",
	"END:VEVENT",
	"BEGIN:VEVENT",
	`ATTENDEE;CN="Dan Wu";RSVP=TRUE:mailto:dan.wu@contoso.com`,
	`DESCRIPTION;LANGUAGE=en-us:Moved: I'm out Monday\, sorry.\n`,
	`DTEND;TZID="W. Europe Standard Time":20260317T143000`,
	"DTSTAMP:20260310T083000Z",
	`DTSTART;TZID="W. Europe Standard Time":20260317T140000`,
	`ORGANIZER;CN="Carla Rossi":mailto:carla.rossi@contoso.com`,
	`RECURRENCE-ID;TZID="W. Europe Standard Time":20260316T090000`,
	"SEQUENCE:1",
	"SUMMARY;LANGUAGE=en-us:Carla / Dan",
	"UID:040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5DC01000000000000000",
	" 0100000001122334455667788990011223344556",
	`X-ALT-DESC;FMTTYPE=text/html:<html><head><meta http-equiv="Content-Type" co`,
	` ntent="text/html\; charset=utf-8"></head><body><div>Moved: I'm out Monday\`,
	` , sorry.</div></body></html>`,
	"END:VEVENT",
	"END:VCALENDAR",
	"",
}, "\r\n"))

const (
	altOutlookUID = "040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5DC010000000000000000100000001122334455667788990011223344556"

	altOutlookMaster = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<HTML>\n<HEAD>\n" +
		"<META NAME=\"Generator\" CONTENT=\"MS Exchange Server version rmj.rmm.rup.rpr\">\n<TITLE></TITLE>\n</HEAD>\n<BODY>\n" +
		"<!-- Converted from text/rtf format -->\n\n" +
		"<P DIR=LTR><SPAN LANG=\"en-us\"><FONT FACE=\"Calibri\">Weekly 1:1, agenda in the doc; bring numbers.</FONT></SPAN></P>\n\n" +
		"</BODY>\n</HTML>"
	altOutlookOverride = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>` +
		`<body><div>Moved: I'm out Monday, sorry.</div></body></html>`
)

// altSloppy is an object with LF line endings from a bridge that writes
// the names in lower case and quotes FMTTYPE in upper case, puts a
// text/plain X-ALT-DESC before the HTML one, has an event without
// DESCRIPTION, and one (Google-shaped) without X-ALT-DESC.
var altSloppy = []byte(strings.Join([]string{
	"BEGIN:VCALENDAR",
	"VERSION:2.0",
	"PRODID:-//Example Bridge//EN",
	"BEGIN:VEVENT",
	"UID:bridge-1@example.net",
	"DTSTART:20260302T100000Z",
	"DTEND:20260302T103000Z",
	"RRULE:FREQ=WEEKLY",
	"SUMMARY:Ann / Bo",
	"X-ALT-DESC;FMTTYPE=text/plain:not this one",
	`x-alt-desc;FMTTYPE="TEXT/HTML";X-OTHER=1:<html><body><p>Bo\, Ann</p></body>`,
	"\t</html>",
	"END:VEVENT",
	"BEGIN:VEVENT",
	"UID:google-2@google.com",
	"DTSTART:20260303T100000Z",
	"DESCRIPTION:plain only",
	"END:VEVENT",
	"END:VCALENDAR",
	"",
}, "\n"))

var altTargets = []struct {
	name   string
	data   []byte
	uid    string
	rid    string // RFC 3339; "" for the master
	zone   string
	want   string // the AltDescription Parse reads
	prefix string // the X-ALT-DESC line up to its value
}{
	{"outlook master", altOutlook, altOutlookUID, "", "", altOutlookMaster, "X-ALT-DESC;FMTTYPE=text/html:"},
	{"outlook override", altOutlook, altOutlookUID, "2026-03-16T09:00:00+01:00", "Europe/Berlin", altOutlookOverride, "X-ALT-DESC;FMTTYPE=text/html:"},
	{"outlook override given in UTC", altOutlook, altOutlookUID, "2026-03-16T08:00:00Z", "", altOutlookOverride, "X-ALT-DESC;FMTTYPE=text/html:"},
	{"lower-case name, quoted upper-case FMTTYPE, after text/plain", altSloppy, "bridge-1@example.net", "", "",
		"<html><body><p>Bo, Ann</p></body></html>", `x-alt-desc;FMTTYPE="TEXT/HTML";X-OTHER=1:`},
	{"repository fixture edit_outlook.ics", nil,
		"040000008200E00074C5B7101A82E0080000000010F3C2A1A3A5DC01000000000000000010000000E5B2E6F0C7A44D4C9C3E8B9F4A2D1C3B",
		"2026-03-23T09:00:00+01:00", "Europe/Berlin",
		"<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<HTML>\n<BODY>\n<P DIR=LTR><SPAN LANG=\"en-us\">Moved: I'm out Monday.</SPAN></P>\n</BODY>\n</HTML>",
		"X-ALT-DESC;FMTTYPE=text/html:"},
}

// altHTMLs are the values the table test writes.
var altHTMLs = []struct{ name, html string }{
	{"outlook with block", strings.Replace(altOutlookMaster, "</BODY>",
		"<br><br>-- oneonone agenda --<br>Agenda: https://docs.example.com/d/abc?x=1,2;y=3<br>"+
			"- [ ] dan.wu@contoso.com: send the Q2 numbers; ask finance, then C:\\temp (since 2026-03-01)<br>"+
			"Flow: check-in · progress and obstacles · two-way feedback · development · next steps<br>"+
			"-- end oneonone agenda --</BODY>", 1)},
	{"specials", "a;b,c\\d\\n not a newline\nline 2\r\nline 3\rline 4\n;;,,\\\\"},
	{"unicode long", "<p>" + strings.Repeat("Café ☕ 会议 👩‍💻 ", 40) + "</p>"},
	{"empty", ""},
}

func altTarget(t testing.TB, data []byte, rid, zone string) ([]byte, time.Time, ParseOptions) {
	t.Helper()
	if data == nil {
		data = readEditFixture(t, "edit_outlook.ics")
	}
	var r time.Time
	opt := ParseOptions{}
	if rid != "" {
		var err error
		if r, err = time.Parse(time.RFC3339, rid); err != nil {
			t.Fatal(err)
		}
		if loc := editZone(t, zone); loc != nil {
			r = r.In(loc)
		}
		opt.DefaultZone = r.Location()
	}
	return data, r, opt
}

func TestParseAltDescription(t *testing.T) {
	for _, tg := range altTargets {
		t.Run(tg.name, func(t *testing.T) {
			data, rid, opt := altTarget(t, tg.data, tg.rid, tg.zone)
			events, err := Parse(data, opt)
			if err != nil {
				t.Fatal(err)
			}
			i := testFindEvent(events, tg.uid, rid)
			if i < 0 {
				t.Fatalf("event not found")
			}
			if got := events[i].AltDescription; got != tg.want {
				t.Errorf("AltDescription = %q\nwant             %q", got, tg.want)
			}
			if strings.Contains(events[i].Description, "<") {
				t.Errorf("Description took the HTML: %q", events[i].Description)
			}
		})
	}
	events, err := Parse(altSloppy, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g := events[1]; g.AltDescription != "" || g.Description != "plain only" {
		t.Errorf("event without X-ALT-DESC: AltDescription %q, Description %q", g.AltDescription, g.Description)
	}
	plain := []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:p\r\nDTSTART:20260302T100000Z\r\nX-ALT-DESC;FMTTYPE=text/plain:x\r\nX-ALT-DESC:y\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	if events, _ := Parse(plain, ParseOptions{}); len(events) != 1 || events[0].AltDescription != "" {
		t.Errorf("X-ALT-DESC without FMTTYPE=text/html read as HTML: %+v", events)
	}
}

func TestSetAltDescription(t *testing.T) {
	for _, tg := range altTargets {
		for _, h := range altHTMLs {
			for _, v := range editVariants {
				t.Run(tg.name+"/"+h.name+"/"+v.name, func(t *testing.T) {
					data, rid, opt := altTarget(t, tg.data, tg.rid, tg.zone)
					data = v.f(data)
					out, old, err := SetAltDescription(data, tg.uid, rid, h.html)
					if err != nil {
						t.Fatal(err)
					}
					if old != tg.want {
						t.Errorf("old = %q, want %q", old, tg.want)
					}
					checkAltEdit(t, data, out, tg.uid, rid, opt, h.html, tg.prefix)
				})
			}
		}
	}
}

// checkAltEdit checks what SetAltDescription(in, uid, rid, html) returned:
// the event reads html, nothing else of any event changed, one content
// line changed and it is the X-ALT-DESC with its name and parameters, and a
// second call changes nothing.
func checkAltEdit(t *testing.T, in, out []byte, uid string, rid time.Time, opt ParseOptions, html, prefix string) {
	t.Helper()
	want := strings.ReplaceAll(strings.ReplaceAll(html, "\r\n", "\n"), "\r", "\n")
	before, berr := Parse(in, opt)
	after, aerr := Parse(out, opt)
	if berr == nil && aerr != nil {
		t.Fatalf("Parse(out): %v", aerr)
	}
	ti := testFindEvent(before, uid, rid)
	if ti < 0 || len(after) != len(before) {
		t.Fatalf("event %d of %d; %d after", ti, len(before), len(after))
	}
	if after[ti].AltDescription != want {
		t.Errorf("AltDescription = %q, want %q", after[ti].AltDescription, want)
	}
	for i := range before {
		a, b := before[i], after[i]
		if i == ti {
			a.AltDescription, b.AltDescription = "", ""
		}
		if d := diffEvent(a, b, false); len(d) > 0 {
			t.Errorf("event %d changed: %s", i, strings.Join(d, "; "))
		}
	}
	if before[ti].AltDescription == want {
		if !bytes.Equal(in, out) {
			t.Errorf("same value, different bytes")
		}
	} else {
		checkLineBytes(t, in, out, "X-ALT-DESC", want, prefix, "")
	}
	again, old2, err := SetAltDescription(out, uid, rid, html)
	if err != nil || old2 != want || !bytes.Equal(again, out) {
		t.Errorf("second SetAltDescription: err %v, old %q, changed %v", err, old2, !bytes.Equal(again, out))
	}
}

// TestSetAltDescriptionAfterSetDescription applies the two edits one after
// the other to the same bytes, in both orders, as the write-back does.
func TestSetAltDescriptionAfterSetDescription(t *testing.T) {
	const desc = "Weekly 1:1, agenda in the doc; bring numbers.\n\n-- oneonone agenda --\nAgenda: https://docs.example.com/d/abc\n-- end oneonone agenda --"
	html := altHTMLs[0].html
	for _, tg := range altTargets {
		for _, v := range editVariants {
			t.Run(tg.name+"/"+v.name, func(t *testing.T) {
				data, rid, opt := altTarget(t, tg.data, tg.rid, tg.zone)
				data = v.f(data)
				d1, _, err := SetDescription(data, tg.uid, rid, desc)
				if err != nil {
					t.Fatal(err)
				}
				both, old, err := SetAltDescription(d1, tg.uid, rid, html)
				if err != nil {
					t.Fatalf("SetAltDescription after SetDescription: %v", err)
				}
				if old != tg.want {
					t.Errorf("old = %q, want %q", old, tg.want)
				}
				checkAltEdit(t, d1, both, tg.uid, rid, opt, html, tg.prefix)
				a1, _, err := SetAltDescription(data, tg.uid, rid, html)
				if err != nil {
					t.Fatal(err)
				}
				other, _, err := SetDescription(a1, tg.uid, rid, desc)
				if err != nil {
					t.Fatalf("SetDescription after SetAltDescription: %v", err)
				}
				if !bytes.Equal(both, other) {
					t.Errorf("the order of the edits matters:\n%s\n---\n%s", both, other)
				}
				events, _ := Parse(both, opt)
				e := events[testFindEvent(events, tg.uid, rid)]
				if e.Description != desc || e.AltDescription != html {
					t.Errorf("read back: Description %q, AltDescription %q", e.Description, e.AltDescription)
				}
			})
		}
	}
}

func TestSetAltDescriptionErrors(t *testing.T) {
	tests := []struct {
		name     string
		data     []byte
		uid      string
		rid      time.Time
		notFound bool
	}{
		{"event without X-ALT-DESC", altSloppy, "google-2@google.com", time.Time{}, true},
		{"only text/plain and no FMTTYPE", []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:p\r\nDTSTART:20260302T100000Z\r\nX-ALT-DESC;FMTTYPE=text/plain:x\r\nX-ALT-DESC:y\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), "p", time.Time{}, true},
		{"X-ALT-DESC only in a VALARM", []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260302T100000Z\r\nBEGIN:VALARM\r\nX-ALT-DESC;FMTTYPE=text/html:<p>x</p>\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), "a", time.Time{}, true},
		{"unknown UID", altOutlook, "nope", time.Time{}, true},
		{"no override at that instant", altOutlook, altOutlookUID, time.Date(2026, 3, 23, 8, 0, 0, 0, time.UTC), true},
		{"not iCalendar", []byte("not ical at all"), "x", time.Time{}, false},
		{"empty", nil, "x", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := SetAltDescription(tt.data, tt.uid, tt.rid, "<p>x</p>")
			if err == nil {
				t.Fatalf("no error; out:\n%s", out)
			}
			if errors.Is(err, calendar.ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v", err, !tt.notFound)
			}
			if !strings.Contains(err.Error(), tt.uid) {
				t.Errorf("error %q does not name the UID", err)
			}
		})
	}
}

// TestSetAltDescriptionCorpus edits the X-ALT-DESC of every event of the
// fixtures in testdata/ and, when ONEONONE_CORPUS points at it, of the
// public corpus/ics files; an event without one must give ErrNotFound.
func TestSetAltDescriptionCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.ics")
	if dir := os.Getenv("ONEONONE_CORPUS"); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "ics", "*", "*.ics"))
		if len(more) == 0 {
			t.Fatalf("no .ics files under %s/ics", dir)
		}
		files = append(files, more...)
	}
	html := altHTMLs[0].html
	edited := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		events, _ := Parse(data, ParseOptions{})
		step := max(1, len(events)/12)
		for i, e := range events {
			if i%step != 0 || testFindEvent(events, e.UID, e.RecurrenceID) != i {
				continue
			}
			t.Run(filepath.Base(f)+"/"+e.RecurrenceID.Format(time.RFC3339), func(t *testing.T) {
				out, _, err := SetAltDescription(data, e.UID, e.RecurrenceID, html)
				checkNoPanic(t, err)
				if !bytes.Contains(bytes.ToUpper(data), []byte("X-ALT-DESC")) {
					if !errors.Is(err, calendar.ErrNotFound) {
						t.Fatalf("no X-ALT-DESC in the file, but: %v", err)
					}
					return
				}
				if e.AltDescription == "" && errors.Is(err, calendar.ErrNotFound) {
					return // the event has none; another in the file has
				}
				if err != nil {
					t.Fatal(err)
				}
				edited++
				opt := ParseOptions{}
				if !e.RecurrenceID.IsZero() {
					opt.DefaultZone = e.RecurrenceID.Location()
				}
				checkAltEdit(t, data, out, e.UID, e.RecurrenceID, opt, html, "")
			})
		}
	}
	if edited == 0 {
		t.Errorf("no X-ALT-DESC edited: testdata/edit_outlook.ics has two")
	}
}

func FuzzSetAltDescription(f *testing.F) {
	for i, data := range [][]byte{altOutlook, altSloppy, readEditFixture(f, "edit_outlook.ics")} {
		for j, h := range altHTMLs {
			if h.name != "unicode long" {
				f.Add(data, uint8(i+j), h.html, "")
			}
		}
	}
	f.Add([]byte("BEGIN:VEVENT\nUID:u\nDTSTART:20260302\nX-ALT-DESC;FMTTYPE=\"text/html\":a\\\n\t,b\nBEGIN:VALARM\nX-ALT-DESC;FMTTYPE=text/html:r\n"), uint8(0), "é,;\\\n", "")
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTART:20260302T100000Z\r\nX-ALT-DESC;FMTTYPE=text/html:\r\nX-ALT-DESC;FMTTYPE=text/html:b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), uint8(0), "", "")
	f.Fuzz(func(t *testing.T, data []byte, pick uint8, html, uid string) {
		events, perr := Parse(data, ParseOptions{})
		var rid time.Time
		if len(events) > 0 && pick < 250 {
			e := events[int(pick)%len(events)]
			uid, rid = e.UID, e.RecurrenceID
		}
		out, old, err := SetAltDescription(data, uid, rid, html)
		checkNoPanic(t, err)
		opt := ParseOptions{}
		if !rid.IsZero() {
			opt.DefaultZone = rid.Location()
		}
		before, _ := Parse(data, opt)
		ti := testFindEvent(before, uid, rid)
		if err != nil {
			if ti >= 0 && perr == nil && before[ti].AltDescription != "" {
				t.Fatalf("well-formed object, event with X-ALT-DESC there, but: %v", err)
			}
			if ti < 0 && len(before) > 0 && !errors.Is(err, calendar.ErrNotFound) {
				t.Fatalf("event not there: error %v does not wrap ErrNotFound", err)
			}
			return
		}
		if ti < 0 {
			t.Fatalf("no error, but the event is not there")
		}
		want := strings.ReplaceAll(strings.ReplaceAll(html, "\r\n", "\n"), "\r", "\n")
		if old != before[ti].AltDescription {
			t.Fatalf("old = %q, want %q", old, before[ti].AltDescription)
		}
		if old == want {
			if !bytes.Equal(out, data) {
				t.Fatalf("same value, different bytes")
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
		if after[ti].AltDescription != want {
			t.Fatalf("AltDescription = %q, want %q", after[ti].AltDescription, want)
		}
		for i := range before {
			a, b := before[i], after[i]
			if i == ti {
				a.AltDescription, b.AltDescription = "", ""
			}
			if d := diffEvent(a, b, false); len(d) > 0 {
				t.Fatalf("event %d changed: %s", i, strings.Join(d, "; "))
			}
		}
		if perr == nil {
			if removed, added := changedChunks(data, out); len(added) != 1 || len(removed) != 1 {
				t.Fatalf("not one content line replaced: removed %q, added %q", removed, added)
			}
		}
		again, old2, err := SetAltDescription(out, uid, rid, html)
		if err != nil || old2 != want || !bytes.Equal(again, out) {
			t.Fatalf("second call: err %v, old %q, changed %v", err, old2, !bytes.Equal(again, out))
		}
		// The DESCRIPTION edit still works on the result, and leaves the
		// X-ALT-DESC as it is.
		if d, _, err := SetDescription(out, uid, rid, "d,;"); err == nil {
			if ev, _ := Parse(d, opt); len(ev) == len(after) && ev[ti].AltDescription != want {
				t.Fatalf("SetDescription after SetAltDescription changed AltDescription to %q", ev[ti].AltDescription)
			}
		}
	})
}

// checkNoPanic fails when err reports a recovered panic.
func checkNoPanic(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if s := err.Error(); strings.Contains(s, "internal error") || strings.Contains(s, "rule engine") || strings.Contains(s, "panic") {
		t.Fatalf("recovered panic: %v", err)
	}
}
