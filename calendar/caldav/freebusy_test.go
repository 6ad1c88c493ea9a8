package caldav

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/internal/davtest"
)

// Free/busy against the real servers, as measured here (Dec 2030, the
// servers in UTC):
//
//   - sabre/dav 4.7: outbox /remote.php/dav/calendars/anna/outbox/ from the
//     principal; answers the POST with a schedule-response, 2.0;Success and
//     FREEBUSY start/end periods for anna and zoe, 3.7;Could not find
//     principal for an external address. Recurrences are expanded with
//     their EXDATE, TRANSP:TRANSPARENT is left out, an all-day event is
//     busy midnight to midnight UTC. No message logged.
//   - Cyrus 3.6: outbox /dav/calendars/user/anna/Outbox/; the same spans,
//     calendar-data in CDATA with a content-type attribute, periods
//     start/duration for the all-day event (20301211T000000Z/P1D);
//     5.1;Service unavailable for an external address. No message logged.
//   - Radicale 3.1.8: no outbox, and no free-busy-query: it answers the
//     REPORT 207 with the calendar's hrefs (as a calendar-query), so
//     FreeBusy gives ErrNoFreeBusy.
//   - Xandikos 0.2.8: no outbox; free-busy-query answers 200 with a
//     VFREEBUSY (not labelled text/calendar) whose periods are each
//     event's first occurrence only: recurrences are not expanded (the
//     weekly event is busy on 2 Dec alone), the transparent event is left
//     out, the Berlin and all-day ones are as on sabre.
//   - sabre and Cyrus with the calendars configured: discovery asks no
//     principal; the first FreeBusy asks anna's calendar for its
//     current-user-principal and the principal for its outbox (2
//     PROPFINDs), then POSTs there as above; later ones only POST.
//     Radicale and Xandikos so: the principal names no outbox, FreeBusy
//     falls back as without configured calendars and does not look again.

var fbFrom = time.Date(2030, 12, 1, 0, 0, 0, 0, time.UTC)
var fbTo = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)

func utc(mo time.Month, d, h, m int) time.Time { return time.Date(2030, mo, d, h, m, 0, 0, time.UTC) }

func ics(lines ...string) string {
	return strings.Join(append(append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//oneonone//fb test//EN"}, lines...), "END:VCALENDAR", ""), "\r\n")
}

// fbEvents are the objects put in the calendar whose busy time is
// checked: a timed event in Berlin time, an all-day event, a transparent
// one and a weekly one with an EXDATE.
func fbEvents(who string) map[string]string {
	return map[string]string{
		"berlin": ics(
			"BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
			"BEGIN:STANDARD", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
			"TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "END:STANDARD",
			"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
			"TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "END:DAYLIGHT",
			"END:VTIMEZONE",
			"BEGIN:VEVENT", "UID:fb-berlin-"+who, "DTSTAMP:20260101T000000Z",
			"DTSTART;TZID=Europe/Berlin:20301210T140000", "DTEND;TZID=Europe/Berlin:20301210T150000",
			"SUMMARY:berlin", "END:VEVENT"),
		"allday": ics("BEGIN:VEVENT", "UID:fb-allday-"+who, "DTSTAMP:20260101T000000Z",
			"DTSTART;VALUE=DATE:20301211", "DTEND;VALUE=DATE:20301212", "SUMMARY:all day", "END:VEVENT"),
		"transparent": ics("BEGIN:VEVENT", "UID:fb-transp-"+who, "DTSTAMP:20260101T000000Z",
			"DTSTART:20301212T100000Z", "DTEND:20301212T110000Z", "TRANSP:TRANSPARENT", "SUMMARY:free", "END:VEVENT"),
		"weekly": ics("BEGIN:VEVENT", "UID:fb-weekly-"+who, "DTSTAMP:20260101T000000Z",
			"DTSTART:20301202T090000Z", "DTEND:20301202T093000Z", "RRULE:FREQ=WEEKLY;COUNT=4",
			"EXDATE:20301209T090000Z", "SUMMARY:weekly", "END:VEVENT"),
	}
}

// fbBusy is the busy time of fbEvents over [fbFrom, fbTo).
var fbBusy = []calendar.Busy{
	{Start: utc(12, 2, 9, 0), End: utc(12, 2, 9, 30)},
	{Start: utc(12, 10, 13, 0), End: utc(12, 10, 14, 0)},
	{Start: utc(12, 11, 0, 0), End: utc(12, 12, 0, 0)},
	{Start: utc(12, 16, 9, 0), End: utc(12, 16, 9, 30)},
	{Start: utc(12, 23, 9, 0), End: utc(12, 23, 9, 30)},
}

// annaEvent is the one event of anna's when zoe has fbEvents.
var annaEvent = ics("BEGIN:VEVENT", "UID:fb-anna", "DTSTAMP:20260101T000000Z",
	"DTSTART:20301213T080000Z", "DTEND:20301213T090000Z", "SUMMARY:anna's", "END:VEVENT")

var annaBusy = []calendar.Busy{{Start: utc(12, 13, 8, 0), End: utc(12, 13, 9, 0)}}

func put(t *testing.T, s *davtest.Server, user, pass, calURL, name, data string) {
	t.Helper()
	as := *s
	as.Username, as.Password = user, pass
	resp, err := as.Do(context.Background(), http.MethodPut, calURL+name+".ics", data,
		http.Header{"Content-Type": {"text/calendar; charset=utf-8"}, "If-None-Match": {"*"}})
	if err != nil {
		t.Fatalf("%s: PUT %s: %v", s.Name, name, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s: PUT %s: %s: %s", s.Name, name, resp.Status, resp.Body)
	}
}

var hrefRE = regexp.MustCompile(`<(?:[A-Za-z0-9]+:)?href>([^<]*)</`)

// calListing returns the hrefs in a Depth 1 PROPFIND of a calendar, sorted.
func calListing(t *testing.T, s *davtest.Server, calURL string) []string {
	t.Helper()
	resp, err := s.Do(context.Background(), "PROPFIND", calURL,
		`<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>`, http.Header{"Depth": {"1"}})
	if err != nil || resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("%s: PROPFIND %s: %v %v", s.Name, calURL, err, resp)
	}
	var out []string
	for _, m := range hrefRE.FindAllStringSubmatch(string(resp.Body), -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

func TestFreeBusyRealServers(t *testing.T) {
	const external = "someone@external.example"
	cases := []struct {
		name  string
		start func(testing.TB) *davtest.Server
		// outbox: sabre and Cyrus, with users anna and zoe.
		outbox bool
		// extReason is the Unknown reason of the external address.
		extReason string
		// noFB: the server answers no free-busy-query (ErrNoFreeBusy).
		noFB bool
		// fallback is anna's busy time from the own-calendar fallback.
		fallback []calendar.Busy
	}{
		{name: "sabre", start: davtest.StartSabre, outbox: true, extReason: "3.7;Could not find principal"},
		{name: "cyrus", start: davtest.StartCyrus, outbox: true, extReason: "5.1;Service unavailable"},
		{name: "radicale", start: davtest.StartRadicale, noFB: true},
		// Xandikos does not expand recurrences in free-busy-query: the
		// weekly event is busy on its first day only.
		{name: "xandikos", start: davtest.StartXandikos, fallback: slices.Delete(slices.Clone(fbBusy), 3, 5)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.start(t)
			c, err := New(Options{URL: s.URL, Username: s.Username, Password: s.Password})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if !tc.outbox {
				for name, data := range fbEvents("anna") {
					put(t, s, s.Username, s.Password, s.CalendarURL, name, data)
				}
				q := calendar.FreeBusyQuery{From: fbFrom, To: fbTo, Organizer: "anna@example.com",
					Addresses: []string{"anna@example.com", "zoe@example.com"}}
				want := []calendar.Availability{
					{Address: "anna@example.com", Busy: tc.fallback},
					{Address: "zoe@example.com", Unknown: true, Reason: noOutbox},
				}
				check := func(c *Client) {
					t.Helper()
					got, err := c.FreeBusy(ctx, q)
					if tc.noFB {
						if !errors.Is(err, calendar.ErrNoFreeBusy) {
							t.Fatalf("FreeBusy = %v, %v; want ErrNoFreeBusy", got, err)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					checkAvail(t, got, want)
				}
				check(c)

				// With the calendars configured the first FreeBusy looks
				// for an outbox, finds none and falls back as above; the
				// second does not look again: one free-busy-query.
				cc, _ := New(Options{URL: s.URL, Username: s.Username, Password: s.Password, Calendars: []string{s.CalendarURL}})
				if _, err := cc.Calendars(ctx); err != nil {
					t.Fatal(err)
				}
				n0 := cc.Requests()
				check(cc)
				n1 := cc.Requests()
				if d, _ := cc.Discovery(); !d.OutboxLooked || d.OutboxURL != "" || d.Scheduling.Outbox {
					t.Errorf("configured calendars: looked %v, outbox %q, Scheduling.Outbox %v", d.OutboxLooked, d.OutboxURL, d.Scheduling.Outbox)
				}
				check(cc)
				if n := cc.Requests() - n1; n != 1 {
					t.Errorf("second FreeBusy with configured calendars: %d requests, want 1 (the REPORT)", n)
				}
				t.Logf("%s: configured calendars: first FreeBusy %d requests, second %d", s.Name, n1-n0, cc.Requests()-n1)
				return
			}

			if d, ok := c.Discovery(); ok {
				t.Fatalf("discovered before any request: %+v", d)
			}
			for name, data := range fbEvents("zoe") {
				put(t, s, s.Username2, s.Password2, s.CalendarURL2, name, data)
			}
			put(t, s, s.Username, s.Password, s.CalendarURL, "anna", annaEvent)
			before := calListing(t, s, s.CalendarURL)

			q := calendar.FreeBusyQuery{From: fbFrom, To: fbTo, Organizer: "anna@example.com",
				Addresses: []string{"anna@example.com", "ZOE@example.com", external}}
			got, err := c.FreeBusy(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			checkAvail(t, got, []calendar.Availability{
				{Address: "anna@example.com", Busy: annaBusy},
				{Address: "ZOE@example.com", Busy: fbBusy},
				{Address: external, Unknown: true, Reason: tc.extReason},
			})
			d, ok := c.Discovery()
			if !ok || d.OutboxURL == "" || !d.Scheduling.Outbox || !slices.Contains(d.Addresses, "anna@example.com") {
				t.Errorf("discovery kept outbox %q, addresses %q", d.OutboxURL, d.Addresses)
			}
			t.Logf("%s: outbox %s, addresses %q", s.Name, d.OutboxURL, d.Addresses)

			// A snapshot from before OutboxURL existed: restored, and
			// FreeBusy discovers again to find the outbox.
			old := d
			old.OutboxURL, old.Addresses = "", nil
			c2, _ := New(Options{URL: s.URL, Username: s.Username, Password: s.Password})
			if !c2.RestoreDiscovery(old) {
				t.Fatal("an old snapshot was not restored")
			}
			got, err = c2.FreeBusy(ctx, calendar.FreeBusyQuery{From: fbFrom, To: fbTo, Organizer: "Anna@Example.com",
				Addresses: []string{"mailto:Zoe@Example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			checkAvail(t, got, []calendar.Availability{{Address: "mailto:Zoe@Example.com", Busy: fbBusy}})
			if d2, _ := c2.Discovery(); d2.OutboxURL != d.OutboxURL {
				t.Errorf("rediscovered outbox %q, want %q", d2.OutboxURL, d.OutboxURL)
			}

			// With the calendars configured discovery asks no principal:
			// the first FreeBusy does (current-user-principal of anna's
			// calendar, then the principal: 2 requests) and POSTs to the
			// outbox it names, so zoe's busy time is known; a second
			// FreeBusy only POSTs, and so does a client given the
			// snapshot.
			c4, _ := New(Options{URL: s.URL, Username: s.Username, Password: s.Password, Calendars: []string{s.CalendarURL}})
			if _, err := c4.Calendars(ctx); err != nil {
				t.Fatal(err)
			}
			if d4, _ := c4.Discovery(); d4.OutboxURL != "" || d4.OutboxLooked || d4.Scheduling.Outbox {
				t.Errorf("configured calendars: discovery looked for the outbox: %+v", d4)
			}
			n0 := c4.Requests()
			want := []calendar.Availability{
				{Address: "anna@example.com", Busy: annaBusy},
				{Address: "ZOE@example.com", Busy: fbBusy},
				{Address: external, Unknown: true, Reason: tc.extReason},
			}
			got, err = c4.FreeBusy(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			checkAvail(t, got, want)
			n1 := c4.Requests()
			if n1-n0 != 3 {
				t.Errorf("first FreeBusy with configured calendars: %d requests, want 3 (2 PROPFIND, 1 POST)", n1-n0)
			}
			d4, ok := c4.Discovery()
			if !ok || d4.OutboxURL != d.OutboxURL || !d4.OutboxLooked || !d4.Scheduling.Outbox || !slices.Contains(d4.Addresses, "anna@example.com") {
				t.Errorf("configured calendars: discovery kept outbox %q (want %q), looked %v, addresses %q", d4.OutboxURL, d.OutboxURL, d4.OutboxLooked, d4.Addresses)
			}
			got, err = c4.FreeBusy(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			checkAvail(t, got, want)
			if n := c4.Requests() - n1; n != 1 {
				t.Errorf("second FreeBusy with configured calendars: %d requests, want 1 (the POST)", n)
			}
			snap, changed := c4.Remember()
			if !changed || snap == nil {
				t.Errorf("Remember after the lookup: changed %v, %d bytes", changed, len(snap))
			}
			c5, _ := New(Options{URL: s.URL, Username: s.Username, Password: s.Password, Calendars: []string{s.CalendarURL}})
			c5.Recall(snap)
			got, err = c5.FreeBusy(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			checkAvail(t, got, want)
			if n := c5.Requests(); n != 1 {
				t.Errorf("FreeBusy from the snapshot: %d requests, want 1 (the POST)", n)
			}
			t.Logf("%s: configured calendars: outbox %s found by FreeBusy in %d requests, then 1", s.Name, d4.OutboxURL, n1-n0)

			// Nothing stored, nothing sent. SchedulingMessages comes last:
			// its barrier is a weekly event of zoe's, busy time.
			if after := calListing(t, s, s.CalendarURL); !slices.Equal(before, after) {
				t.Errorf("anna's calendar changed: before %q, after %q", before, after)
			}
			if msgs := s.SchedulingMessages(t); len(msgs) != 0 {
				t.Errorf("the server sent scheduling messages: %q", msgs)
			}

			// A POST the outbox refuses: zoe's outbox, as anna.
			zoe := d
			zoe.OutboxURL = strings.Replace(d.OutboxURL, "/anna/", "/zoe/", 1)
			c3, _ := New(Options{URL: s.URL, Username: s.Username, Password: s.Password})
			c3.RestoreDiscovery(zoe)
			_, err = c3.FreeBusy(ctx, q)
			if err == nil || !strings.Contains(err.Error(), zoe.OutboxURL) {
				t.Errorf("POST to zoe's outbox as anna: %v; want an error naming %s", err, zoe.OutboxURL)
			}
			t.Logf("%s: zoe's outbox as anna: %v", s.Name, err)
		})
	}
}

func checkAvail(t *testing.T, got, want []calendar.Availability) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d availabilities, want %d:\n%s", len(got), len(want), fmtAvail(got))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Address != w.Address || g.Unknown != w.Unknown || g.Reason != w.Reason ||
			!slices.EqualFunc(g.Busy, w.Busy, func(a, b calendar.Busy) bool { return a.Start.Equal(b.Start) && a.End.Equal(b.End) }) {
			t.Errorf("#%d:\n got %s\nwant %s", i, fmtAvail([]calendar.Availability{g}), fmtAvail([]calendar.Availability{w}))
		}
	}
}

func fmtAvail(as []calendar.Availability) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(a.Address)
		if a.Unknown {
			b.WriteString(" unknown: " + a.Reason)
		}
		for _, x := range a.Busy {
			b.WriteString(" " + x.Start.UTC().Format("01-02T15:04") + "–" + x.End.UTC().Format("01-02T15:04"))
		}
		b.WriteString("; ")
	}
	return b.String()
}

// The answers of sabre/dav 4.7 and Cyrus 3.6 to the free/busy POST of
// TestFreeBusyRealServers for zoe and bob@external.example, byte for byte.
const (
	sabreScheduleResponse = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" +
		"<cal:schedule-response xmlns:d=\"DAV:\" xmlns:s=\"http://sabredav.org/ns\" xmlns:cal=\"urn:ietf:params:xml:ns:caldav\" xmlns:cs=\"http://calendarserver.org/ns/\">\n" +
		"  <cal:response>\n" +
		"    <cal:recipient>\n" +
		"      <d:href>mailto:zoe@example.com</d:href>\n" +
		"    </cal:recipient>\n" +
		"    <cal:request-status>2.0;Success</cal:request-status>\n" +
		"    <cal:calendar-data>BEGIN:VCALENDAR\n" +
		"VERSION:2.0\n" +
		"PRODID:-//Sabre//Sabre VObject 4.5.6//EN\n" +
		"CALSCALE:GREGORIAN\n" +
		"METHOD:REPLY\n" +
		"BEGIN:VFREEBUSY\n" +
		"DTSTART:20301201T000000Z\n" +
		"DTEND:20310101T000000Z\n" +
		"DTSTAMP:20261203T082109Z\n" +
		"FREEBUSY:20301202T090000Z/20301202T093000Z\n" +
		"FREEBUSY:20301210T130000Z/20301210T140000Z\n" +
		"FREEBUSY:20301211T000000Z/20301212T000000Z\n" +
		"FREEBUSY:20301216T090000Z/20301216T093000Z\n" +
		"FREEBUSY:20301223T090000Z/20301223T093000Z\n" +
		"ATTENDEE:mailto:zoe@example.com\n" +
		"UID:78823a7842e76cacbc51a888e1e396a6@oneonone\n" +
		"ORGANIZER:mailto:anna@example.com\n" +
		"END:VFREEBUSY\n" +
		"END:VCALENDAR\n" +
		"</cal:calendar-data>\n" +
		"  </cal:response>\n" +
		"  <cal:response>\n" +
		"    <cal:recipient>\n" +
		"      <d:href>mailto:bob@external.example</d:href>\n" +
		"    </cal:recipient>\n" +
		"    <cal:request-status>3.7;Could not find principal</cal:request-status>\n" +
		"  </cal:response>\n" +
		"</cal:schedule-response>\n"

	cyrusScheduleResponse = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" +
		"<C:schedule-response xmlns:C=\"urn:ietf:params:xml:ns:caldav\" xmlns:D=\"DAV:\"><C:response><C:recipient><D:href>mailto:zoe@example.com</D:href></C:recipient><C:request-status>2.0;Success</C:request-status><C:calendar-data content-type=\"text/calendar\" version=\"2.0\"><![CDATA[BEGIN:VCALENDAR\r\n" +
		"VERSION:2.0\r\n" +
		"PRODID:-//CyrusIMAP.org/Cyrus 3.6.1-Debian-3.6.1-4+deb12u5//EN\r\n" +
		"METHOD:REPLY\r\n" +
		"BEGIN:VFREEBUSY\r\n" +
		"DTSTAMP:20261203T082110Z\r\n" +
		"DTSTART:20301201T000000Z\r\n" +
		"DTEND:20310101T000000Z\r\n" +
		"UID:a766ea5cc482c84357ce28abb271da7f@oneonone\r\n" +
		"ORGANIZER:mailto:anna@example.com\r\n" +
		"ATTENDEE:mailto:zoe@example.com\r\n" +
		"FREEBUSY:20301202T090000Z/20301202T093000Z\r\n" +
		"FREEBUSY:20301210T130000Z/20301210T140000Z\r\n" +
		"FREEBUSY:20301211T000000Z/P1D\r\n" +
		"FREEBUSY:20301216T090000Z/20301216T093000Z\r\n" +
		"FREEBUSY:20301223T090000Z/20301223T093000Z\r\n" +
		"END:VFREEBUSY\r\n" +
		"END:VCALENDAR\r\n" +
		"]]></C:calendar-data></C:response><C:response><C:recipient><D:href>mailto:bob@external.example</D:href></C:recipient><C:request-status>5.1;Service unavailable</C:request-status></C:response></C:schedule-response>\n"
)

func TestParseScheduleResponse(t *testing.T) {
	for _, tc := range []struct {
		name, body, extReason string
	}{
		{"sabre", sabreScheduleResponse, "3.7;Could not find principal"},
		{"cyrus", cyrusScheduleResponse, "5.1;Service unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := calendar.FreeBusyQuery{From: fbFrom, To: fbTo, Organizer: "anna@example.com",
				Addresses: []string{"MAILTO:Zoe@Example.com", "bob@external.example", "missing@example.com", "zoe@example.com"}}
			got, err := parseScheduleResponse([]byte(tc.body), q)
			if err != nil {
				t.Fatal(err)
			}
			checkAvail(t, got, []calendar.Availability{
				{Address: "MAILTO:Zoe@Example.com", Busy: fbBusy},
				{Address: "bob@external.example", Unknown: true, Reason: tc.extReason},
				{Address: "missing@example.com", Unknown: true, Reason: "not in the answer"},
				{Address: "zoe@example.com", Busy: fbBusy},
			})

			// Clipped to a narrower span.
			q.From, q.To = utc(12, 11, 12, 0), utc(12, 16, 9, 15)
			q.Addresses = q.Addresses[:1]
			got, err = parseScheduleResponse([]byte(tc.body), q)
			if err != nil {
				t.Fatal(err)
			}
			checkAvail(t, got, []calendar.Availability{{Address: "MAILTO:Zoe@Example.com", Busy: []calendar.Busy{
				{Start: utc(12, 11, 12, 0), End: utc(12, 12, 0, 0)},
				{Start: utc(12, 16, 9, 0), End: utc(12, 16, 9, 15)},
			}}})
		})
	}
	if _, err := parseScheduleResponse([]byte(`<d:multistatus xmlns:d="DAV:"/>`), calendar.FreeBusyQuery{}); err == nil {
		t.Error("a multistatus was taken for a schedule-response")
	}
}

func TestParseFreeBusy(t *testing.T) {
	day := func(h, m int) time.Time { return utc(12, 10, h, m) }
	span := func(a, b time.Time) calendar.Busy { return calendar.Busy{Start: a, End: b} }
	for _, tc := range []struct {
		name, text string
		want       []calendar.Busy
		bad        bool
	}{
		{"none", "BEGIN:VFREEBUSY\nEND:VFREEBUSY\n", nil, false},
		{"list and duration", "FREEBUSY:20301210T080000Z/PT1H,20301210T100000Z/20301210T103000Z\r\n",
			[]calendar.Busy{span(day(8, 0), day(9, 0)), span(day(10, 0), day(10, 30))}, false},
		{"types", "FREEBUSY;FBTYPE=FREE:20301210T060000Z/PT1H\n" +
			"FREEBUSY;FBTYPE=BUSY-TENTATIVE:20301210T080000Z/PT1H\n" +
			"FREEBUSY;FBTYPE=busy-unavailable:20301210T120000Z/PT1H\n" +
			"FREEBUSY;FBTYPE=X-OTHER:20301210T140000Z/PT1H\n" +
			"FREEBUSY;FBTYPE=BUSY:20301210T160000Z/PT1H\n",
			[]calendar.Busy{span(day(8, 0), day(9, 0)), span(day(12, 0), day(13, 0)), span(day(16, 0), day(17, 0))}, false},
		{"merged and sorted", "FREEBUSY:20301210T100000Z/PT1H\nFREEBUSY:20301210T080000Z/PT2H\nfreebusy:20301210T103000Z/PT1H\n",
			[]calendar.Busy{span(day(8, 0), day(11, 30))}, false},
		{"folded", "FREEBUSY:20301210T080000Z/PT1H,20301210\r\n T100000Z/PT1H\r\n",
			[]calendar.Busy{span(day(8, 0), day(9, 0)), span(day(10, 0), day(11, 0))}, false},
		{"tzid", "FREEBUSY;TZID=Europe/Berlin:20301210T140000/20301210T150000\n",
			[]calendar.Busy{span(day(13, 0), day(14, 0))}, false},
		{"floating is UTC", "FREEBUSY:20301210T140000/PT1H\n", []calendar.Busy{span(day(14, 0), day(15, 0))}, false},
		{"clipped", "FREEBUSY:20301130T230000Z/PT2H,20301231T230000Z/P1D\n",
			[]calendar.Busy{span(fbFrom, utc(12, 1, 1, 0)), span(utc(12, 31, 23, 0), fbTo)}, false},
		{"outside", "FREEBUSY:20291210T080000Z/PT1H\n", nil, false},
		{"FREEBUSY-like names are other properties", "FREEBUSYX:nonsense\n", nil, false},
		{"bad period", "FREEBUSY:20301210T080000Z\n", nil, true},
		{"bad time", "FREEBUSY:20301310T080000Z/PT1H\n", nil, true},
		{"bad duration", "FREEBUSY:20301210T080000Z/PXH\n", nil, true},
		{"backwards", "FREEBUSY:20301210T080000Z/20301210T070000Z\n", nil, true},
		{"date", "FREEBUSY:20301210/20301211\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFreeBusy(tc.text, fbFrom, fbTo)
			if tc.bad {
				if err == nil {
					t.Fatalf("parseFreeBusy = %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkAvail(t, []calendar.Availability{{Busy: got}}, []calendar.Availability{{Busy: tc.want}})
		})
	}
}

func TestFreeBusyRequest(t *testing.T) {
	q := calendar.FreeBusyQuery{
		From: time.Date(2030, 12, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600)), To: fbTo,
		Organizer: "mailto:anna@example.com",
		Addresses: []string{"Anna@Example.com", "zoe@example.com", "MAILTO:ZOE@example.com", strings.Repeat("x", 80) + "@example.com"},
	}
	b, err := freeBusyRequest(q, time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", "METHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:",
		"\r\nDTSTAMP:20261203T090000Z\r\nDTSTART:20301201T000000Z\r\nDTEND:20310101T000000Z\r\n",
		"ORGANIZER:mailto:anna@example.com\r\nATTENDEE:mailto:anna@example.com\r\nATTENDEE:mailto:zoe@example.com\r\nATTENDEE:mailto:xxx",
		"\r\n xx", "END:VFREEBUSY\r\nEND:VCALENDAR\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("request lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "ATTENDEE"); n != 3 {
		t.Errorf("%d attendees, want 3:\n%s", n, text)
	}
	for _, l := range strings.Split(text, "\r\n") {
		if len(l) > 75 {
			t.Errorf("line longer than 75 octets: %q", l)
		}
	}
	b2, _ := freeBusyRequest(q, time.Time{})
	uid := regexp.MustCompile(`UID:(\S+)`)
	if uid.FindString(text) == uid.FindString(string(b2)) {
		t.Error("two requests with one UID")
	}
}

func TestFreeBusyBadQuery(t *testing.T) {
	c, err := New(Options{URL: "http://127.0.0.1:1/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []calendar.FreeBusyQuery{
		{From: fbTo, To: fbFrom, Organizer: "a@example.com"},
		{From: fbFrom, To: fbTo, Organizer: ""},
		{From: fbFrom, To: fbTo, Organizer: "a@example.com", Addresses: []string{"b@example.com\r\nATTENDEE:mailto:c@example.com"}},
		{From: fbFrom, To: fbTo, Organizer: "a@example.com", Addresses: []string{"b@example.com;x"}},
	} {
		if _, err := c.FreeBusy(context.Background(), q); err == nil {
			t.Errorf("FreeBusy(%+v) made a request", q)
		}
	}
	if c.Requests() != 0 {
		t.Errorf("%d requests", c.Requests())
	}
}

// FuzzScheduleResponse: whatever the answer, no panic, one availability
// per address, busy spans sorted, apart and inside the span.
func FuzzScheduleResponse(f *testing.F) {
	f.Add([]byte(sabreScheduleResponse))
	f.Add([]byte(cyrusScheduleResponse))
	f.Add([]byte(`<C:schedule-response xmlns:C="urn:ietf:params:xml:ns:caldav"><C:response><C:recipient>mailto:zoe@example.com</C:recipient>` +
		`<C:request-status>2.0</C:request-status><C:calendar-data>FREEBUSY;FBTYPE=BUSY-TENTATIVE:20301210T080000Z/PT1H,20301209T080000Z/P2D</C:calendar-data></C:response></C:schedule-response>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 1<<20 {
			return
		}
		q := calendar.FreeBusyQuery{From: fbFrom, To: fbTo, Organizer: "anna@example.com",
			Addresses: []string{"zoe@example.com", "bob@external.example"}}
		got, err := parseScheduleResponse(body, q)
		if err != nil {
			return
		}
		if len(got) != len(q.Addresses) {
			t.Fatalf("%d availabilities for %d addresses", len(got), len(q.Addresses))
		}
		for i, a := range got {
			if a.Address != q.Addresses[i] {
				t.Fatalf("#%d is %q, want %q", i, a.Address, q.Addresses[i])
			}
			if a.Unknown && len(a.Busy) > 0 {
				t.Fatalf("unknown with busy time: %+v", a)
			}
			for j, b := range a.Busy {
				if !b.Start.Before(b.End) || b.Start.Before(q.From) || b.End.After(q.To) {
					t.Fatalf("bad span %v", b)
				}
				if j > 0 && !a.Busy[j-1].End.Before(b.Start) {
					t.Fatalf("spans not sorted and apart: %v", a.Busy)
				}
			}
		}
	})
}

// outboxServer is a CalDAV server of one configured calendar /cal/ whose
// principal /p/ names the outbox /out/, or answers 500 when broken. It
// counts the requests by kind.
type outboxServer struct {
	broken bool
	mu     sync.Mutex
	n      map[string]int
}

func (s *outboxServer) count(k string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[k]
}

func (s *outboxServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	kind := r.Method + " " + r.URL.Path
	if r.Method == "PROPFIND" && r.URL.Path == "/cal/" && !strings.Contains(string(body), "resourcetype") {
		kind += " principal"
	}
	s.mu.Lock()
	s.n[kind]++
	s.mu.Unlock()
	ms := func(inner string) {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		io.WriteString(w, `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">`+inner+`</d:multistatus>`)
	}
	switch kind {
	case "OPTIONS /cal/":
		w.Header().Set("DAV", "1, 3, calendar-access, calendar-auto-schedule")
		w.Header().Set("X-Sabre-Version", "4.7.0")
	case "PROPFIND /cal/":
		ms(`<d:response><d:href>/cal/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype>` +
			`<d:displayname>Cal</d:displayname></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`)
	case "PROPFIND /cal/ principal":
		ms(`<d:response><d:href>/cal/</d:href><d:propstat><d:prop><d:current-user-principal><d:href>/p/</d:href></d:current-user-principal>` +
			`</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`)
	case "PROPFIND /p/":
		if s.broken {
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		ms(`<d:response><d:href>/p/</d:href><d:propstat><d:prop><c:schedule-outbox-URL><d:href>/out/</d:href></c:schedule-outbox-URL>` +
			`<c:calendar-user-address-set><d:href>mailto:Anna@example.com</d:href><d:href>/p/</d:href></c:calendar-user-address-set>` +
			`</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`)
	case "POST /out/":
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		io.WriteString(w, `<?xml version="1.0"?><c:schedule-response xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">`+
			`<c:response><c:recipient><d:href>mailto:zoe@example.com</d:href></c:recipient><c:request-status>2.0;Success</c:request-status>`+
			`<c:calendar-data>BEGIN:VCALENDAR&#13;
BEGIN:VFREEBUSY&#13;
FREEBUSY:20301202T090000Z/20301202T093000Z&#13;
END:VFREEBUSY&#13;
END:VCALENDAR&#13;
</c:calendar-data></c:response></c:schedule-response>`)
	case "REPORT /cal/":
		w.Header().Set("Content-Type", "text/calendar")
		io.WriteString(w, "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\nFREEBUSY:20301213T080000Z/20301213T090000Z\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n")
	default:
		http.Error(w, "unexpected "+kind, http.StatusBadRequest)
	}
}

// With configured calendars, concurrent FreeBusy calls and syncs (here
// Calendars) ask the principal once; a sync alone never does; a lookup
// that fails is remembered as "none" and FreeBusy falls back.
func TestFreeBusyConfiguredOutboxOnce(t *testing.T) {
	for _, broken := range []bool{false, true} {
		t.Run(map[bool]string{false: "outbox", true: "broken principal"}[broken], func(t *testing.T) {
			srv := &outboxServer{broken: broken, n: map[string]int{}}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			c, err := New(Options{URL: ts.URL + "/", Calendars: []string{ts.URL + "/cal/"}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := c.Calendars(ctx); err != nil {
				t.Fatal(err)
			}
			if n := srv.count("PROPFIND /cal/ principal"); n != 0 {
				t.Fatalf("a sync asked for the principal %d times", n)
			}
			q := calendar.FreeBusyQuery{From: fbFrom, To: fbTo, Organizer: "anna@example.com", Addresses: []string{"zoe@example.com", "anna@example.com"}}
			want := []calendar.Availability{
				{Address: "zoe@example.com", Busy: []calendar.Busy{{Start: utc(12, 2, 9, 0), End: utc(12, 2, 9, 30)}}},
				{Address: "anna@example.com", Unknown: true, Reason: "not in the answer"},
			}
			if broken {
				want = []calendar.Availability{
					{Address: "zoe@example.com", Unknown: true, Reason: noOutbox},
					{Address: "anna@example.com", Busy: annaBusy},
				}
			}
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for i := 0; i < 8; i++ {
				wg.Add(2)
				go func() {
					defer wg.Done()
					got, err := c.FreeBusy(ctx, q)
					if err == nil && fmtAvail(got) != fmtAvail(want) {
						err = fmt.Errorf("FreeBusy = %s, want %s", fmtAvail(got), fmtAvail(want))
					}
					errs <- err
				}()
				go func() {
					defer wg.Done()
					_, err := c.Calendars(ctx)
					c.Remember()
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			for _, k := range []string{"PROPFIND /cal/ principal", "PROPFIND /p/", "PROPFIND /cal/", "OPTIONS /cal/"} {
				if n := srv.count(k); n != 1 {
					t.Errorf("%s: %d requests, want 1", k, n)
				}
			}
			d, _ := c.Discovery()
			if !d.OutboxLooked || (d.OutboxURL == ts.URL+"/out/") == broken || d.Scheduling.Outbox == broken {
				t.Errorf("discovery: looked %v, outbox %q, Scheduling.Outbox %v", d.OutboxLooked, d.OutboxURL, d.Scheduling.Outbox)
			}
			if !broken && !slices.Equal(d.Addresses, []string{"Anna@example.com"}) {
				t.Errorf("addresses %q", d.Addresses)
			}
			post, report := srv.count("POST /out/"), srv.count("REPORT /cal/")
			if broken && (post != 0 || report != 8) || !broken && (post != 8 || report != 0) {
				t.Errorf("%d POSTs, %d REPORTs for 8 FreeBusy", post, report)
			}
		})
	}
}

// A lookup cut short by its context is not remembered: the next FreeBusy
// looks again.
func TestFreeBusyConfiguredOutboxCancelled(t *testing.T) {
	srv := &outboxServer{n: map[string]int{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c, _ := New(Options{URL: ts.URL + "/", Calendars: []string{ts.URL + "/cal/"}})
	if _, err := c.Calendars(context.Background()); err != nil {
		t.Fatal(err)
	}
	q := calendar.FreeBusyQuery{From: fbFrom, To: fbTo, Organizer: "anna@example.com", Addresses: []string{"zoe@example.com"}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.FreeBusy(ctx, q); err == nil {
		t.Error("FreeBusy with a cancelled context: no error")
	}
	if d, _ := c.Discovery(); d.OutboxLooked {
		t.Errorf("a cancelled lookup was remembered: %+v", d)
	}
	got, err := c.FreeBusy(context.Background(), q)
	if err != nil || len(got) != 1 || got[0].Unknown {
		t.Errorf("FreeBusy after a cancelled lookup = %s, %v", fmtAvail(got), err)
	}
	if n := srv.count("PROPFIND /p/"); n != 1 {
		t.Errorf("the principal was asked %d times, want 1", n)
	}
}
