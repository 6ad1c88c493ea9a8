package ical

import (
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func utf16Bytes(s string, bigEndian, bom bool) []byte {
	var out []byte
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xfeff}, units...)
	}
	for _, u := range units {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

// A UTF-16 file (Windows exports, with or without a BOM) is read.
func TestParseUTF16(t *testing.T) {
	src := string(vcal("BEGIN:VEVENT", "UID:a", "DTSTART:20260302T090000Z", "SUMMARY:Anna / Bob – 1:1", "RRULE:FREQ=WEEKLY", "END:VEVENT"))
	for _, tc := range []struct {
		name     string
		data     []byte
		wantNote bool
	}{
		{"LE with BOM", utf16Bytes(src, false, true), true},
		{"BE with BOM", utf16Bytes(src, true, true), true},
		{"LE without BOM", utf16Bytes(src, false, false), true},
		{"BE without BOM", utf16Bytes(src, true, false), true},
		{"UTF-8 with BOM", append([]byte("\xef\xbb\xbf"), src...), false},
	} {
		evs, err := Parse(tc.data, ParseOptions{Href: "t.ics"})
		if len(evs) != 1 || evs[0].Summary != "Anna / Bob – 1:1" || evs[0].Recurrence == nil {
			t.Errorf("%s: %+v (err %v), want the weekly event", tc.name, evs, err)
		}
		if tc.wantNote != (err != nil) || err != nil && (!strings.Contains(err.Error(), "UTF-16") || strings.Contains(err.Error(), `\x00`)) {
			t.Errorf("%s: err %v, want a note naming UTF-16: %v", tc.name, err, tc.wantNote)
		}
	}
	// Cut in the middle of a code unit: still said plainly.
	data := utf16Bytes(src, false, true)
	_, err := Parse(data[:len(data)-1], ParseOptions{Href: "t.ics"})
	if err == nil || !strings.Contains(err.Error(), "UTF-16") || strings.Contains(err.Error(), `\x00`) {
		t.Errorf("odd-length UTF-16: err %v", err)
	}
}

// Outlook's quoted TZID that swallowed the value: the problem is named in
// our words, with its line, and the value is read.
func TestParseSwallowedQuote(t *testing.T) {
	data := vcal("BEGIN:VEVENT", "UID:a", `DTSTART;TZID="W. Europe Standard Time:20200609T090000"`, "DURATION:PT30M", "END:VEVENT")
	evs, err := Parse(data, ParseOptions{Href: "t.ics"})
	want := `line 6: DTSTART: a quoted TZID swallowed the value: read as TZID "W. Europe Standard Time", value 20200609T090000`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err %v, want %q", err, want)
	}
	if err != nil && (strings.Contains(err.Error(), "go-ical") || strings.Contains(err.Error(), "panic") || strings.Contains(err.Error(), "index out of range")) {
		t.Errorf("err %v shows the decoder's panic", err)
	}
	if len(evs) != 1 || !evs[0].Start.Equal(time.Date(2020, 6, 9, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("events %+v, want one at 09:00 Berlin", evs)
	}
}

// An edit of a UTF-16 object says so, rather than that no VEVENT is there.
func TestSetDescriptionUTF16(t *testing.T) {
	src := string(vcal("BEGIN:VEVENT", "UID:a", "DTSTART:20260302T090000Z", "DESCRIPTION:x", "END:VEVENT"))
	for _, big := range []bool{false, true} {
		out, _, err := SetDescription(utf16Bytes(src, big, true), "a", time.Time{}, "new")
		if out != nil || err == nil || !strings.Contains(err.Error(), "UTF-16") {
			t.Errorf("big-endian %v: %q, %v; want an error naming UTF-16", big, out, err)
		}
	}
}
