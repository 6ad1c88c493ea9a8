package caldav

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
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
//   - Radicale 3.1.8 and Xandikos 0.2.8: no outbox; see fbCases for what
//     each answers to the free-busy-query REPORT.

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
				got, err := c.FreeBusy(ctx, q)
				if tc.noFB {
					if !errors.Is(err, calendar.ErrNoFreeBusy) {
						t.Fatalf("FreeBusy = %v, %v; want ErrNoFreeBusy", got, err)
					}
					t.Logf("%s: %v", s.Name, err)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				want := []calendar.Availability{
					{Address: "anna@example.com", Busy: tc.fallback},
					{Address: "zoe@example.com", Unknown: true, Reason: noOutbox},
				}
				checkAvail(t, got, want)
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
