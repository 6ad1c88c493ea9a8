package history

import (
	"testing"
	"time"

	"oneonone/calendar"
)

// fate is what a test expects of an occurrence's change fields.
type fate struct {
	state     calendar.State
	at        time.Time // ChangedAt
	by        string
	seen      time.Time // ChangeSeen
	estimated bool
}

func (m *memHistory) changes(t *testing.T) map[string]fate {
	t.Helper()
	out := map[string]fate{}
	for _, s := range m.series {
		for _, o := range m.occ[s.ID] {
			out[o.OriginalStart.In(berlin).Format("01-02 15:04")] = fate{o.State, o.ChangedAt, o.ChangedBy, o.ChangeSeen, o.Estimated}
		}
	}
	return out
}

func assertChanges(t *testing.T, when string, got map[string]fate, want map[string]fate) {
	t.Helper()
	for k, w := range want {
		g := got[k]
		if g.state != w.state || !g.at.Equal(w.at) || g.by != w.by || !g.seen.Equal(w.seen) || g.estimated != w.estimated {
			t.Errorf("%s, slot %s: %+v, want %+v", when, k, g, w)
		}
	}
}

// Who changed a slot's fate, and when by the provider's clock and by
// ours: the organizer cancelling, moving or EXDATE-ing it, bob declining,
// a slot removed from the calendar; seen first on the first cycle (the
// past before it estimated), or as it happened; kept as first seen when
// the event is edited again; and restored.
func TestBuildRecordsWhoChangedWhat(t *testing.T) {
	var h memHistory
	m0 := day(1, 8) // the master's LAST-MODIFIED
	master := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	master.Modified = m0
	master.Recurrence.ExDates = []time.Time{day(10, 10)}
	override := func(orig, start time.Time, modified time.Time) calendar.Event {
		ov := master
		ov.Recurrence, ov.RecurrenceID, ov.Start, ov.End, ov.Modified = nil, orig, start, start.Add(time.Hour), modified
		return ov
	}
	declined := override(day(17, 10), day(17, 10), day(16, 9))
	declined.Attendees = []calendar.Attendee{person("bob@example.com", calendar.PartStatDeclined)}

	// First cycle, the 20th: the EXDATE of the 10th and bob's decline of
	// the 17th predate it: estimated, with the provider's times.
	now1 := day(20, 12)
	h.cycle(t, now1, master, declined)
	assertChanges(t, "first cycle", h.changes(t), map[string]fate{
		"11-03 10:00": {state: calendar.StateHeld},
		"11-10 10:00": {calendar.StateSkipped, m0, "anna@example.com", now1, true},
		"11-17 10:00": {calendar.StateDeclined, day(16, 9), "bob@example.com", now1, true},
		"11-24 10:00": {state: calendar.StateUpcoming},
	})

	// The 23rd: anna cancels the 24th and moves the 1st by a day.
	now2 := day(23, 9)
	cancelled := override(day(24, 10), day(24, 10), day(23, 8))
	cancelled.Status = calendar.StatusCancelled
	moved := override(day(31, 10).AddDate(0, 0, 0), day(31, 10).Add(24*time.Hour), day(23, 8).Add(30*time.Minute))
	h.cycle(t, now2, master, declined, cancelled, moved)
	assertChanges(t, "after the cancellation", h.changes(t), map[string]fate{
		"11-10 10:00": {calendar.StateSkipped, m0, "anna@example.com", now1, true},
		"11-17 10:00": {calendar.StateDeclined, day(16, 9), "bob@example.com", now1, true},
		"11-24 10:00": {calendar.StateSkipped, day(23, 8), "anna@example.com", now2, false},
		"12-01 10:00": {calendar.StatePostponed, day(23, 8).Add(30 * time.Minute), "anna@example.com", now2, false},
	})

	// The 24th, 8:00: the cancelled override is edited again (a note):
	// the change stays the one first seen. The move is undone: restored.
	now3 := day(24, 8)
	cancelled.Modified = day(24, 7)
	h.cycle(t, now3, master, declined, cancelled)
	assertChanges(t, "after the edit and the restore", h.changes(t), map[string]fate{
		"11-24 10:00": {calendar.StateSkipped, day(23, 8), "anna@example.com", now2, false},
		"12-01 10:00": {calendar.StateUpcoming, time.Time{}, "", now3, false},
	})

	// Later, the restored slot is held; a plain slot has no change.
	now4 := day(2, 12).AddDate(0, 1, 0)
	h.cycle(t, now4, master, declined, cancelled)
	assertChanges(t, "later", h.changes(t), map[string]fate{
		"12-01 10:00": {calendar.StateHeld, time.Time{}, "", now3, false},
		"11-03 10:00": {state: calendar.StateHeld},
	})
}

// A slot gone from the calendar is skipped from the cycle that missed it,
// by no one the calendar names.
func TestBuildVanishedSlotChangeSeen(t *testing.T) {
	var h memHistory
	ev := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	ev.Recurrence = &calendar.Recurrence{RDates: []time.Time{day(3, 10), day(10, 10), day(17, 10)}}
	h.cycle(t, day(12, 12), ev)
	ev.Recurrence = &calendar.Recurrence{RDates: []time.Time{day(3, 10), day(10, 10), day(24, 10)}}
	h.cycle(t, day(20, 12), ev)
	h.cycle(t, day(21, 12), ev)
	assertChanges(t, "after", h.changes(t), map[string]fate{
		"11-17 10:00": {calendar.StateSkipped, time.Time{}, "", day(20, 12), false},
	})
}

// A provider time after the slot began dates a later edit, not the slot's
// fate: the master of an EXDATE edited since, an override annotated after
// the meeting. No provider time then; a change seen live keeps its sight.
func TestBuildIgnoresProviderTimesAfterTheSlot(t *testing.T) {
	var h memHistory
	master := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	master.Recurrence.ExDates = []time.Time{day(10, 10)}
	master.Modified = day(18, 9) // edited later, for something else
	now1 := day(20, 12)
	h.cycle(t, now1, master)
	assertChanges(t, "first cycle", h.changes(t), map[string]fate{
		"11-10 10:00": {calendar.StateSkipped, time.Time{}, "anna@example.com", now1, true},
	})
	for _, o := range h.occ["team/bob"] {
		if o.OriginalStart.Equal(day(10, 10)) {
			if _, ok := o.NoticeHours(); ok {
				t.Errorf("an estimated change without the provider's time has a notice: %+v", o)
			}
		}
	}
}
