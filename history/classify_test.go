package history

import (
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/calendar/recur"
)

func TestClassify(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, berlin) }
	pair := calendar.NewPair("anna@example.com", "bob@example.com")
	s := &calendar.Series{ID: "team/uid-bob", Pair: pair, Cadence: calendar.CadenceWeekly}
	master := &calendar.Event{UID: "uid-bob", Organizer: att("anna@example.com", "", ""),
		Attendees: []calendar.Attendee{att("bob@example.com", "", calendar.PartStatAccepted)}}
	declinedOv := &calendar.Event{UID: "uid-bob", RecurrenceID: day(10, 10), Organizer: att("anna@example.com", "", ""),
		Attendees: []calendar.Attendee{att("bob@example.com", "", calendar.PartStatDeclined)}}
	movedOv := &calendar.Event{UID: "uid-bob", RecurrenceID: day(17, 10)}
	advancedOv := &calendar.Event{UID: "uid-bob", RecurrenceID: day(24, 10)}
	now := day(20, 12)

	slot := func(d int) recur.Instance {
		return recur.Instance{OriginalStart: day(d, 10), Start: day(d, 10), End: day(d, 11), Event: master}
	}
	inst := []recur.Instance{
		slot(3), // held
		{OriginalStart: day(10, 10), Start: day(10, 10), End: day(10, 11), Event: declinedOv, Override: true},
		{OriginalStart: day(17, 10), Start: day(19, 10), End: day(19, 11), Event: movedOv, Override: true},
		{OriginalStart: day(24, 10), Start: day(23, 9), End: day(23, 10), Event: advancedOv, Override: true},
		slot(27), // cancelled below, made up by a one-off on the 28th
		{OriginalStart: time.Date(2026, 12, 1, 10, 0, 0, 0, berlin), Start: time.Date(2026, 12, 1, 10, 0, 0, 0, berlin), Event: master, Cancelled: true},
		slot(30),
	}
	inst[4].OriginalStart, inst[4].Start = day(26, 10), day(26, 10)
	inst[4].Cancelled = true
	makeUp := &calendar.Event{UID: "makeup", Start: day(28, 15), End: day(28, 16)}
	oneOffs := []*calendar.Event{makeUp}

	got := Classify(s, inst, oneOffs, map[string]bool{}, now)
	want := []struct {
		state calendar.State
		start time.Time
		shift int
	}{
		{calendar.StateHeld, day(3, 10), 0},
		{calendar.StateDeclined, day(10, 10), 0},
		{calendar.StatePostponed, day(19, 10), 2 * 24 * 60},
		{calendar.StateAdvanced, day(23, 9), -(24*60 + 60)},
		{calendar.StatePostponed, day(28, 15), 2*24*60 + 5*60},
		{calendar.StateSkipped, time.Date(2026, 12, 1, 10, 0, 0, 0, berlin), 0},
		{calendar.StateUpcoming, day(30, 10), 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d occurrences, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.State != w.state || !g.Start.Equal(w.start) || g.ShiftMinutes() != w.shift {
			t.Errorf("occurrence %d (%s): got %s start %s shift %d, want %s start %s shift %d",
				i, g.OriginalStart, g.State, g.Start, g.ShiftMinutes(), w.state, w.start, w.shift)
		}
		if g.SeriesID != s.ID || g.Pair != pair {
			t.Errorf("occurrence %d: series %q pair %v", i, g.SeriesID, g.Pair)
		}
	}
	if got[4].MadeUpBy != "makeup" {
		t.Errorf("made up by %q, want makeup", got[4].MadeUpBy)
	}
}

func TestClassifyMakeUpUsedOnce(t *testing.T) {
	loc := time.UTC
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, loc) }
	s := &calendar.Series{ID: "s", Pair: calendar.NewPair("a@x", "b@x"), Cadence: calendar.CadenceWeekly}
	inst := []recur.Instance{
		{OriginalStart: day(3), Start: day(3), Cancelled: true},
		{OriginalStart: day(10), Start: day(10), Cancelled: true},
	}
	// One make-up between the two slots: it makes up the first (later than
	// its slot), not also the second (earlier than its slot).
	mk := &calendar.Event{UID: "m", Start: day(5), End: day(5).Add(time.Hour)}
	got := Classify(s, inst, []*calendar.Event{mk}, map[string]bool{}, day(20))
	if got[0].State != calendar.StatePostponed || got[1].State != calendar.StateSkipped {
		t.Fatalf("states = %s, %s; want postponed, skipped", got[0].State, got[1].State)
	}
}

func TestClassifyMakeUpAfterNextSlotIsNotOne(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC) }
	s := &calendar.Series{ID: "s", Pair: calendar.NewPair("a@x", "b@x"), Cadence: calendar.CadenceWeekly}
	inst := []recur.Instance{
		{OriginalStart: day(3), Start: day(3), Cancelled: true},
		{OriginalStart: day(10), Start: day(10)},
	}
	mk := &calendar.Event{UID: "m", Start: day(11)}
	got := Classify(s, inst, []*calendar.Event{mk}, map[string]bool{}, day(20))
	if got[0].State != calendar.StateSkipped || got[1].State != calendar.StateHeld {
		t.Fatalf("states = %s, %s; want skipped, held", got[0].State, got[1].State)
	}
}
