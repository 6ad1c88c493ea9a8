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
// does, cycle after cycle over two years of edits: moved, cancelled and
// declined slots, a slot moved into the window from before it, an "all
// events" rule change, a series deleted and created again, one ended.
func TestBuildWindowKeepsTheSameHistory(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, loc) }
	person := func(email, partstat string) calendar.Attendee {
		return calendar.Attendee{Email: email, PartStat: partstat}
	}
	series := func(uid, who string, start time.Time, rrule string) *calendar.Event {
		return &calendar.Event{
			Source: "team", Calendar: "work", Href: uid + ".ics", UID: uid,
			Summary: "Anna / " + who, Start: start, End: start.Add(30 * time.Minute),
			Organizer:  person("anna@example.com", ""),
			Attendees:  []calendar.Attendee{person("anna@example.com", calendar.PartStatAccepted), person(who, calendar.PartStatAccepted)},
			Recurrence: &calendar.Recurrence{RRules: []string{rrule}},
		}
	}
	override := func(m *calendar.Event, orig, start time.Time) calendar.Event {
		ov := *m
		ov.Recurrence, ov.RecurrenceID = nil, orig
		ov.Start, ov.End = start, start.Add(30*time.Minute)
		ov.Attendees = append([]calendar.Attendee(nil), m.Attendees...)
		return ov
	}

	bob := series("bob", "bob@example.com", at(2024, 1, 2, 10), "FREQ=WEEKLY;BYDAY=TU")
	carol := series("carol", "carol@example.com", at(2024, 1, 4, 15), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH")
	dave := series("dave", "dave@example.com", at(2024, 1, 15, 11), "FREQ=MONTHLY;BYMONTHDAY=15")
	var extra []calendar.Event // overrides and one-offs

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

	now := at(2024, 1, 3, 9)
	for step := range 120 {
		now = now.Add(6*24*time.Hour + 5*time.Hour) // cycles fall on every weekday and hour
		week := func(n int) time.Time {             // bob's slot n weeks from this cycle's week
			d := bob.Start
			for d.Before(now) {
				d = d.AddDate(0, 0, 7)
			}
			return d.AddDate(0, 0, 7*n)
		}
		switch step {
		case 10: // postponed by a day, inside the window
			extra = append(extra, override(bob, week(-3), week(-3).AddDate(0, 0, 1)))
		case 20: // a slot from before the window, moved into it
			extra = append(extra, override(bob, week(-10), now.Add(-50*time.Hour)))
		case 30: // bob's next slot cancelled, an older one EXDATEd
			ov := override(bob, week(0), week(0))
			ov.Status = calendar.StatusCancelled
			extra = append(extra, ov)
			bob.Recurrence.ExDates = append(bob.Recurrence.ExDates, week(-2))
		case 40: // bob declines a slot
			ov := override(bob, week(1), week(1))
			ov.Attendees = []calendar.Attendee{person("anna@example.com", calendar.PartStatAccepted), person("bob@example.com", calendar.PartStatDeclined)}
			extra = append(extra, ov)
		case 50: // "all events": bob's 1:1 moves to Wednesdays at 11:00
			bob.Start, bob.End = bob.Start.AddDate(0, 0, 1).Add(time.Hour), bob.End.AddDate(0, 0, 1).Add(time.Hour)
			bob.Recurrence.RRules = []string{"FREQ=WEEKLY;BYDAY=WE"}
		case 60: // carol's series deleted ...
			carol = nil
		case 62: // ... and created again with its old start
			carol = series("carol-2", "carol@example.com", at(2024, 1, 4, 15), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH")
		case 70: // dave's ends three weeks ago
			dave.Recurrence.RRules = []string{"FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=" + now.AddDate(0, 0, -21).UTC().Format("20060102T150405Z")}
		case 80: // a cancelled slot of carol's made up by a one-off two days later
			d := carol.Start
			for d.Before(now.AddDate(0, 0, -14)) {
				d = d.AddDate(0, 0, 14)
			}
			ov := override(carol, d, d)
			ov.Status = calendar.StatusCancelled
			mk := calendar.Event{Source: "team", Calendar: "work", Href: "mk.ics", UID: "mk", Summary: "Carol catch-up",
				Start: d.AddDate(0, 0, 2), End: d.AddDate(0, 0, 2).Add(time.Hour),
				Organizer: person("carol@example.com", ""), Attendees: []calendar.Attendee{person("anna@example.com", calendar.PartStatAccepted)}}
			extra = append(extra, ov, mk)
		case 100: // dave's series deleted
			dave = nil
		}
		var events []calendar.Event
		for _, m := range []*calendar.Event{bob, carol, dave} {
			if m != nil {
				events = append(events, *m)
			}
		}
		for _, e := range extra {
			if (e.UID == "carol" && carol != nil && carol.UID != "carol") || (e.UID == "dave" && dave == nil) {
				continue // overrides of a deleted series went with it
			}
			events = append(events, e)
		}
		cycle(now, events)
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
