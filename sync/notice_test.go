package sync_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/history"
	"oneonone/nudge"
	"oneonone/report"
	"oneonone/store"
	"oneonone/sync"
)

// TestNoticeAndWhoOverTwelveWeeks: a team of two 1:1s over twelve weeks,
// the clock moving cycle by cycle (every six hours) and edits landing
// between cycles, some an hour before the slot, some days before; a daemon
// and a new process per cycle (cron) record the same notice and the same
// authors, as written here.
func TestNoticeAndWhoOverTwelveWeeks(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cal := newEditedCalendar(loc)
	cal.carol, cal.dave, cal.meeting = nil, nil, nil
	cal.erin = cal.series("erin", "erin@example.com", cal.at(2026, 1, 9, 14), "FREQ=WEEKLY;BYDAY=FR")
	cal.bob.Start, cal.bob.End = cal.at(2026, 1, 6, 10), cal.at(2026, 1, 6, 10).Add(30*time.Minute)
	start := cal.at(2026, 1, 5, 0)
	tue := func(week int) time.Time { return cal.at(2026, 1, 6, 10).AddDate(0, 0, 7*week) }
	fri := func(week int) time.Time { return cal.at(2026, 1, 9, 14).AddDate(0, 0, 7*week) }
	// The edits, each at its own time; the cycle after it sees it.
	type edit struct {
		at time.Time
		do func(at time.Time)
	}
	edits := []edit{
		{tue(2).Add(-time.Hour), func(at time.Time) { // anna cancels bob's slot an hour before
			ov := override(cal.bob, tue(2), tue(2))
			ov.Status, ov.Modified = calendar.StatusCancelled, at
			cal.extra = append(cal.extra, ov)
		}},
		{fri(4).AddDate(0, 0, -3), func(at time.Time) { // anna moves erin's slot a day later, three days before
			ov := override(cal.erin, fri(4), fri(4).AddDate(0, 0, 1))
			ov.Modified = at
			cal.extra = append(cal.extra, ov)
		}},
		{tue(6).Add(-2 * time.Hour), func(at time.Time) { // bob declines two hours before
			ov := override(cal.bob, tue(6), tue(6))
			ov.Attendees = []calendar.Attendee{attendee("anna@example.com", calendar.PartStatAccepted), attendee("bob@example.com", calendar.PartStatDeclined)}
			ov.Modified = at
			cal.extra = append(cal.extra, ov)
		}},
		{fri(9).AddDate(0, 0, -10), func(at time.Time) { // an EXDATE ten days before
			cal.erin.Recurrence.ExDates = append(cal.erin.Recurrence.ExDates, fri(9))
			cal.erin.Modified = at
		}},
	}
	type side struct {
		src    *memSource
		st     *store.Store
		eng    *sync.Engine
		fresh  bool
		nudges map[string]int // nudge ID → times delivered
	}
	var now time.Time
	newEngine := func(s *side) {
		s.eng = &sync.Engine{Store: s.st, Sources: []sync.NamedSource{{Name: "team", Source: s.src}},
			Rules: history.DetectRules{Me: []string{"anna@example.com"}}, Now: func() time.Time { return now }}
	}
	var sides []*side
	for _, name := range []string{"daemon", "cron"} {
		st, err := store.Open(filepath.Join(t.TempDir(), name+".db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		s := &side{src: newMemSource(), st: st, fresh: name == "cron", nudges: map[string]int{}}
		newEngine(s)
		sides = append(sides, s)
	}
	for now = start; now.Before(start.AddDate(0, 0, 7*12)); now = now.Add(6 * time.Hour) {
		for len(edits) > 0 && !edits[0].at.After(now) {
			edits[0].do(edits[0].at)
			edits = edits[1:]
		}
		for _, s := range sides {
			s.src.set(cal.events())
			if s.fresh {
				newEngine(s)
			}
			if _, err := s.eng.SyncAll(context.Background()); err != nil {
				t.Fatal(err)
			}
			// The nudges after the cycle, by a runner of its own each time
			// (a restart between any two).
			in, err := report.Load(context.Background(), report.Input{Now: now, Location: loc}, s.st,
				func(context.Context, calendar.Pair) (int, error) { return 0, nil })
			if err != nil {
				t.Fatal(err)
			}
			r := &nudge.Runner{Rules: report.NudgeRules{Overdue: true, TwoSkips: true, LateCancel: true}, Store: s.st,
				Deliver: []nudge.Deliverer{func(_ context.Context, n report.Nudge) error { s.nudges[n.ID]++; return nil }}}
			if _, err := r.Run(context.Background(), in); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]struct {
		state  calendar.State
		by     string
		notice float64 // hours
	}{
		"team/bob " + tue(2).Format(time.DateTime):  {calendar.StateSkipped, "anna@example.com", 1},
		"team/erin " + fri(4).Format(time.DateTime): {calendar.StatePostponed, "anna@example.com", 72},
		"team/bob " + tue(6).Format(time.DateTime):  {calendar.StateDeclined, "bob@example.com", 2},
		"team/erin " + fri(9).Format(time.DateTime): {calendar.StateSkipped, "anna@example.com", 240},
	}
	for _, s := range sides {
		occ, err := s.st.AllOccurrences()
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, o := range occ {
			k := o.SeriesID + " " + o.OriginalStart.In(loc).Format(time.DateTime)
			w, ok := want[k]
			if !ok {
				if o.State != calendar.StateHeld && o.State != calendar.StateUpcoming {
					t.Errorf("%s: %s, not an edit of the test", k, o.State)
				}
				continue
			}
			found++
			h, changed := o.NoticeHours()
			if o.State != w.state || o.ChangedBy != w.by || !changed || math.Abs(h-w.notice) > 1e-9 || o.Estimated {
				t.Errorf("%s: %s by %q, %.2f h before (changed %v, estimated %v); want %s by %q, %.0f h before",
					k, o.State, o.ChangedBy, h, changed, o.Estimated, w.state, w.by, w.notice)
			}
			// Seen by the cycle after the edit: at most six hours later.
			if seen := o.ChangeSeen; seen.Before(o.ChangedAt) || seen.Sub(o.ChangedAt) > 6*time.Hour {
				t.Errorf("%s: seen %s for a change at %s", k, seen, o.ChangedAt)
			}
		}
		if found != len(want) {
			t.Errorf("%d of the %d changed slots found", found, len(want))
		}
		// One nudge: the cancellation an hour before, not made up; the
		// decline is no skip, the EXDATE came ten days ahead.
		wantNudge := "late-cancel team/bob " + tue(2).UTC().Format("20060102T150405Z")
		if len(s.nudges) != 1 || s.nudges[wantNudge] != 1 {
			t.Errorf("nudges delivered %v, want %s once", s.nudges, wantNudge)
		}
	}
}
