package report

import (
	"slices"
	"testing"

	"oneonone/calendar"
)

// twoSources returns one 1:1 as two sources see it: a Google calendar
// (keyed by its event id, with the iCalendar UID beside it) and the CalDAV
// mirror of it (keyed by that UID), rebuilt a minute apart.
func twoSources() (google, mirror calendar.Series) {
	google = series("abc123", bobAddr, calendar.CadenceWeekly, "2026-10-06 10:00")
	google.ID, google.Source, google.Calendar = "google/abc123", "google", "primary"
	google.ICalUID = "abc123@google.com"
	google.Checked = at("2026-11-10 12:00")
	mirror = series("abc123@google.com", bobAddr, calendar.CadenceWeekly, "2026-10-06 10:00")
	mirror.ID, mirror.Source = "mirror/abc123@google.com", "mirror"
	mirror.Checked = at("2026-11-10 12:01")
	return google, mirror
}

// TestSameMeetingTwoSourcesCountsOnce: the same 1:1 (same iCalendar UID)
// through two sources counts each slot once, in the report and in the
// series summaries, which name both sources and one series.
func TestSameMeetingTwoSourcesCountsOnce(t *testing.T) {
	g, m := twoSources()
	// Six Tuesdays; the mirror was added later and knows the last four
	// only, and it saw the fifth declined after Google's copy was built.
	gOcc := run(g, "2026-10-06 10:00", 7, "hhshhu")
	mOcc := run(m, "2026-10-20 10:00", 7, "shdu")
	in := Input{
		Series:        []calendar.Series{g, m},
		Occurrences:   join(gOcc, mOcc),
		Location:      berlin,
		Now:           at("2026-11-11 09:00"), // a Wednesday
		Week:          WeekOf(at("2026-11-03 10:00"), berlin),
		TrailingWeeks: 8,
	}
	r := Build(in)
	if len(r.Pairs) != 1 {
		t.Fatalf("%d pairs, want 1", len(r.Pairs))
	}
	p := r.Pairs[0]
	if p.Week.Planned != 1 || len(p.Occurrences) != 1 {
		t.Errorf("week: %d planned, %d occurrences; want 1 and 1", p.Week.Planned, len(p.Occurrences))
	}
	// The mirror was rebuilt last: its view counts (the 11-03 declined),
	// and Google's fills the slots the mirror never saw.
	if p.Week.Declined != 1 {
		t.Errorf("week counts %+v, want the mirror's declined", p.Week)
	}
	if len(p.Occurrences) == 1 && p.Occurrences[0].SeriesID != m.ID {
		t.Errorf("occurrence of %s, want %s", p.Occurrences[0].SeriesID, m.ID)
	}
	// Due as of the week's end: 10-06 … 11-03, five slots, once each;
	// kept: 10-06, 10-13, 10-27 (10-20 skipped, the mirror's 11-03
	// declined).
	if p.Trailing.Due != 5 || p.Trailing.Kept != 3 {
		t.Errorf("trailing due %d, kept %d; want 5 and 3", p.Trailing.Due, p.Trailing.Kept)
	}
	if !slices.Equal(p.Series, []string{m.ID}) {
		t.Errorf("report series %v, want [%s]", p.Series, m.ID)
	}

	sums := Summaries(in)
	if len(sums) != 1 {
		t.Fatalf("%d summaries, want 1", len(sums))
	}
	s := sums[0]
	if !slices.Equal(s.Series, []string{m.ID}) || !slices.Equal(s.Sources, []string{"google", "mirror"}) {
		t.Errorf("summary: series %v, sources %v; want [%s] and [google mirror]", s.Series, s.Sources, m.ID)
	}
	// As of Now: 11-10 is due too, upcoming in the mirror's view.
	if s.Trailing.Due != 6 || s.Trailing.Kept != 3 {
		t.Errorf("summary due %d, kept %d; want 6 and 3", s.Trailing.Due, s.Trailing.Kept)
	}

	// The order the store gives them in does not matter.
	in.Series = []calendar.Series{m, g}
	in.Occurrences = join(mOcc, gOcc)
	r2 := Build(in).Pairs[0]
	if r2.Week != p.Week || r2.Trailing.Due != p.Trailing.Due || r2.Trailing.Kept != p.Trailing.Kept || r2.Occurrences[0].SeriesID != m.ID {
		t.Errorf("in the other order: %+v, due %d, kept %d; want %+v, %d, %d",
			r2.Week, r2.Trailing.Due, r2.Trailing.Kept, p.Week, p.Trailing.Due, p.Trailing.Kept)
	}
}

// TestSameMeetingChoice: the series kept is the one not deleted, then the
// one rebuilt last, then the smallest id; a different UID or pair is
// another meeting.
func TestSameMeetingChoice(t *testing.T) {
	g, m := twoSources()
	pick := func(ss ...calendar.Series) string {
		kept := sameMeeting(ss)
		for _, s := range ss {
			if kept[s.ID] == "" {
				return s.ID
			}
		}
		return ""
	}
	if got := pick(g, m); got != m.ID {
		t.Errorf("rebuilt last: kept %s, want %s", got, m.ID)
	}
	md := m
	md.Deleted = at("2026-11-10 12:01")
	if got := pick(g, md); got != g.ID {
		t.Errorf("mirror deleted: kept %s, want %s", got, g.ID)
	}
	ms := m
	ms.Checked = g.Checked
	if got := pick(ms, g); got != g.ID {
		t.Errorf("same check: kept %s, want the smaller id %s", got, g.ID)
	}
	other := m
	other.ICalUID, other.UID = "", "other@example.com"
	if kept := sameMeeting([]calendar.Series{g, other}); len(kept) != 0 {
		t.Errorf("different UIDs merged: %v", kept)
	}
	carol := m
	carol.Pair = calendar.NewPair(me, "carol@example.com")
	if kept := sameMeeting([]calendar.Series{g, carol}); len(kept) != 0 {
		t.Errorf("different pairs merged: %v", kept)
	}
}
