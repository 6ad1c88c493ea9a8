package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

// The benchmarks use a large store: 20,000 series × 100 occurrences. They run
// only under -bench.
const (
	benchSeries      = 20000
	benchOccurrences = 100
)

func benchHistory() ([]calendar.Series, []calendar.Occurrence) {
	ser := make([]calendar.Series, 0, benchSeries)
	occ := make([]calendar.Occurrence, 0, benchSeries*benchOccurrences)
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	for i := range benchSeries {
		id := fmt.Sprintf("team/cal/uid-%05d", i)
		ser = append(ser, calendar.Series{ID: id, Source: "team", Calendar: "/cal/", UID: id, Title: "1:1", Pair: pair,
			Me: pair.A, Counterpart: pair.B, Relationship: "report", Cadence: calendar.CadenceWeekly, RRule: "FREQ=WEEKLY", Start: t0})
		for w := range benchOccurrences {
			start := t0.AddDate(0, 0, 7*w).Add(time.Duration(i%40) * 15 * time.Minute)
			occ = append(occ, calendar.Occurrence{SeriesID: id, Pair: pair, OriginalStart: start, Start: start,
				End: start.Add(30 * time.Minute), State: calendar.StateHeld})
		}
	}
	return ser, occ
}

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkSaveHistory saves the whole history into a new store
// ("insert"), and again unchanged ("unchanged", the daemon's usual case).
func BenchmarkSaveHistory(b *testing.B) {
	ser, occ := benchHistory()
	b.Run("insert", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s := benchStore(b)
			b.StartTimer()
			if err := s.SaveHistory("team", ser, occ); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(occ)), "occurrences/op")
	})
	b.Run("unchanged", func(b *testing.B) {
		s := benchStore(b)
		if err := s.SaveHistory("team", ser, occ); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := s.SaveHistory("team", ser, occ); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkReadOccurrences(b *testing.B) {
	ser, occ := benchHistory()
	s := benchStore(b)
	if err := s.SaveHistory("team", ser, occ); err != nil {
		b.Fatal(err)
	}
	b.Run("AllOccurrences", func(b *testing.B) {
		for b.Loop() {
			all, err := s.AllOccurrences()
			if err != nil || len(all) != len(occ) {
				b.Fatal(len(all), err)
			}
		}
	})
	b.Run("ForEachOccurrence", func(b *testing.B) {
		for b.Loop() {
			n := 0
			if err := s.ForEachOccurrence(func(calendar.Occurrence) error { n++; return nil }); err != nil || n != len(occ) {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("Occurrences", func(b *testing.B) {
		i := 0
		for b.Loop() {
			l, err := s.Occurrences(ser[i%len(ser)].ID)
			if err != nil || len(l) != benchOccurrences {
				b.Fatal(len(l), err)
			}
			i++
		}
	})
}

// BenchmarkDecodeOccurrence decodes one stored occurrence (and
// BenchmarkEncodeOccurrence encodes it): a held slot in Europe/Berlin,
// seen once.
func BenchmarkDecodeOccurrence(b *testing.B) {
	o := benchOccurrence()
	k := []byte(o.SeriesID + sep + o.Key())
	v, err := encodeOccurrence(o)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeOccurrence(k, v); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(v)), "bytes/value")
}

func BenchmarkEncodeOccurrence(b *testing.B) {
	o := benchOccurrence()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeOccurrence(o); err != nil {
			b.Fatal(err)
		}
	}
}

func benchOccurrence() calendar.Occurrence {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	start := time.Date(2026, 11, 17, 10, 0, 0, 0, berlin)
	return calendar.Occurrence{SeriesID: "team/cal/uid-00042@example.com", Pair: calendar.NewPair("anna@example.com", "bob@example.com"),
		OriginalStart: start, Start: start, End: start.Add(30 * time.Minute), State: calendar.StateHeld,
		SeenAt: time.Date(2026, 9, 1, 8, 12, 33, 0, time.UTC)}
}

// BenchmarkObject encodes and decodes a 3.4 KB iCalendar object (a 1:1
// series with a VTIMEZONE and a few overrides, the size of the generated
// calendars' objects): deflated, and as it came.
func BenchmarkObject(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")
	for i := range 6 {
		fmt.Fprintf(&sb, "BEGIN:VEVENT\r\nUID:series-42@example.com\r\nDTSTAMP:20251120T090000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:202601%02dT100000\r\nDTSTART;TZID=Europe/Berlin:202601%02dT110000\r\nDTEND;TZID=Europe/Berlin:202601%02dT113000\r\nSUMMARY:Anna / Bob\r\nORGANIZER;CN=Anna:mailto:anna@example.com\r\nATTENDEE;CN=Anna;PARTSTAT=ACCEPTED:mailto:anna@example.com\r\nATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\nDESCRIPTION:Agenda: https://docs.example.com/1on1/bob\\n\\nNotes\\, actions and feedback.\r\nEND:VEVENT\r\n", i+5, i+5, i+5)
	}
	sb.WriteString("END:VCALENDAR\r\n")
	data := []byte(sb.String())
	v, err := encodeObject(`"etag-42"`, data)
	if err != nil || v[0] != objectV2 {
		b.Fatalf("%v, version %d", err, v[0])
	}
	b.Logf("%d bytes stored in %d", len(data), len(v))
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeObject(`"etag-42"`, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := decodeObject(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
