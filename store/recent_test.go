package store

import (
	"slices"
	"testing"
	"time"

	"oneonone/calendar"
)

// TestRecent: RecentTx reads a series from a start minus MaxShift, between
// two instants, and finds the last matching occurrence before an instant,
// whatever series lie around it in the bucket; it visits only what it reads.
func TestRecent(t *testing.T) {
	s := openTemp(t)
	// a sorts before a2, which sorts before b: the last series of the
	// bucket, where a seek past its end finds no key.
	a, a2, b := "team/cal/a", "team/cal/a2", "team/cal/b"
	var all []calendar.Occurrence
	for w := range 30 {
		st := calendar.StateHeld
		if w >= 20 || w%3 == 0 {
			st = calendar.StateSkipped
		}
		all = append(all, occ(a, w, st), occ(a2, w, calendar.StateHeld), occ(b, w, st))
	}
	if err := s.SaveHistory("team", []calendar.Series{series(a), series(a2), series(b)}, all); err != nil {
		t.Fatal(err)
	}
	week := func(w int) time.Time { return t0.AddDate(0, 0, 7*w) }
	held := func(o calendar.Occurrence) bool { return o.State == calendar.StateHeld }

	err := s.ViewRecent(func(tx *RecentTx) error {
		// Between weeks 17 and 29, with a filter, and to the end.
		got, err := tx.Between(a, week(17), week(29), held)
		if err != nil {
			return err
		}
		if g := occSummary(got); !slices.Equal(g, []string{"team/cal/a@17:held", "team/cal/a@19:held"}) {
			t.Errorf("Between held = %q", g)
		}
		got, err = tx.Between(b, week(25), time.Time{}, nil)
		if err != nil {
			return err
		}
		if g := occSummary(got); len(g) != 5 || g[0] != "team/cal/b@25:skipped" || g[4] != "team/cal/b@29:skipped" {
			t.Errorf("Between to the end = %q, want weeks 25 to 29", g)
		}
		if v := tx.Visited(); v != 12+5 {
			t.Errorf("visited %d records, want the %d read", v, 12+5)
		}
		got, err = tx.Between(a2, week(3), week(6), nil)
		if err != nil {
			return err
		}
		if g := occSummary(got); !slices.Equal(g, []string{"team/cal/a2@3:held", "team/cal/a2@4:held", "team/cal/a2@5:held"}) {
			t.Errorf("Between = %q", g)
		}
		for _, tc := range []struct {
			name, id string
			t        time.Time
			want     string
		}{
			{"first series, after its last held", a, week(29), "team/cal/a@19:held"},
			{"at a held slot: before it", a, week(19), "team/cal/a@17:held"},
			{"within a second of a slot", a, week(19).Add(time.Second / 2), "team/cal/a@17:held"},
			{"last series of the bucket, past its end", b, week(40), "team/cal/b@19:held"},
			{"before the first held", b, week(1), ""},
			{"before everything", b, week(-5), ""},
			{"zero", a, time.Time{}, ""},
		} {
			o, ok, err := tx.LastOccurrenceBefore(tc.id, tc.t, held)
			if err != nil {
				return err
			}
			got := ""
			if ok {
				got = occSummary([]calendar.Occurrence{o})[0]
			}
			if got != tc.want {
				t.Errorf("LastOccurrenceBefore(%s) = %q, want %q", tc.name, got, tc.want)
			}
		}
		if _, _, err := tx.LastOccurrenceBefore("", week(3), nil); err == nil {
			t.Error("LastOccurrenceBefore of an empty series id: no error")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
