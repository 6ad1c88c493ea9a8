package store

import (
	"fmt"
	"path/filepath"
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
