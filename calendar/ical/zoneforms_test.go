package ical

import (
	"strings"
	"testing"
	"time"

	"oneonone/calendar/recur"
)

// Outlook display names and offset pairs resolve to a zone with its
// daylight time, so a summer occurrence is not an hour off.
func TestResolveZoneForms(t *testing.T) {
	ny, berlin, toronto := mustZone(t, "America/New_York"), mustZone(t, "Europe/Berlin"), mustZone(t, "America/Toronto")
	for _, tc := range []struct {
		tzid    string
		def     *time.Location
		want    string // zone name; "" = a fixed zone
		off     int    // UTC offset on 2025-07-15 12:00 local, seconds
		wantErr bool   // an approximation, reported
	}{
		{"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", nil, "Europe/Berlin", 7200, false},
		{"(UTC-05:00) Eastern Time (US and Canada)", nil, "America/New_York", -4 * 3600, false},
		{"(UTC-05:00) Eastern Time (US & Canada)", nil, "America/New_York", -4 * 3600, false},
		{"(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", nil, "Europe/Berlin", 7200, false},
		{"(UTC+10:00) Canberra, Melbourne, Sydney", nil, "Australia/Sydney", 10 * 3600, false},
		{"GMT-05.00/-04.00", nil, "America/New_York", -4 * 3600, true},
		{"GMT-05.00/-04.00", ny, "America/New_York", -4 * 3600, true},
		{"GMT-05.00/-04.00", toronto, "America/Toronto", -4 * 3600, true},
		{"GMT-05.00/-04.00", berlin, "America/New_York", -4 * 3600, true},
		{"GMT+01.00/+02.00", nil, "Europe/Berlin", 7200, true},
		{"(UTC-05:00) Somewhere Unlisted", ny, "America/New_York", -4 * 3600, true},
		{"(UTC-05:00) Somewhere Unlisted", nil, "", -5 * 3600, true},
		{"GMT+05.30/+06.30", nil, "", 5*3600 + 1800, true},
	} {
		r := newZoneResolver(nil, tc.def)
		loc, err := r.resolve(tc.tzid)
		name := loc.String()
		if tc.want == "" {
			if _, off := time.Date(2025, 1, 15, 12, 0, 0, 0, loc).Zone(); off != tc.off || strings.Contains(name, "/") {
				t.Errorf("%q (default %v): %s, want a fixed offset %d", tc.tzid, tc.def, name, tc.off)
			}
		} else if name != tc.want {
			t.Errorf("%q (default %v): %s, want %s", tc.tzid, tc.def, name, tc.want)
		}
		if _, off := time.Date(2025, 7, 15, 12, 0, 0, 0, loc).Zone(); tc.want != "" && off != tc.off {
			t.Errorf("%q: offset %d in July, want %d", tc.tzid, off, tc.off)
		}
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err %v, want an error: %v", tc.tzid, err, tc.wantErr)
		}
	}
}

// An override whose RECURRENCE-ID is given in UTC meets its summer slot of
// a series whose TZID is an Outlook display name.
func TestDisplayNameOverrideInUTC(t *testing.T) {
	tzid := `"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"`
	evs, err := Parse(vcal(
		"BEGIN:VEVENT", "UID:s", "DTSTART;TZID="+tzid+":20250106T100000", "DTEND;TZID="+tzid+":20250106T103000",
		"RRULE:FREQ=WEEKLY;COUNT=40", "SUMMARY:Anna / Bob", "END:VEVENT",
		"BEGIN:VEVENT", "UID:s", "RECURRENCE-ID:20250707T080000Z", "DTSTART:20250707T120000Z", "DTEND:20250707T123000Z", "SUMMARY:moved", "END:VEVENT",
	), ParseOptions{Href: "t.ics"})
	if err != nil {
		t.Fatal(err)
	}
	groups := recur.GroupEvents(evs)
	if len(groups) != 1 {
		t.Fatalf("%d groups", len(groups))
	}
	from := time.Date(2025, 7, 7, 0, 0, 0, 0, time.UTC)
	ins, err := recur.Expand(groups[0], from, from.AddDate(0, 0, 1), recur.ExpandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 || !ins[0].Override || !ins[0].Start.Equal(time.Date(2025, 7, 7, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("2025-07-07: %+v, want the one moved occurrence at 12:00Z", ins)
	}
}

// Every zone of windowsZones has a display name, and no two display names
// fold to the same key for different zones.
func TestWindowsDisplayNames(t *testing.T) {
	has := make(map[string]bool)
	keys := make(map[string]string)
	for name, id := range windowsDisplayNames {
		if _, ok := windowsZone(id); !ok {
			t.Errorf("%q: Windows ID %q is not in windowsZones", name, id)
		}
		has[id] = true
		if prev, dup := keys[displayKey(name)]; dup && prev != id {
			t.Errorf("%q: key %q is both %q and %q", name, displayKey(name), prev, id)
		}
		keys[displayKey(name)] = id
		if iana, ok := windowsDisplayZone(name); !ok || loadIANA(iana) == nil {
			t.Errorf("%q: resolves to %q", name, iana)
		}
	}
	for id := range windowsZones {
		if !has[id] {
			t.Errorf("Windows zone %q has no display name", id)
		}
	}
}
