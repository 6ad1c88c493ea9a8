package history

import (
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
)

// A recurring 1:1 whose master is STATUS:CANCELLED has ended: Inspect
// shows no skips for it, as the engine records none.
func TestInspectCancelledMasterIsTheEnd(t *testing.T) {
	ev := weekly1on1("cancelled", "bob@example.com", day(3, 10), "FREQ=WEEKLY")
	ev.Status = calendar.StatusCancelled
	now := day(20, 12)
	got, err := Inspect(InspectInput{
		Events: []calendar.Event{ev},
		Rules:  DetectRules{Me: []string{"anna@example.com"}},
		From:   day(1, 0), To: now.Add(14 * 24 * time.Hour), Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d explanations, want 1", len(got))
	}
	x := got[0]
	if x.OneOnOne || len(x.Occurrences) != 0 || !strings.Contains(x.Reason, "cancelled") {
		t.Errorf("cancelled series: one_on_one %v, %d occurrences, reason %q; want not tracked, none, a reason naming the cancellation",
			x.OneOnOne, len(x.Occurrences), x.Reason)
	}
	if x.Counterpart != "bob@example.com" {
		t.Errorf("counterpart %q, want bob@example.com", x.Counterpart)
	}

	// Without the STATUS it is a weekly 1:1 with held and upcoming slots.
	ev.Status = ""
	got, err = Inspect(InspectInput{
		Events: []calendar.Event{ev},
		Rules:  DetectRules{Me: []string{"anna@example.com"}},
		From:   day(1, 0), To: now.Add(14 * 24 * time.Hour), Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	states := map[calendar.State]int{}
	for _, o := range got[0].Occurrences {
		states[o.State]++
	}
	if !got[0].OneOnOne || states[calendar.StateHeld] != 3 || states[calendar.StateUpcoming] != 2 || len(states) != 2 {
		t.Errorf("live series: %v, want 3 held and 2 upcoming", states)
	}
}

// Inspect explains what it does not track, and gives it no states.
func TestInspectExplainsEveryGroup(t *testing.T) {
	now := day(20, 12)
	one := weekly1on1("one", "bob@example.com", day(3, 10), "FREQ=WEEKLY")
	team := weekly1on1("team", "bob@example.com", day(3, 11), "FREQ=WEEKLY")
	team.Attendees = append(team.Attendees, person("carol@example.com", calendar.PartStatAccepted))
	oneOff := weekly1on1("oneoff", "bob@example.com", day(5, 15), "")
	oneOff.Recurrence = nil
	orphan := weekly1on1("orphan", "bob@example.com", day(10, 10), "")
	orphan.Recurrence, orphan.RecurrenceID = nil, day(10, 10)
	got, err := Inspect(InspectInput{
		Events: []calendar.Event{one, team, oneOff, orphan},
		Rules:  DetectRules{Me: []string{"anna@example.com"}},
		From:   day(1, 0), To: now, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"one":    "",
		"team":   "3 human participants",
		"oneoff": "can make up a cancelled 1:1",
		"orphan": "without their recurring master",
	}
	if len(got) != len(want) {
		t.Fatalf("%d explanations, want %d", len(got), len(want))
	}
	for _, x := range got {
		if x.UID != "one" && len(x.Occurrences) != 0 {
			t.Errorf("%s: %d occurrences for an event that is not tracked", x.UID, len(x.Occurrences))
		}
		if w := want[x.UID]; !strings.Contains(x.Reason, w) {
			t.Errorf("%s: reason %q, want it to say %q", x.UID, x.Reason, w)
		}
	}
	if got[0].UID != "one" || !got[0].OneOnOne || len(got[0].Occurrences) != 3 {
		t.Errorf("the 1:1: %+v, want tracked with 3 occurrences", got[0])
	}
}
