package history

import (
	"testing"
	"time"

	"oneonone/calendar"
)

var berlin = mustLoad("Europe/Berlin")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// day is a date in November 2026 (December for d > 30) at hour h, Berlin.
func day(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, berlin) }

func person(email, partstat string) calendar.Attendee {
	return calendar.Attendee{Email: email, PartStat: partstat}
}

// weekly1on1 is a weekly Tuesday 10:00 1:1 of anna and who, from start.
func weekly1on1(uid, who string, start time.Time, rrule string) calendar.Event {
	return calendar.Event{
		Source: "team", Calendar: "/anna/calendars/work/", Href: "/anna/calendars/work/" + uid + ".ics",
		UID: uid, Summary: "Anna / " + who, Start: start, End: start.Add(time.Hour),
		Organizer:  person("anna@example.com", ""),
		Attendees:  []calendar.Attendee{person(who, calendar.PartStatAccepted)},
		Recurrence: &calendar.Recurrence{RRules: []string{rrule}},
	}
}

// memHistory plays the store's part for Build.
type memHistory struct {
	series []calendar.Series
	occ    map[string][]calendar.Occurrence
}

func (m *memHistory) occurrences(id string) ([]calendar.Occurrence, error) { return m.occ[id], nil }

// save keeps what a cycle built, as SaveHistory does.
func (m *memHistory) save(res Result) {
	if m.occ == nil {
		m.occ = map[string][]calendar.Occurrence{}
	}
	byID := map[string]int{}
	for i, s := range m.series {
		byID[s.ID] = i
	}
	for _, s := range res.Series {
		if i, ok := byID[s.ID]; ok {
			m.series[i] = s
		} else {
			m.series = append(m.series, s)
		}
		m.occ[s.ID] = nil
	}
	for _, o := range res.Occurrences {
		m.occ[o.SeriesID] = append(m.occ[o.SeriesID], o)
	}
}

func (m *memHistory) cycle(t *testing.T, now time.Time, events ...calendar.Event) Result {
	t.Helper()
	res := Build(Input{
		Source: "team", Events: events, Stored: m.series, Occurrences: m.occurrences,
		Rules: DetectRules{Me: []string{"anna@example.com"}},
		Now:   now, Horizon: 14 * 24 * time.Hour, History: 53 * 7 * 24 * time.Hour,
	})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	m.save(res)
	return res
}

func (m *memHistory) states(pair calendar.Pair) map[string]calendar.State {
	out := map[string]calendar.State{}
	for _, s := range m.series {
		if s.Pair != pair {
			continue
		}
		for _, o := range m.occ[s.ID] {
			out[o.OriginalStart.In(berlin).Format("01-02 15:04")] = o.State
		}
	}
	return out
}

var annaBob = calendar.NewPair("anna@example.com", "bob@example.com")

func TestBuildFirstCycle(t *testing.T) {
	var h memHistory
	ev := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	ev.Recurrence.ExDates = []time.Time{day(10, 10)}
	res := h.cycle(t, day(20, 12), ev)
	if len(res.Live) != 1 || res.Live[0].Cadence != calendar.CadenceWeekly || res.Live[0].Counterpart != "bob@example.com" {
		t.Fatalf("live series = %+v", res.Live)
	}
	want := map[string]calendar.State{
		"11-03 10:00": calendar.StateHeld, "11-10 10:00": calendar.StateSkipped, "11-17 10:00": calendar.StateHeld,
		"11-24 10:00": calendar.StateUpcoming, "12-01 10:00": calendar.StateUpcoming,
	}
	assertStates(t, h.states(annaBob), want)
}

func TestBuildVanishedOccurrenceIsSkipped(t *testing.T) {
	var h memHistory
	ev := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	ev.Recurrence = &calendar.Recurrence{RDates: []time.Time{day(3, 10), day(10, 10), day(17, 10)}}
	h.cycle(t, day(12, 12), ev)
	// The RDATE for the 17th disappears: seen, then gone while the series
	// still runs, so skipped.
	ev.Recurrence = &calendar.Recurrence{RDates: []time.Time{day(3, 10), day(10, 10), day(24, 10)}}
	h.cycle(t, day(20, 12), ev)
	got := h.states(annaBob)
	if got["11-17 10:00"] != calendar.StateSkipped {
		t.Fatalf("vanished slot = %q, want skipped (all: %v)", got["11-17 10:00"], got)
	}
}

func TestBuildSeriesEndIsNotSkips(t *testing.T) {
	var h memHistory
	ev := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	h.cycle(t, day(5, 12), ev) // sees 3rd (held), 10th, 17th (upcoming)
	ev.Recurrence.RRules = []string{"FREQ=WEEKLY;BYDAY=TU;UNTIL=20261110T235959Z"}
	h.cycle(t, day(20, 12), ev)
	want := map[string]calendar.State{"11-03 10:00": calendar.StateHeld, "11-10 10:00": calendar.StateHeld}
	assertStates(t, h.states(annaBob), want)
}

func TestBuildDeletedSeriesKeepsPast(t *testing.T) {
	var h memHistory
	h.cycle(t, day(12, 12), weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU"))
	res := h.cycle(t, day(12, 13)) // the series is gone
	if len(res.Live) != 0 || len(res.Series) != 1 || res.Series[0].Deleted.IsZero() {
		t.Fatalf("series after deletion: live %v, saved %v", res.Live, res.Series)
	}
	want := map[string]calendar.State{"11-03 10:00": calendar.StateHeld, "11-10 10:00": calendar.StateHeld}
	assertStates(t, h.states(annaBob), want)
}

func TestBuildSplitSeriesKeepsPairHistory(t *testing.T) {
	var h memHistory
	old := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	h.cycle(t, day(12, 12), old)
	// "This and following" from the 24th: the old rule ends, a new series
	// on Thursdays at 15:00 begins.
	old.Recurrence.RRules = []string{"FREQ=WEEKLY;BYDAY=TU;UNTIL=20261123T000000Z"}
	split := weekly1on1("bob-2", "bob@example.com", day(26, 15), "FREQ=WEEKLY;BYDAY=TH")
	h.cycle(t, day(20, 12), old, split)
	want := map[string]calendar.State{
		"11-03 10:00": calendar.StateHeld, "11-10 10:00": calendar.StateHeld, "11-17 10:00": calendar.StateHeld,
		"11-26 15:00": calendar.StateUpcoming, "12-03 15:00": calendar.StateUpcoming,
	}
	assertStates(t, h.states(annaBob), want)
}

func TestBuildRecreatedSeriesDoesNotDoubleCount(t *testing.T) {
	var h memHistory
	h.cycle(t, day(20, 12), weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU"))
	// Deleted and created again with the same start: the past slots are
	// already held by the old series.
	h.cycle(t, day(20, 13), weekly1on1("bob-new", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU"))
	n := 0
	for _, s := range h.series {
		for _, o := range h.occ[s.ID] {
			if o.OriginalStart.Equal(day(10, 10)) {
				n++
			}
		}
	}
	if n != 1 {
		t.Fatalf("the 10th is counted %d times, want once", n)
	}
}

func TestBuildRuleChangeKeepsPast(t *testing.T) {
	var h memHistory
	ev := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	h.cycle(t, day(20, 12), ev)
	// "All events" moved to Wednesdays 11:00, DTSTART included.
	ev.Start, ev.End = day(4, 11), day(4, 12)
	ev.Recurrence.RRules = []string{"FREQ=WEEKLY;BYDAY=WE"}
	h.cycle(t, day(20, 13), ev)
	want := map[string]calendar.State{
		"11-03 10:00": calendar.StateHeld, "11-10 10:00": calendar.StateHeld, "11-17 10:00": calendar.StateHeld,
		"11-25 11:00": calendar.StateUpcoming, "12-02 11:00": calendar.StateUpcoming,
	}
	assertStates(t, h.states(annaBob), want)
}

func TestBuildMakeUpOneOffIsNotASeries(t *testing.T) {
	var h memHistory
	ev := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	ev.Recurrence.ExDates = []time.Time{day(17, 10)}
	mk := calendar.Event{Source: "team", UID: "mk", Summary: "Bob catch-up", Start: day(19, 14), End: day(19, 15),
		Organizer: person("bob@example.com", ""), Attendees: []calendar.Attendee{person("anna@example.com", calendar.PartStatAccepted)}}
	res := h.cycle(t, day(20, 12), ev, mk)
	if len(res.Live) != 1 {
		t.Fatalf("%d series, want 1", len(res.Live))
	}
	got := h.states(annaBob)
	if got["11-17 10:00"] != calendar.StatePostponed {
		t.Fatalf("made-up slot = %q, want postponed", got["11-17 10:00"])
	}
}

func assertStates(t *testing.T, got, want map[string]calendar.State) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected occurrence, state %q", k, g)
		}
	}
}

// TestBuildSplitSeenLateKeepsBothHalves: a split noticed only after its
// date keeps the new half's past slots (the old half is still live).
func TestBuildSplitSeenLateKeepsBothHalves(t *testing.T) {
	var h memHistory
	old := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	h.cycle(t, day(20, 12), old) // stored: 3rd, 10th, 17th held; 24th, 1st upcoming
	old.Recurrence.RRules = []string{"FREQ=WEEKLY;BYDAY=TU;UNTIL=20261110T235959Z"}
	split := weekly1on1("bob-2", "bob@example.com", day(12, 15), "FREQ=WEEKLY;BYDAY=TH")
	h.cycle(t, day(20, 13), old, split)
	want := map[string]calendar.State{
		"11-03 10:00": calendar.StateHeld, "11-10 10:00": calendar.StateHeld,
		"11-12 15:00": calendar.StateHeld, "11-19 15:00": calendar.StateHeld,
		"11-26 15:00": calendar.StateUpcoming, "12-03 15:00": calendar.StateUpcoming,
	}
	assertStates(t, h.states(annaBob), want)
}

// TestBuildTwoLiveSeriesOfOnePair: a weekly 1:1 and a monthly career chat
// with the same person both count, from the first sync on.
func TestBuildTwoLiveSeriesOfOnePair(t *testing.T) {
	var h memHistory
	weekly := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	monthly := weekly1on1("bob-career", "bob@example.com", day(5, 16), "FREQ=MONTHLY;BYMONTHDAY=5")
	h.cycle(t, day(20, 12), weekly)
	h.cycle(t, day(20, 13), weekly, monthly) // the monthly one appears later
	got := h.states(annaBob)
	if got["11-05 16:00"] != calendar.StateHeld {
		t.Fatalf("the monthly series' past slot = %q, want held (all: %v)", got["11-05 16:00"], got)
	}
}

// TestBuildCancelledSeriesEndsExpectations: a series the organizer
// cancelled (STATUS:CANCELLED on the master, as Nextcloud leaves it in an
// attendee's calendar) is not held; like a deletion it keeps its past and
// expects nothing more.
func TestBuildCancelledSeriesEndsExpectations(t *testing.T) {
	var h memHistory
	ev := weekly1on1("bob", "bob@example.com", day(3, 10), "FREQ=WEEKLY;BYDAY=TU")
	h.cycle(t, day(12, 12), ev)
	ev.Status = calendar.StatusCancelled
	ev.Summary = "Canceled: " + ev.Summary
	res := h.cycle(t, day(20, 12), ev)
	if len(res.Live) != 0 {
		t.Fatalf("a cancelled series is live: %+v", res.Live)
	}
	want := map[string]calendar.State{"11-03 10:00": calendar.StateHeld, "11-10 10:00": calendar.StateHeld}
	assertStates(t, h.states(annaBob), want)

	// Seen cancelled from the start: nothing is counted at all.
	var fresh memHistory
	fresh.cycle(t, day(20, 12), ev)
	if got := fresh.states(annaBob); len(got) != 0 {
		t.Fatalf("a series cancelled before we saw it has occurrences: %v", got)
	}
}
