package ical

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"oneonone/calendar"
	"oneonone/calendar/recur"
)

func parseFixture(t *testing.T, name string, def *time.Location) ([]calendar.Event, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(b, ParseOptions{Href: name, DefaultZone: def})
}

// mustParse parses a fixture that must read without any problem.
func mustParse(t *testing.T, name string, def *time.Location) []calendar.Event {
	t.Helper()
	evs, err := parseFixture(t, name, def)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return evs
}

func byUID(t *testing.T, evs []calendar.Event, uid string, override bool) *calendar.Event {
	t.Helper()
	for i := range evs {
		if evs[i].UID == uid && evs[i].IsOverride() == override {
			return &evs[i]
		}
	}
	t.Fatalf("no event %q (override %v)", uid, override)
	return nil
}

// vcal wraps VEVENT lines (and optional VTIMEZONEs) into an object.
func vcal(lines ...string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCALENDAR\r\n")
}

func TestParseGoogle(t *testing.T) {
	evs := mustParse(t, "google_weekly_1on1.ics", nil)
	if len(evs) != 4 {
		t.Fatalf("%d events, want 4", len(evs))
	}
	m := byUID(t, evs, "5vq0d1b9k1s3l8c2n7m4o6p2qr@google.com", false)
	berlin := mustZone(t, "Europe/Berlin")
	if m.Start.Location().String() != "Europe/Berlin" || !m.Start.Equal(time.Date(2026, 3, 3, 10, 0, 0, 0, berlin)) || m.End.Sub(m.Start) != 30*time.Minute {
		t.Errorf("start %v end %v", m.Start, m.End)
	}
	if m.AllDay || m.Floating || m.Href != "google_weekly_1on1.ics" || m.Sequence != 2 || m.Status != calendar.StatusConfirmed {
		t.Errorf("flags: %+v", m)
	}
	if m.Summary != "Anna / Bob 1:1" {
		t.Errorf("summary %q", m.Summary)
	}
	if want := "Weekly 1:1, agenda in the doc:\nhttps://docs.example.com/d/abc\n\n-::~:~::~"; !strings.HasPrefix(m.Description, want) {
		t.Errorf("description %q", m.Description)
	}
	if m.Organizer != (calendar.Attendee{Email: "anna@example.com", Name: "Anna Schmidt"}) {
		t.Errorf("organizer %+v", m.Organizer)
	}
	want := []calendar.Attendee{
		{Email: "anna@example.com", Name: "Anna Schmidt", CUType: "INDIVIDUAL", PartStat: calendar.PartStatAccepted},
		{Email: "bob@example.com", Name: "bob@example.com", CUType: "INDIVIDUAL", PartStat: calendar.PartStatAccepted},
		{Email: "c_1889abcd0123@resource.calendar.google.com", Name: "Berlin-3-Spree (4)", CUType: calendar.CUTypeResource, PartStat: calendar.PartStatAccepted},
	}
	if len(m.Attendees) != len(want) {
		t.Fatalf("attendees %+v", m.Attendees)
	}
	for i := range want {
		if m.Attendees[i] != want[i] {
			t.Errorf("attendee %d: %+v, want %+v", i, m.Attendees[i], want[i])
		}
	}
	if h := m.Humans(); len(h) != 2 {
		t.Errorf("humans %+v, want anna and bob", h)
	}
	r := m.Recurrence
	if r == nil || len(r.RRules) != 1 || r.RRules[0] != "FREQ=WEEKLY;BYDAY=TU" || len(r.ExDates) != 3 || len(r.RDates) != 0 {
		t.Fatalf("recurrence %+v", r)
	}
	for i, d := range []int{17, 7, 14} {
		mo := time.April
		if i == 0 {
			mo = time.March
		}
		if !r.ExDates[i].Equal(time.Date(2026, mo, d, 10, 0, 0, 0, berlin)) {
			t.Errorf("EXDATE %d: %v", i, r.ExDates[i])
		}
	}
	o := byUID(t, evs, m.UID, true)
	if !o.RecurrenceID.Equal(time.Date(2026, 3, 10, 10, 0, 0, 0, berlin)) || o.ThisAndFuture || o.Recurrence != nil {
		t.Errorf("override %+v", o)
	}
	var cancelled *calendar.Event
	for i := range evs {
		if evs[i].Cancelled() {
			cancelled = &evs[i]
		}
	}
	if cancelled == nil || !cancelled.IsOverride() || cancelled.Organizer.Email != "" {
		t.Errorf("cancelled override: %+v", cancelled)
	}
	// Each has its own LAST-MODIFIED; the cancelled one has none, and its
	// DTSTAMP is when Google exported the calendar.
	if !m.Modified.Equal(time.Date(2026, 4, 20, 8, 15, 0, 0, time.UTC)) || !o.Modified.Equal(time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)) ||
		cancelled == nil || !cancelled.Modified.Equal(time.Date(2026, 4, 20, 8, 15, 0, 0, time.UTC)) {
		t.Errorf("Modified: master %v, moved %v, cancelled %+v", m.Modified, o.Modified, cancelled)
	}
}

func TestParseExchange(t *testing.T) {
	evs := mustParse(t, "exchange_1on1.ics", nil)
	uid := "040000008200E00074C5B7101A82E00800000000D0C7D1A1A3A5DC01000000000000000010000000C0FFEE1234567890ABCDEF0123456789"
	m := byUID(t, evs, uid, false)
	if m.Start.Location().String() != "Europe/Berlin" {
		t.Errorf("W. Europe Standard Time resolved to %v", m.Start.Location())
	}
	if m.Summary != "Carla / Dan" || m.Description != "Biweekly sync.\n" {
		t.Errorf("summary %q description %q", m.Summary, m.Description)
	}
	if len(m.Attendees) != 2 || m.Attendees[0].Email != "dan.wu@contoso.com" || m.Attendees[0].PartStat != calendar.PartStatNeedsAction || m.Attendees[0].Name != "Dan Wu" {
		t.Errorf("attendees %+v", m.Attendees)
	}
	if room := m.Attendees[1]; room.CUType != calendar.CUTypeRoom || room.Name != "Conf Room 4.12" || room.Human() {
		t.Errorf("room %+v", room)
	}
	if m.Recurrence == nil || m.Recurrence.RRules[0] != "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;WKST=MO;UNTIL=20260630T070000Z" || len(m.Recurrence.ExDates) != 2 {
		t.Errorf("recurrence %+v", m.Recurrence)
	}
	o := byUID(t, evs, uid, true)
	if !o.RecurrenceID.Equal(time.Date(2026, 4, 6, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("RECURRENCE-ID %v", o.RecurrenceID)
	}
}

func TestParseApple(t *testing.T) {
	evs := mustParse(t, "apple_1on1.ics", nil)
	m := byUID(t, evs, "7F3E1C5A-2B4D-4E6F-8A9B-0C1D2E3F4A5B", false)
	if m.Organizer.Email != "erin@icloud.example" || m.Organizer.Name != "Erin Park" {
		t.Errorf("organizer %+v: urn:uuid with EMAIL= should give the EMAIL", m.Organizer)
	}
	want := []calendar.Attendee{
		{Email: "erin@icloud.example", Name: "Erin Park", CUType: "INDIVIDUAL", PartStat: calendar.PartStatAccepted},
		{Email: "frank@example.org", Name: "Frank O'Neil", CUType: "INDIVIDUAL", PartStat: calendar.PartStatTentative},
	}
	for i := range want {
		if i >= len(m.Attendees) || m.Attendees[i] != want[i] {
			t.Errorf("attendees %+v, want %+v", m.Attendees, want)
			break
		}
	}
	if p := m.Participants(); len(p) != 2 {
		t.Errorf("participants %+v, want erin and frank once each", p)
	}
	la := mustZone(t, "America/Los_Angeles")
	if len(m.Recurrence.ExDates) != 1 || !m.Recurrence.ExDates[0].Equal(time.Date(2026, 3, 19, 11, 0, 0, 0, la)) {
		t.Errorf("EXDATE %v", m.Recurrence.ExDates)
	}
}

func TestParseAttendee(t *testing.T) {
	tests := []struct {
		name, line string
		want       calendar.Attendee
	}{
		{"mailto upper-case", "ATTENDEE;CN=Bob:MAILTO:Bob@Example.COM", calendar.Attendee{Email: "bob@example.com", Name: "Bob"}},
		{"apple urn:uuid", `ATTENDEE;CN="Eve";EMAIL="Eve@Example.com";PARTSTAT=declined:urn:uuid:1234`, calendar.Attendee{Email: "eve@example.com", Name: "Eve", PartStat: calendar.PartStatDeclined}},
		{"google room", "ATTENDEE;CUTYPE=resource;CN=Room;PARTSTAT=ACCEPTED:mailto:c_1@resource.calendar.google.com", calendar.Attendee{Email: "c_1@resource.calendar.google.com", Name: "Room", CUType: calendar.CUTypeResource, PartStat: calendar.PartStatAccepted}},
		{"exchange room", "ATTENDEE;CUTYPE=ROOM;CN=Room 1:mailto:room1@contoso.com", calendar.Attendee{Email: "room1@contoso.com", Name: "Room 1", CUType: calendar.CUTypeRoom}},
		{"bare address", "ATTENDEE:frank@example.org", calendar.Attendee{Email: "frank@example.org"}},
		{"RFC 6868 caret", "ATTENDEE;CN=^'Dr^' Who:mailto:who@example.org", calendar.Attendee{Email: "who@example.org", Name: `"Dr" Who`}},
		{"no address", "ORGANIZER:aaa", calendar.Attendee{}},
		{"mailto wins over EMAIL", "ATTENDEE;EMAIL=other@example.org:mailto:me@example.org", calendar.Attendee{Email: "me@example.org"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prop, err := parseContentLine(tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAttendee(prop); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

const vtzExchangeEastern = `BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16010101T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE`

func TestResolveTZID(t *testing.T) {
	comps := decodeComponents(t, vtzExchangeEastern+"\n"+`BEGIN:VTIMEZONE
TZID:Old Mozilla Name
X-LIC-LOCATION:Asia/Tokyo
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0900
TZOFFSETTO:+0900
END:STANDARD
END:VTIMEZONE`)
	def := mustZone(t, "Europe/Lisbon")
	r := newZoneResolver(comps, def)
	winter := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	summer := time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		tzid              string
		winterOff, sumOff int // hours east of UTC
		wantErr           bool
	}{
		{"Europe/Berlin", 1, 2, false},
		{`"America/New_York"`, -5, -4, false},
		{" Europe/Berlin ", 1, 2, false},
		{"Old Mozilla Name", 9, 9, false},                      // X-LIC-LOCATION
		{"/mozilla.org/20050126_1/Europe/Berlin", 1, 2, false}, // path-like
		{"/citadel.org/20190914_1/America/Argentina/Buenos_Aires", -3, -3, false},
		{"W. Europe Standard Time", 1, 2, false}, // Windows
		{"pacific standard time", -8, -7, false}, // Windows, any case
		{"Tokyo Standard Time", 9, 9, false},
		{"Customized Time Zone", -5, -4, false},            // built from VTIMEZONE
		{"(UTC+09:00) Osaka, Sapporo, Tokyo", 9, 9, false}, // Windows display name
		{"(UTC+05:30) Somewhere Unlisted", 0, 0, true},     // fixed offset, reported
		{"Atlantis/Capital", 0, 1, true},                   // default zone, reported
		{"Local", 0, 1, true},                              // never the host's zone
	}
	for _, tc := range tests {
		t.Run(tc.tzid, func(t *testing.T) {
			loc, err := r.resolve(tc.tzid)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), normalizeTZID(tc.tzid)) {
				t.Errorf("error %q does not name the TZID", err)
			}
			if strings.HasPrefix(tc.tzid, "(UTC+05:30) Somewhere") {
				if _, off := winter.In(loc).Zone(); off != 5*3600+1800 {
					t.Errorf("offset %d", off)
				}
				return
			}
			_, w := winter.In(loc).Zone()
			_, s := summer.In(loc).Zone()
			if w != tc.winterOff*3600 || s != tc.sumOff*3600 {
				t.Errorf("offsets %d/%d, want %d/%d h", w/3600, s/3600, tc.winterOff, tc.sumOff)
			}
		})
	}
}

func decodeComponents(t *testing.T, s string) []*ical.Component {
	t.Helper()
	cals, errs := decodeLenient([]byte("BEGIN:VCALENDAR\n" + s + "\nEND:VCALENDAR\n"))
	if len(errs) > 0 || len(cals) != 1 {
		t.Fatalf("decode: %v", errs)
	}
	return cals[0].Children
}

// A location built from a VTIMEZONE must agree with the IANA zone it
// describes, transitions included.
func TestVTimezoneTransitions(t *testing.T) {
	loc, err := locationFromVTimezone("Customized Time Zone", decodeComponents(t, vtzExchangeEastern)[0])
	if err != nil {
		t.Fatal(err)
	}
	ny := mustZone(t, "America/New_York")
	for ts := time.Date(2007, 1, 1, 0, 0, 0, 0, time.UTC); ts.Year() < 2040; ts = ts.Add(97 * time.Minute * 13) {
		_, got := ts.In(loc).Zone()
		_, want := ts.In(ny).Zone()
		if got != want {
			t.Fatalf("%v: offset %d, New York has %d", ts, got, want)
		}
	}
	// RDATE-only observances (no RRULE), as some servers write them.
	comps := decodeComponents(t, `BEGIN:VTIMEZONE
TZID:Lagoon
BEGIN:STANDARD
DTSTART:20250101T000000
RDATE:20251026T030000,20261025T030000
TZOFFSETFROM:+0330
TZOFFSETTO:+0300
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:20250330T020000
RDATE:20260329T020000
TZOFFSETFROM:+0300
TZOFFSETTO:+0330
TZNAME:LGD
END:DAYLIGHT
END:VTIMEZONE`)
	loc, err = locationFromVTimezone("Lagoon", comps[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Time
		off  int
		name string
	}{
		{time.Date(2026, 3, 28, 22, 59, 0, 0, time.UTC), 3 * 3600, "+0300"},
		{time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), 3*3600 + 1800, "LGD"},
		{time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), 3*3600 + 1800, "LGD"},
		{time.Date(2026, 10, 24, 23, 29, 0, 0, time.UTC), 3*3600 + 1800, "LGD"},
		{time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), 3 * 3600, "+0300"},
	} {
		if name, off := tc.at.In(loc).Zone(); off != tc.off || name != tc.name {
			t.Errorf("%v: %s %d, want %s %d", tc.at, name, off, tc.name, tc.off)
		}
	}
}

// RFC 5545 §3.3.5: a local time that occurs twice is the first one; one in
// a gap is read with the offset from before the gap.
func TestInZone(t *testing.T) {
	berlin, ny := mustZone(t, "Europe/Berlin"), mustZone(t, "America/New_York")
	tests := []struct {
		name string
		wall time.Time
		loc  *time.Location
		want time.Time
	}{
		{"plain", time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), berlin, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)},
		{"gap Berlin", time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC), berlin, time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		{"overlap Berlin", time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC), berlin, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
		{"gap New York", time.Date(2026, 3, 8, 2, 30, 0, 0, time.UTC), ny, time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)},
		{"overlap New York", time.Date(2026, 11, 1, 1, 30, 0, 0, time.UTC), ny, time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := recur.InZone(tc.wall, tc.loc); !got.Equal(tc.want) || got.Location() != tc.loc {
				t.Errorf("got %v (%v), want %v", got, got.UTC(), tc.want)
			}
		})
	}
}

func TestParseZones(t *testing.T) {
	t.Run("thunderbird", func(t *testing.T) {
		evs := mustParse(t, "thunderbird_mozilla_tzid.ics", nil)
		m := byUID(t, evs, "tb-3c1a8f7e-1on1", false)
		if m.Start.Location().String() != "Europe/Berlin" {
			t.Errorf("mozilla TZID resolved to %v", m.Start.Location())
		}
		oh := byUID(t, evs, "tb-office-hours", false)
		if oh.Start.Location().String() != "America/New_York" || oh.End.Sub(oh.Start) != 45*time.Minute {
			t.Errorf("X-LIC-LOCATION zone %v, DURATION end %v", oh.Start.Location(), oh.End)
		}
	})
	t.Run("custom", func(t *testing.T) {
		evs, err := parseFixture(t, "custom_vtimezone.ics", mustZone(t, "Europe/Lisbon"))
		if err == nil {
			t.Fatal("unknown TZID not reported")
		}
		msg := err.Error()
		for _, want := range []string{
			`parse custom_vtimezone.ics: event "unknown-zone": DTSTART: unknown time zone "Atlantis/Capital": using Europe/Lisbon`,
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
		if strings.Count(msg, "\n") != 0 {
			t.Errorf("want exactly one one-line error (a Windows display name is no problem), got %q", msg)
		}
		if len(evs) != 4 {
			t.Fatalf("%d events, want all 4", len(evs))
		}
		if d := byUID(t, evs, "display-name-zone", false); d.Start.Location().String() != "Asia/Kolkata" || d.Start.Hour() != 10 {
			t.Errorf("display-name zone: %v, want 10:00 Asia/Kolkata", d.Start)
		}
		u := byUID(t, evs, "unknown-zone", false)
		if u.Start.Location().String() != "Europe/Lisbon" || u.Start.Hour() != 8 {
			t.Errorf("unknown zone: %v, want 08:00 in the default zone", u.Start)
		}
		c := byUID(t, evs, "custom-tz-weekly", false)
		if c.Start.Location().String() != "Customized Time Zone" || !c.Start.Equal(time.Date(2026, 3, 2, 15, 30, 0, 0, time.UTC)) {
			t.Errorf("custom zone start %v", c.Start)
		}
	})
	t.Run("floating", func(t *testing.T) {
		evs := mustParse(t, "floating.ics", mustZone(t, "Asia/Tokyo"))
		ny := mustZone(t, "America/New_York")
		f := byUID(t, evs, "floating-weekly", false)
		if !f.Floating || f.Start.Location().String() != "America/New_York" || !f.Start.Equal(time.Date(2026, 3, 2, 9, 0, 0, 0, ny)) {
			t.Errorf("floating: %v floating=%v, want 09:00 in X-WR-TIMEZONE", f.Start, f.Floating)
		}
		a := byUID(t, evs, "allday-weekly", false)
		if !a.AllDay || a.Floating || !a.Start.Equal(time.Date(2026, 3, 6, 0, 0, 0, 0, ny)) || !a.End.Equal(time.Date(2026, 3, 7, 0, 0, 0, 0, ny)) {
			t.Errorf("all-day: %v-%v all-day=%v", a.Start, a.End, a.AllDay)
		}
	})
	t.Run("default zone", func(t *testing.T) {
		tokyo := mustZone(t, "Asia/Tokyo")
		evs, err := Parse(vcal("BEGIN:VEVENT", "UID:x", "DTSTART:20260302T090000", "END:VEVENT",
			"BEGIN:VEVENT", "UID:y", "DTSTART;VALUE=DATE:20260302", "END:VEVENT"), ParseOptions{DefaultZone: tokyo})
		if err != nil || len(evs) != 2 {
			t.Fatal(evs, err)
		}
		if evs[0].Href != "" {
			t.Errorf("Href %q, want the empty one given", evs[0].Href)
		}
		if evs[0].Start.Location() != tokyo || evs[0].Start.Hour() != 9 || !evs[0].Floating {
			t.Errorf("floating %v", evs[0].Start)
		}
		if evs[1].Start.Location() != tokyo || evs[1].Start.Hour() != 0 || !evs[1].AllDay {
			t.Errorf("date %v", evs[1].Start)
		}
		evs, _ = Parse(vcal("BEGIN:VEVENT", "UID:x", "DTSTART:20260302T090000", "END:VEVENT"), ParseOptions{})
		if evs[0].Start.Location() != time.UTC {
			t.Errorf("nil DefaultZone: %v, want UTC", evs[0].Start.Location())
		}
	})
}

func TestParseMalformed(t *testing.T) {
	evs, err := parseFixture(t, "malformed.ics", nil)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		`parse malformed.ics: event "bad-date": DTSTART: invalid value "20241301T090000Z"`,
		`parse malformed.ics: event "bad-freq": RRULE: invalid FREQ "FORTNIGHTLY": rule ignored`,
		`parse malformed.ics: event "end-before-start": DTEND: 2026-03-02T08:00:00Z before DTSTART 2026-03-02T09:00:00Z: ignored`,
		`parse malformed.ics: line 16: malformed content line`,
		`parse malformed.ics: line 52: VEVENT not terminated`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	for _, l := range strings.Split(msg, "\n") {
		if !strings.HasPrefix(l, "parse malformed.ics: ") {
			t.Errorf("error line %q does not name the object", l)
		}
	}
	uids := map[string]*calendar.Event{}
	for i := range evs {
		uids[evs[i].UID] = &evs[i]
	}
	if len(evs) != 7 || uids["bad-date"] != nil {
		t.Errorf("events %v: want all but bad-date", len(evs))
	}
	if e := uids["bad-freq"]; e == nil || e.Recurrence != nil {
		t.Errorf("bad FREQ: %+v, want the event without recurrence", e)
	}
	if e := uids["end-before-start"]; e == nil || !e.End.Equal(e.Start) {
		t.Errorf("END before START: %+v", e)
	}
	if e := uids["duplicate-rrule"]; e == nil || len(e.Recurrence.RRules) != 2 || e.End.Sub(e.Start) != time.Hour {
		t.Errorf("duplicate RRULE: %+v", e)
	}
	if e := uids["no-dtend-timed"]; e == nil || !e.End.Equal(e.Start) {
		t.Errorf("missing DTEND (date-time): %+v", e)
	}
	if e := uids["no-dtend-date"]; e == nil || e.End.Sub(e.Start) != 24*time.Hour {
		t.Errorf("missing DTEND (date): %+v", e)
	}
	if e := uids["unterminated"]; e == nil || e.Start.Hour() != 12 {
		t.Errorf("unterminated VEVENT: %+v", e)
	}
}

func TestParseLenient(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		events  int
		wantErr string
	}{
		{"BOM", "\xef\xbb\xbf" + string(vcal("BEGIN:VEVENT", "UID:a", "DTSTART:20260302T090000Z", "END:VEVENT")), 1, ""},
		{"LF only", strings.ReplaceAll(string(vcal("BEGIN:VEVENT", "UID:a", "DTSTART:20260302T090000Z", "END:VEVENT")), "\r", ""), 1, ""},
		{"bare VEVENT", "BEGIN:VEVENT\nUID:a\nDTSTART:20260302T090000Z\nEND:VEVENT\n", 1, "invalid toplevel component"},
		{"quoted TZID swallowing the value (Outlook; go-ical panics)", string(vcal("BEGIN:VEVENT", "UID:a", `DTSTART;TZID="W. Europe Standard Time:20200609T090000"`, "END:VEVENT")), 1, `line 6: DTSTART: a quoted TZID swallowed the value: read as TZID "W. Europe Standard Time", value 20200609T090000`},
		{"two calendars", string(vcal("BEGIN:VEVENT", "UID:a", "DTSTART:20260302T090000Z", "END:VEVENT")) + string(vcal("BEGIN:VEVENT", "UID:b", "DTSTART:20260302T090000Z", "END:VEVENT")), 2, ""},
		{"empty", "", 0, "no VCALENDAR found"},
		{"garbage", "\x00\x01\x02 not a calendar", 0, "malformed content line"},
		{"no events", string(vcal("BEGIN:VTODO", "UID:t", "END:VTODO")), 0, ""},
		{"missing DTSTART", string(vcal("BEGIN:VEVENT", "UID:a", "END:VEVENT")), 0, `event "a": DTSTART: missing: event dropped`},
		{"override without DTSTART", string(vcal("BEGIN:VEVENT", "UID:a", "RECURRENCE-ID:20260302T090000Z", "END:VEVENT")), 1, ""},
		{"missing UID", string(vcal("BEGIN:VEVENT", "DTSTART:20260302T090000Z", "END:VEVENT")), 1, `event "#1": UID: missing`},
		{"UTC with TZID", string(vcal("BEGIN:VEVENT", "UID:a", "DTSTART;TZID=Europe/Berlin:20260302T090000Z", "END:VEVENT")), 1, "TZID ignored"},
		{"Google DATE with Z", string(vcal("BEGIN:VEVENT", "UID:a", "DTSTART;VALUE=DATE:20141210", "RDATE:20131210Z", "END:VEVENT")), 1, ""},
		{"bad SEQUENCE", string(vcal("BEGIN:VEVENT", "UID:a", "DTSTART:20260302T090000Z", "SEQUENCE:two", "END:VEVENT")), 1, `SEQUENCE: invalid value "two"`},
		{"bad EXDATE", string(vcal("BEGIN:VEVENT", "UID:a", "DTSTART:20260302T090000Z", "RRULE:FREQ=DAILY", "EXDATE;VALUE=DATE:", "END:VEVENT")), 1, `EXDATE: invalid value ""`},
		{"unknown rule part", string(vcal("BEGIN:VEVENT", "UID:a", "DTSTART:20260302T090000Z", "RRULE:FREQ=WEEKLY;UNTL=20261023", "END:VEVENT")), 1, `RRULE: unknown part "UNTL" ignored`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := Parse([]byte(tc.data), ParseOptions{Href: "t.ics"})
			if len(evs) != tc.events {
				t.Errorf("%d events, want %d (err %v)", len(evs), tc.events, err)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
			if tc.events == 0 && evs != nil {
				t.Errorf("events %v, want nil", evs)
			}
		})
	}
}

func TestParseText(t *testing.T) {
	for _, v := range []string{`plain`, `a\, b\; c\\d\ne`, `line\Nbreak`} {
		p := &ical.Prop{Name: "SUMMARY", Params: ical.Params{}, Value: v}
		want, err := p.Text()
		if err != nil {
			t.Fatal(err)
		}
		if got := text(p); got != want || unescapeText(v) != want {
			t.Errorf("%q: got %q / %q, go-ical %q", v, got, unescapeText(v), want)
		}
	}
	// Where go-ical gives up or cuts, keep the text.
	for v, want := range map[string]string{`Lunch, team`: "Lunch, team", `a\:b`: "a:b", `trailing\`: `trailing\`} {
		if got := text(&ical.Prop{Name: "SUMMARY", Params: ical.Params{}, Value: v}); got != want {
			t.Errorf("%q: got %q, want %q", v, got, want)
		}
	}
}

func TestWindowsZones(t *testing.T) {
	if len(windowsZones) < 135 {
		t.Errorf("%d Windows zones, want the ~140 of CLDR", len(windowsZones))
	}
	for win, iana := range windowsZones {
		if _, err := time.LoadLocation(iana); err != nil {
			t.Errorf("%q -> %q: %v", win, iana, err)
		}
	}
}

func TestGroupEvents(t *testing.T) {
	evs, err := Parse(vcal(
		"BEGIN:VEVENT", "UID:b", "DTSTART:20260302T090000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:a", "SEQUENCE:1", "SUMMARY:old", "DTSTART:20260302T090000Z", "RRULE:FREQ=DAILY", "END:VEVENT",
		"BEGIN:VEVENT", "UID:a", "RECURRENCE-ID:20260305T090000Z", "SEQUENCE:1", "SUMMARY:late v1", "DTSTART:20260305T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:a", "RECURRENCE-ID:20260303T090000Z", "DTSTART:20260303T100000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:a", "SEQUENCE:2", "SUMMARY:new", "DTSTART:20260302T090000Z", "RRULE:FREQ=DAILY", "END:VEVENT",
		"BEGIN:VEVENT", "UID:a", "SEQUENCE:0", "SUMMARY:stale", "DTSTART:20260302T090000Z", "RRULE:FREQ=DAILY", "END:VEVENT",
		"BEGIN:VEVENT", "UID:a", "RECURRENCE-ID:20260305T090000Z", "SEQUENCE:2", "SUMMARY:late v2", "DTSTART:20260305T110000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:c", "RECURRENCE-ID:20260305T090000Z", "DTSTART:20260305T110000Z", "END:VEVENT",
	), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gs := recur.GroupEvents(evs)
	if len(gs) != 3 || gs[0].UID != "b" || gs[1].UID != "a" || gs[2].UID != "c" {
		t.Fatalf("groups %+v", gs)
	}
	a := gs[1]
	if a.Master.Summary != "new" {
		t.Errorf("master %q, want the highest SEQUENCE", a.Master.Summary)
	}
	if len(a.Overrides) != 2 || a.Overrides[0].RecurrenceID.Day() != 3 || a.Overrides[1].Summary != "late v2" {
		t.Errorf("overrides %+v", a.Overrides)
	}
	if gs[2].Master != nil || len(gs[2].Overrides) != 1 {
		t.Errorf("orphan group %+v", gs[2])
	}
	if gs[0].Master != &evs[0] {
		t.Error("groups should point into the events")
	}
}

// TestParseSecondCalendarCutShort: go-ical ends with io.EOF inside a cut
// VCALENDAR too; its events must still be read, with an error.
func TestParseSecondCalendarCutShort(t *testing.T) {
	one := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nSUMMARY:A\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	two := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260106T100000Z\r\nSUMMARY:B\r\n"
	evs, err := Parse([]byte(one+two), ParseOptions{Href: "cut.ics"})
	if err == nil {
		t.Error("a cut-short VCALENDAR gave no error")
	}
	if len(evs) != 2 {
		t.Fatalf("%d events, want both", len(evs))
	}
}

// BenchmarkUnfoldLongFoldedLine: a 1 MB folded property must cost linear time.
func BenchmarkUnfoldLongFoldedLine(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("ATTACH:")
	for range 15000 {
		sb.WriteString(strings.Repeat("A", 74) + "\r\n ")
	}
	sb.WriteString("END\r\n")
	data := []byte(sb.String())
	for b.Loop() {
		if n := len(unfold(data)); n != 1 {
			b.Fatalf("%d lines", n)
		}
	}
}

// Wall-clock correctness: a weekly 09:00 meeting stays at 09:00 local time
// across both DST changes, in the IANA zone and in a VTIMEZONE-built one.
func TestExpandAcrossDST(t *testing.T) {
	for _, tzid := range []string{"America/New_York", "Customized Time Zone"} {
		t.Run(tzid, func(t *testing.T) {
			evs, err := Parse(vcal(strings.ReplaceAll(vtzExchangeEastern, "\n", "\r\n"),
				"BEGIN:VEVENT", "UID:x", "DTSTART;TZID="+tzid+":20260101T090000", "RRULE:FREQ=WEEKLY;BYDAY=TH", "END:VEVENT"), ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ins, err := recur.Expand(recur.GroupEvents(evs)[0], time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), recur.ExpandOptions{})
			if err != nil || len(ins) != 53 {
				t.Fatalf("%d instances, %v", len(ins), err)
			}
			offsets := map[int]int{}
			for _, i := range ins {
				if h, m := i.Start.Hour(), i.Start.Minute(); h != 9 || m != 0 || i.Start.Weekday() != time.Thursday {
					t.Errorf("instance at %v", i.Start)
				}
				_, off := i.Start.Zone()
				offsets[off/3600]++
			}
			if offsets[-5] == 0 || offsets[-4] == 0 {
				t.Errorf("offsets %v: want both EST and EDT", offsets)
			}
		})
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Modified is LAST-MODIFIED, else DTSTAMP, in UTC; a value that cannot be
// read is reported and ignored, and the event is kept.
func TestParseModified(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props []string
		want  time.Time
		err   string
	}{
		{"last-modified", []string{"DTSTAMP:20260301T080000Z", "LAST-MODIFIED:20260302T091500Z"}, time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC), ""},
		{"dtstamp", []string{"DTSTAMP:20260301T080000Z"}, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), ""},
		{"neither", nil, time.Time{}, ""},
		{"tzid", []string{"LAST-MODIFIED;TZID=Europe/Berlin:20260302T101500"}, time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC), ""},
		{"floating", []string{"LAST-MODIFIED:20260302T101500"}, time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC), ""},
		{"bad, then dtstamp", []string{"LAST-MODIFIED:yesterday", "DTSTAMP:20260301T080000Z"}, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
			`LAST-MODIFIED: invalid value "yesterday": ignored`},
		{"date", []string{"LAST-MODIFIED;VALUE=DATE:20260302"}, time.Time{}, `LAST-MODIFIED: DATE "20260302", not a DATE-TIME: ignored`},
		{"both bad", []string{"LAST-MODIFIED:x", "DTSTAMP:2026-03-01"}, time.Time{}, `DTSTAMP: invalid value "2026-03-01": ignored`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := append([]string{"BEGIN:VEVENT", "UID:m", "DTSTART;TZID=Europe/Berlin:20260305T100000", "DURATION:PT30M"}, tc.props...)
			evs, err := Parse(vcal(append(lines, "END:VEVENT")...), ParseOptions{Href: "m.ics", DefaultZone: mustZone(t, "Europe/Berlin")})
			if len(evs) != 1 {
				t.Fatalf("%d events, %v", len(evs), err)
			}
			if got := evs[0].Modified; !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("Modified %v, want %v", got, tc.want)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
	// An override has its own.
	evs, err := Parse(vcal("BEGIN:VEVENT", "UID:r", "DTSTAMP:20260201T080000Z", "DTSTART:20260302T090000Z", "RRULE:FREQ=WEEKLY", "END:VEVENT",
		"BEGIN:VEVENT", "UID:r", "DTSTAMP:20260201T080000Z", "LAST-MODIFIED:20260308T170000Z", "RECURRENCE-ID:20260309T090000Z", "DTSTART:20260310T090000Z", "END:VEVENT"),
		ParseOptions{Href: "r.ics"})
	if err != nil || len(evs) != 2 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	if m, o := byUID(t, evs, "r", false), byUID(t, evs, "r", true); !m.Modified.Equal(time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)) ||
		!o.Modified.Equal(time.Date(2026, 3, 8, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("master %v, override %v", m.Modified, o.Modified)
	}
}
