package ical

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// export is one VCALENDAR with a VTIMEZONE and n weekly series, each a
// master and one override, as a calendar export holds them.
func export(n int) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n")
	b.WriteString("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n" +
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n" +
		"BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" +
		"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n")
	for i := range n {
		uid := fmt.Sprintf("s%d@example.com", i)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\n"+
			"DTSTART;TZID=Europe/Berlin:20260105T%02d0000\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\n"+
			"SUMMARY:1:1 %d\r\nEND:VEVENT\r\n", uid, 8+i%10, i)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\n"+
			"RECURRENCE-ID;TZID=Europe/Berlin:20260112T%02d0000\r\n"+
			"DTSTART;TZID=Europe/Berlin:20260113T%02d0000\r\nDURATION:PT30M\r\n"+
			"SUMMARY:1:1 %d (moved)\r\nEND:VEVENT\r\n", uid, 8+i%10, 8+i%10, i)
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

// parseInPieces reads a file in pieces only when that gives what Parse
// gives of the whole file: the same events, in the same order, and no
// problem; ParseLarge gives what Parse gives either way. An export is read
// in pieces, never splitting a UID's events.
func TestParseInPiecesMatchesParse(t *testing.T) {
	files := map[string][]byte{"export": export(30)}
	names, _ := filepath.Glob(filepath.Join("testdata", "*.ics"))
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	pieces := 0
	for name, data := range files {
		opt := ParseOptions{Href: name, DefaultZone: time.UTC}
		want, wantErr := Parse(data, opt)
		for _, per := range []int{0, 1, 7, 100} {
			got, err := ParseLarge(data, opt, per)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: ParseLarge in pieces of %d gives %d events and %v, Parse %d and %v", name, per, len(got), err, len(want), wantErr)
			}
			if per == 0 {
				continue
			}
			got, ok := parseInPieces(data, opt, per)
			if !ok {
				if name == "export" && per < 30 {
					t.Errorf("%s: not read in pieces of %d", name, per)
				}
				continue
			}
			pieces++
			if wantErr != nil {
				t.Errorf("%s: read in pieces of %d, but reading it whole says %v", name, per, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: pieces of %d give %d events, the whole file %d, or they differ", name, per, len(got), len(want))
			}
		}
	}
	if pieces == 0 {
		t.Fatal("no file read in pieces")
	}
}
