package report

import (
	"testing"

	"oneonone/calendar"
)

// Each rule fires for what happened in the last week, once per ID, and
// not for older history.
func TestNudges(t *testing.T) {
	bob := series("bob", "bob@example.com", calendar.CadenceWeekly, "2026-09-01 10:00")
	carol := series("carol", "carol@example.com", calendar.CadenceWeekly, "2026-09-03 15:00")
	dave := series("dave", "dave@example.com", calendar.CadenceWeekly, "2026-09-02 09:00")
	occs := []calendar.Occurrence{
		// bob: two skips in a row, the second this week; the first of them
		// cancelled by bob an hour before (late), the second by anna a week
		// before (not late).
		occ(bob, "2026-11-10 10:00", calendar.StateHeld),
		occ(bob, "2026-11-17 10:00", calendar.StateSkipped),
		occ(bob, "2026-11-24 10:00", calendar.StateSkipped),
		occ(bob, "2026-12-01 10:00", calendar.StateUpcoming),
		// carol: held, then one skip two hours' notice ago, two days back.
		occ(carol, "2026-11-19 15:00", calendar.StateHeld),
		occ(carol, "2026-11-23 15:00", calendar.StateSkipped),
		// dave: nothing kept since October: overdue; two skips in a row
		// long ago do not fire.
		occ(dave, "2026-10-07 09:00", calendar.StateHeld),
		occ(dave, "2026-10-14 09:00", calendar.StateSkipped),
		occ(dave, "2026-10-21 09:00", calendar.StateSkipped),
	}
	occs[1].ChangedAt, occs[1].ChangedBy = at("2026-11-17 09:00"), "bob@example.com"
	occs[2].ChangedAt, occs[2].ChangedBy = at("2026-11-17 10:00"), me
	occs[5].ChangedAt, occs[5].ChangedBy = at("2026-11-23 13:00"), me
	in := Input{Now: at("2026-11-25 12:00"), Location: berlin, Series: []calendar.Series{bob, carol, dave}, Occurrences: occs}
	got := Nudges(in, NudgeRules{Overdue: true, TwoSkips: true, LateCancel: true})
	want := map[string]string{
		"two-skips anna@example.com|bob@example.com 20261124T090000Z": "Two 1:1s with bob@example.com in a row did not take place (Tue 17 Nov and Tue 24 Nov)",
		"late-cancel team/work/carol 20261123T140000Z":                "The 1:1 with carol@example.com on Mon 23 Nov 15:00 was cancelled 2 h before and not made up",
		"overdue anna@example.com|dave@example.com 20261007T070000Z":  "Your 1:1 with dave@example.com is overdue: no 1:1 kept for twice its cadence (last kept Wed 7 Oct)",
		// Fifteen days since bob's last: overdue too.
		"overdue anna@example.com|bob@example.com 20261110T090000Z": "Your 1:1 with bob@example.com is overdue: no 1:1 kept for twice its cadence (last kept Tue 10 Nov)",
	}
	for _, n := range got {
		w, ok := want[n.ID]
		if !ok {
			t.Errorf("unexpected nudge %s: %q", n.ID, n.Text)
			continue
		}
		if n.Text != w {
			t.Errorf("%s:\n got %q\nwant %q", n.ID, n.Text, w)
		}
		delete(want, n.ID)
	}
	for id := range want {
		t.Errorf("missing nudge %s", id)
	}
	// The bob late cancellation of the 17th is older than a week: none.
	// Off rules fire nothing.
	if n := Nudges(in, NudgeRules{}); len(n) != 0 {
		t.Errorf("no rule on: %d nudges", len(n))
	}
}
