package caldavserver_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/internal/fake/caldavserver"
)

func vcal(lines ...string) []byte {
	return []byte(strings.Join(append(append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//x//EN"}, lines...), "END:VCALENDAR", ""), "\r\n"))
}

func at(d, h, m int) time.Time { return time.Date(2030, 12, d, h, m, 0, 0, time.UTC) }

func TestOutboxFreeBusy(t *testing.T) {
	s := caldavserver.New("anna")
	s.SetBasicAuth("anna", "pw")
	s.SetOutbox("Anna@Example.com")
	cal, err := s.CreateCalendar("work", "Work")
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string][]byte{
		"berlin.ics": vcal("BEGIN:VEVENT", "UID:berlin", "DTSTAMP:20260101T000000Z",
			"DTSTART;TZID=Europe/Berlin:20301210T140000", "DTEND;TZID=Europe/Berlin:20301210T150000", "END:VEVENT"),
		"allday.ics": vcal("BEGIN:VEVENT", "UID:allday", "DTSTAMP:20260101T000000Z",
			"DTSTART;VALUE=DATE:20301211", "DTEND;VALUE=DATE:20301212", "END:VEVENT"),
		"transparent.ics": vcal("BEGIN:VEVENT", "UID:transp", "DTSTAMP:20260101T000000Z",
			"DTSTART:20301212T100000Z", "DTEND:20301212T110000Z", "TRANSP:TRANSPARENT", "END:VEVENT"),
		"cancelled.ics": vcal("BEGIN:VEVENT", "UID:cancelled", "DTSTAMP:20260101T000000Z",
			"DTSTART:20301212T120000Z", "DTEND:20301212T130000Z", "STATUS:CANCELLED", "END:VEVENT"),
		"weekly.ics": vcal("BEGIN:VEVENT", "UID:weekly", "DTSTAMP:20260101T000000Z",
			"DTSTART:20301202T090000Z", "DTEND:20301202T093000Z", "RRULE:FREQ=WEEKLY;COUNT=4",
			"EXDATE:20301209T090000Z", "END:VEVENT"),
		"long.ics": vcal("BEGIN:VEVENT", "UID:long", "DTSTAMP:20260101T000000Z",
			"DTSTART:20301128T000000Z", "DTEND:20301201T060000Z", "END:VEVENT"),
	}
	for name, data := range objs {
		if _, _, err := s.PutObject(cal, name, data); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	before := s.Objects(cal)

	c, err := caldav.New(caldav.Options{URL: ts.URL + "/", Username: "anna", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	from, to := at(1, 0, 0), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	got, err := c.FreeBusy(context.Background(), calendar.FreeBusyQuery{From: from, To: to, Organizer: "anna@example.com",
		Addresses: []string{"anna@example.com", "bob@external.example"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []calendar.Busy{
		{Start: from, End: at(1, 6, 0)},
		{Start: at(2, 9, 0), End: at(2, 9, 30)},
		{Start: at(10, 13, 0), End: at(10, 14, 0)},
		{Start: at(11, 0, 0), End: at(12, 0, 0)},
		{Start: at(16, 9, 0), End: at(16, 9, 30)},
		{Start: at(23, 9, 0), End: at(23, 9, 30)},
	}
	if len(got) != 2 || got[0].Unknown || !slices.EqualFunc(got[0].Busy, want, func(a, b calendar.Busy) bool {
		return a.Start.Equal(b.Start) && a.End.Equal(b.End)
	}) {
		t.Fatalf("anna: got %+v\nwant busy %v", got, want)
	}
	if g := got[1]; !g.Unknown || g.Reason != "3.7;Invalid calendar user" || g.Address != "bob@external.example" {
		t.Errorf("bob: %+v", g)
	}
	if d, _ := c.Discovery(); d.OutboxURL != ts.URL+s.OutboxPath() || !slices.Equal(d.Addresses, []string{"anna@example.com"}) {
		t.Errorf("discovery: outbox %q, addresses %q", d.OutboxURL, d.Addresses)
	}
	if after := s.Objects(cal); !slices.Equal(before, after) {
		t.Errorf("the POST changed the calendar: %q → %q", before, after)
	}

	// An organizer that is not the outbox's owner is refused.
	_, err = c.FreeBusy(context.Background(), calendar.FreeBusyQuery{From: from, To: to, Organizer: "zoe@example.com",
		Addresses: []string{"anna@example.com"}})
	if !errors.Is(err, calendar.ErrForbidden) || !strings.Contains(err.Error(), s.OutboxPath()) {
		t.Errorf("another organizer: %v", err)
	}
}

// Without SetOutbox there is no outbox, and go-webdav answers no
// free-busy-query: ErrNoFreeBusy.
func TestNoOutboxNoFreeBusy(t *testing.T) {
	s := caldavserver.New("anna")
	if _, err := s.CreateCalendar("work", "Work"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	c, err := caldav.New(caldav.Options{URL: ts.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.FreeBusy(context.Background(), calendar.FreeBusyQuery{From: at(1, 0, 0), To: at(2, 0, 0),
		Organizer: "anna@example.com", Addresses: []string{"anna@example.com"}})
	if !errors.Is(err, calendar.ErrNoFreeBusy) {
		t.Errorf("FreeBusy without an outbox: %v", err)
	}
	if d, _ := c.Discovery(); d.OutboxURL != "" || d.Scheduling.Outbox {
		t.Errorf("discovery found an outbox: %+v", d)
	}
}
