package google_test

import (
	"testing"

	"oneonone/calendar"
	"oneonone/calendar/ical"
)

// mirrorICS is the CalDAV copy of master_exdate.json, as Google's own
// CalDAV endpoint or a calendar it is shared with serves it: the event's
// UID is Google's iCalUID.
const mirrorICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n" +
	"UID:4k1m2n3o4p5q6r7s8t9u0v1w2x@google.com\r\nDTSTAMP:20250320T160310Z\r\n" +
	"DTSTART;TZID=Europe/Berlin:20250114T100000\r\nDTEND;TZID=Europe/Berlin:20250114T103000\r\n" +
	"RRULE:FREQ=WEEKLY;BYDAY=TU\r\nEXDATE;TZID=Europe/Berlin:20250401T100000\r\n" +
	"SUMMARY:Anna / Bob 1:1\r\nORGANIZER;CN=Anna Schmidt:mailto:anna@example.com\r\n" +
	"ATTENDEE;PARTSTAT=ACCEPTED:mailto:anna@example.com\r\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.com\r\n" +
	"END:VEVENT\r\nEND:VCALENDAR\r\n"

// TestDecodeKeepsICalUID: Decode keeps Google's iCalUID beside the event
// id, for the master and for its exceptions (whose UID is the master's id),
// and it is the UID a CalDAV copy of the same event has.
func TestDecodeKeepsICalUID(t *testing.T) {
	c := decoder(t, loadZone(t, "Europe/Berlin"))
	master := decodeOne(t, c, "master_exdate.json")
	moved := decodeOne(t, c, "exception_moved.json")
	if master.UID != masterID || moved.UID != masterID {
		t.Errorf("UIDs %q, %q: want the event id %q for both", master.UID, moved.UID, masterID)
	}
	evs, err := ical.Parse([]byte(mirrorICS), ical.ParseOptions{Href: "mirror.ics"})
	if err != nil || len(evs) != 1 {
		t.Fatalf("the CalDAV copy: %d events, %v", len(evs), err)
	}
	for _, ev := range []calendar.Event{master, moved} {
		if ev.ICalUID != evs[0].UID {
			t.Errorf("%s: ICalUID %q, want the CalDAV copy's UID %q", ev.Href, ev.ICalUID, evs[0].UID)
		}
	}
	if evs[0].ICalUID != "" {
		t.Errorf("CalDAV event ICalUID %q: want empty, its UID is the iCalendar UID", evs[0].ICalUID)
	}
	// An event whose iCalUID is its id (or that has none) needs no second name.
	evs, err = c.Decode("primary", calendar.Object{Href: "x", Data: []byte(`{"id":"x","iCalUID":"x","start":{"dateTime":"2025-01-01T10:00:00Z"}}`)})
	if err != nil || len(evs) != 1 || evs[0].ICalUID != "" {
		t.Errorf("iCalUID equal to the id: %+v, %v; want ICalUID empty", evs, err)
	}
}
