package caldav_test

import (
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/caldav"
)

func TestDecode(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	c, err := caldav.New(caldav.Options{URL: "http://127.0.0.1:1/", Zone: tokyo})
	if err != nil {
		t.Fatal(err)
	}
	const cal = "/anna/calendars/work/"

	t.Run("apple master and override", func(t *testing.T) {
		obj := calendar.Object{Href: cal + "apple.ics", ETag: "e1", Data: fixture(t, "apple-1on1-override.ics")}
		evs, err := c.Decode(cal, obj)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 {
			t.Fatalf("%d events, want master + override", len(evs))
		}
		var master, override *calendar.Event
		for i := range evs {
			e := &evs[i]
			if e.Calendar != cal || e.Href != obj.Href || e.ETag != "e1" {
				t.Errorf("event %d: Calendar %q Href %q ETag %q, want %q %q e1", i, e.Calendar, e.Href, e.ETag, cal, obj.Href)
			}
			if e.UID != "A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF" {
				t.Errorf("event %d: UID %q", i, e.UID)
			}
			if e.IsOverride() {
				override = e
			} else {
				master = e
			}
		}
		if master == nil || override == nil {
			t.Fatalf("want one master and one override, got %+v", evs)
		}
		if !master.Recurring() || master.Summary != "Carla <> Anna" {
			t.Errorf("master: Recurring %v Summary %q", master.Recurring(), master.Summary)
		}
		if want := time.Date(2026, 1, 15, 14, 0, 0, 0, berlin); !override.RecurrenceID.Equal(want) {
			t.Errorf("override RecurrenceID %v, want %v", override.RecurrenceID, want)
		}
		if want := time.Date(2026, 1, 16, 10, 0, 0, 0, berlin); !override.Start.Equal(want) {
			t.Errorf("override Start %v, want %v", override.Start, want)
		}
	})

	t.Run("floating time takes the zone", func(t *testing.T) {
		data := strings.ReplaceAll("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//x//EN\nBEGIN:VEVENT\nUID:f1\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000\nDTEND:20260105T103000\nSUMMARY:Floating\nEND:VEVENT\nEND:VCALENDAR\n", "\n", "\r\n")
		evs, err := c.Decode(cal, calendar.Object{Href: cal + "f.ics", ETag: "f", Data: []byte(data)})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 {
			t.Fatalf("%d events, want 1", len(evs))
		}
		if want := time.Date(2026, 1, 5, 10, 0, 0, 0, tokyo); !evs[0].Start.Equal(want) {
			t.Errorf("Start %v, want %v (Options.Zone)", evs[0].Start, want)
		}
	})

	t.Run("malformed object names its href", func(t *testing.T) {
		_, err := c.Decode(cal, calendar.Object{Href: cal + "bad.ics", Data: []byte("this is not iCalendar")})
		if err == nil || !strings.Contains(err.Error(), cal+"bad.ics") {
			t.Fatalf("err = %v, want an error naming the href", err)
		}
	})
}
