package store

import (
	"slices"
	"testing"
	"time"

	"oneonone/calendar"
)

// TestHistoryWindow: OccurrencesFrom reads, and SaveHistoryFrom replaces,
// only the occurrences from a time on (to the second); older ones are left
// as stored, or upserted when given.
func TestHistoryWindow(t *testing.T) {
	s := openTemp(t)
	a, b := "team/cal/a", "team/cal/b"
	var all []calendar.Occurrence
	for w := range 10 {
		all = append(all, occ(a, w, calendar.StateHeld), occ(b, w, calendar.StateHeld))
	}
	if err := s.SaveHistory("team", []calendar.Series{series(a), series(b)}, all); err != nil {
		t.Fatal(err)
	}
	week := func(w int) time.Time { return t0.AddDate(0, 0, 7*w) }

	for _, tc := range []struct {
		name string
		from time.Time
		want []string
	}{
		{"zero: all", time.Time{}, []string{"team/cal/a@0:held", "team/cal/a@1:held", "team/cal/a@2:held", "team/cal/a@3:held", "team/cal/a@4:held", "team/cal/a@5:held", "team/cal/a@6:held", "team/cal/a@7:held", "team/cal/a@8:held", "team/cal/a@9:held"}},
		{"at a slot", week(8), []string{"team/cal/a@8:held", "team/cal/a@9:held"}},
		{"within its second", week(8).Add(500 * time.Millisecond), []string{"team/cal/a@8:held", "team/cal/a@9:held"}},
		{"a second after", week(8).Add(time.Second), []string{"team/cal/a@9:held"}},
		{"after all", week(20), nil},
	} {
		got, err := s.OccurrencesFrom(a, tc.from)
		if err != nil {
			t.Fatal(err)
		}
		if g := occSummary(got); !slices.Equal(g, tc.want) {
			t.Errorf("OccurrencesFrom(%s) = %q, want %q", tc.name, g, tc.want)
		}
	}

	// Save a's window from week 5: week 2 changed (before the window:
	// upserted), week 5 changed, week 7 as it was, week 10 new; weeks 6, 8
	// and 9 are gone. b is not saved and stays as it was.
	err := s.SaveHistoryFrom("team", []calendar.Series{series(a)}, []calendar.Occurrence{
		occ(a, 2, calendar.StateSkipped), occ(a, 5, calendar.StatePostponed), occ(a, 7, calendar.StateHeld), occ(a, 10, calendar.StateUpcoming),
	}, week(5))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.Occurrences(a)
	want := []string{"team/cal/a@0:held", "team/cal/a@1:held", "team/cal/a@2:skipped", "team/cal/a@3:held", "team/cal/a@4:held",
		"team/cal/a@5:postponed", "team/cal/a@7:held", "team/cal/a@10:upcoming"}
	if g := occSummary(got); !slices.Equal(g, want) {
		t.Errorf("after SaveHistoryFrom: %q, want %q", g, want)
	}
	if got, _ := s.Occurrences(b); len(got) != 10 {
		t.Errorf("series b: %d occurrences, want its 10 untouched", len(got))
	}

	if err := s.SaveHistoryFrom("team", []calendar.Series{series(a)}, nil, time.Time{}); err == nil {
		t.Error("SaveHistoryFrom with a zero start: no error")
	}
}
