package store

import (
	"slices"
	"testing"

	"oneonone/calendar"
)

// TestSeriesOf: the series of one source only, sorted by ID, the same as
// filtering Series; a source whose name is another's with "/address" after
// it (the sources of subjects and accounts) is not mixed up with it.
func TestSeriesOf(t *testing.T) {
	s := openTemp(t)
	saved := map[string][]string{
		"team":                   {"team/cal/b", "team/cal/a"},
		"team/anna@example.com":  {"team/anna@example.com/cal/x"},
		"team/anna@example.com2": {"team/anna@example.com2/cal/y"},
		"teams":                  {"teams/cal/z"},
	}
	for src, ids := range saved {
		var ser []calendar.Series
		for _, id := range ids {
			se := series(id)
			se.Source = src
			ser = append(ser, se)
		}
		if err := s.SaveHistory(src, ser, nil); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.Series()
	if err != nil {
		t.Fatal(err)
	}
	for src := range saved {
		got, err := s.SeriesOf(src)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, se := range all {
			if se.Source == src {
				want = append(want, se.ID)
			}
		}
		var ids []string
		for _, se := range got {
			ids = append(ids, se.ID)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("SeriesOf(%q) = %v, want %v", src, ids, want)
		}
	}
	if got, err := s.SeriesOf("nobody"); err != nil || len(got) != 0 {
		t.Errorf("SeriesOf(nobody) = %v, %v", got, err)
	}
}
