package sync_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/history"
	"oneonone/store"
)

// TestBuildWindowKeepsTheSameHistory: reading and saving only the recompute
// window (history.Input.OccurrencesFrom, store.SaveHistoryFrom, as the engine
// does) leaves exactly the history that reading and saving all of it
// does, cycle after cycle over two years of edits (editedCalendar).
func TestBuildWindowKeepsTheSameHistory(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cal := newEditedCalendar(loc)

	open := func(name string) *store.Store {
		st, err := store.Open(filepath.Join(t.TempDir(), name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	full, window := open("full.db"), open("window.db")
	const kept = 8 * 7 * 24 * time.Hour
	cycle := func(now time.Time, events []calendar.Event) {
		t.Helper()
		for _, mode := range []string{"full", "window"} {
			st := full
			if mode == "window" {
				st = window
			}
			stored, err := st.Series()
			if err != nil {
				t.Fatal(err)
			}
			in := history.Input{
				Source: "team", Events: events, Stored: stored,
				Rules: history.DetectRules{Me: []string{"anna@example.com"}},
				Now:   now, Horizon: 14 * 24 * time.Hour, History: kept,
			}
			if mode == "full" {
				in.Occurrences = st.Occurrences
			} else {
				in.OccurrencesFrom = st.OccurrencesFrom
			}
			res := history.Build(in)
			if res.Err != nil {
				t.Fatalf("%s %s: %v", now.Format(time.DateOnly), mode, res.Err)
			}
			if mode == "full" {
				err = st.SaveHistory("team", res.Series, res.Occurrences)
			} else {
				if !res.From.Equal(now.Add(-kept)) {
					t.Fatalf("history.Result.From = %s, want %s", res.From, now.Add(-kept))
				}
				err = st.SaveHistoryFrom("team", res.Series, res.Occurrences, res.From)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		fs, _ := full.Series()
		ws, _ := window.Series()
		if !reflect.DeepEqual(fs, ws) {
			t.Fatalf("%s: series differ:\nfull   %+v\nwindow %+v", now.Format(time.DateOnly), fs, ws)
		}
		fo, _ := full.AllOccurrences()
		wo, _ := window.AllOccurrences()
		if !reflect.DeepEqual(fo, wo) {
			t.Fatalf("%s: histories differ: %d occurrences in full, %d in window\nfull   %v\nwindow %v",
				now.Format(time.DateOnly), len(fo), len(wo), fo, wo)
		}
	}

	now := cal.at(2024, 1, 3, 9)
	for step := range 120 {
		now = now.Add(6*24*time.Hour + 5*time.Hour) // cycles fall on every weekday and hour
		cal.edit(step, now)
		cycle(now, cal.events())
	}

	// The history did outgrow the window: the test compared kept pasts.
	occ, _ := window.AllOccurrences()
	old := 0
	for _, o := range occ {
		if o.OriginalStart.Before(now.Add(-kept)) {
			old++
		}
	}
	if old < 100 {
		t.Fatalf("only %d of %d occurrences lie before the window", old, len(occ))
	}
}
