package nudge

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/report"
	"oneonone/store"
)

// A nudge fires once, across runs and a reopened store; one that no
// deliverer took is tried again; a deliverer that fails does not stop the
// others.
func TestRunFiresOnce(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, loc) }
	s := calendar.Series{ID: "team/bob", Source: "team", UID: "bob", Pair: calendar.NewPair("anna@example.com", "bob@example.com"),
		Me: "anna@example.com", Counterpart: "bob@example.com", Cadence: calendar.CadenceWeekly, Start: at(3, 10)}
	occ := func(d int, st calendar.State) calendar.Occurrence {
		return calendar.Occurrence{SeriesID: s.ID, Pair: s.Pair, OriginalStart: at(d, 10), Start: at(d, 10), End: at(d, 11), State: st}
	}
	in := report.Input{Now: at(25, 12), Location: loc, Series: []calendar.Series{s},
		Occurrences: []calendar.Occurrence{occ(3, calendar.StateHeld), occ(10, calendar.StateHeld), occ(17, calendar.StateSkipped), occ(24, calendar.StateSkipped)}}
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var mails, chats int
	failing := true
	r := &Runner{Rules: report.NudgeRules{TwoSkips: true}, Store: st, Deliver: []Deliverer{
		func(context.Context, report.Nudge) error {
			if failing {
				return errors.New("SMTP down")
			}
			mails++
			return nil
		},
	}}
	// Every deliverer fails: nothing fired, nothing remembered.
	if fired, err := r.Run(context.Background(), in); len(fired) != 0 || err == nil {
		t.Fatalf("fired %d, err %v", len(fired), err)
	}
	// The mail fails, the chat takes it: fired, once.
	r.Deliver = append(r.Deliver, func(context.Context, report.Nudge) error { chats++; return nil })
	if fired, _ := r.Run(context.Background(), in); len(fired) != 1 || chats != 1 {
		t.Fatalf("fired %d, %d chats", len(fired), chats)
	}
	failing = false
	for range 3 {
		if fired, err := r.Run(context.Background(), in); len(fired) != 0 || err != nil {
			t.Fatalf("fired again: %d, %v", len(fired), err)
		}
	}
	// A restart: the store remembers.
	st.Close()
	st, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r.Store = st
	if fired, _ := r.Run(context.Background(), in); len(fired) != 0 || mails != 0 || chats != 1 {
		t.Fatalf("after a restart: fired %d, %d mails, %d chats", len(fired), mails, chats)
	}
}
