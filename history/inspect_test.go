package history

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"oneonone/bench"
	"oneonone/calendar"
	"oneonone/calendar/ical"
)

// inspectAll collects every explanation of an Inspection.
func inspectAll(in InspectInput) ([]Explanation, error) {
	x := Inspect(in)
	var out []Explanation
	if err := x.Each(func(e Explanation) error {
		out = append(out, e)
		return nil
	}); err != nil {
		return nil, err
	}
	if len(out) != x.Len() {
		return nil, fmt.Errorf("Each gave %d explanations, Len says %d", len(out), x.Len())
	}
	return out, x.Err()
}

// A recurring 1:1 whose master is STATUS:CANCELLED has ended: Inspect
// shows no skips for it, as the engine records none.
func TestInspectCancelledMasterIsTheEnd(t *testing.T) {
	ev := weekly1on1("cancelled", "bob@example.com", day(3, 10), "FREQ=WEEKLY")
	ev.Status = calendar.StatusCancelled
	now := day(20, 12)
	got, err := inspectAll(InspectInput{
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
	got, err = inspectAll(InspectInput{
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
	got, err := inspectAll(InspectInput{
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

// inspectCase is one input of the tests that hold Inspect to Build.
type inspectCase struct {
	name   string
	events []calendar.Event
	rules  DetectRules
	from   time.Time
	to     time.Time
	now    time.Time
}

// generatedEvents parses a generated calendar (bench.Generate) as the
// engine reads it: one iCalendar object per UID.
func generatedEvents(t *testing.T, spec bench.Spec) []calendar.Event {
	t.Helper()
	c := bench.Generate(spec)
	var out []calendar.Event
	for _, th := range c.Things {
		evs, err := ical.Parse(c.ICS(th), ical.ParseOptions{Href: "/cal/" + th.UID + ".ics", DefaultZone: spec.Zone})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, evs...)
	}
	return out
}

// inspectCases are the generated calendars and, with ONEONONE_CORPUS, the
// corpus's .ics files.
func inspectCases(t *testing.T) []inspectCase {
	t.Helper()
	now := day(20, 9)
	anna := DetectRules{Me: []string{"anna@example.com"}}
	cases := []inspectCase{
		{"generated/weekly-mix", generatedEvents(t, bench.Spec{Owner: "anna@example.com", Series: 60, NoisePerSeries: 1, Now: now, Years: 2, Zone: berlin, Seed: 5}),
			anna, now.AddDate(-2, 0, 0), now.AddDate(0, 0, 14), now},
		{"generated/events", generatedEvents(t, bench.Spec{Owner: "anna@example.com", Events: 800, Now: now, Years: 1, Zone: time.UTC, Seed: 9}),
			anna, now.AddDate(0, 0, -84), now.AddDate(0, 0, 14), now},
		{"generated/no-me", generatedEvents(t, bench.Spec{Owner: "anna@example.com", Series: 30, NoisePerSeries: 2, Now: now, Years: 1, Zone: berlin, Seed: 2}),
			DetectRules{}, now.AddDate(-1, 0, 0), now.AddDate(0, 1, 0), now},
	}
	dir := os.Getenv("ONEONONE_CORPUS")
	if dir == "" {
		t.Log("ONEONONE_CORPUS unset: generated calendars only")
		return cases
	}
	files, err := filepath.Glob(filepath.Join(dir, "ics", "*", "*.ics"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .ics file under %s/ics", dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := ical.Parse(data, ical.ParseOptions{Href: f, DefaultZone: time.UTC})
		name, _ := filepath.Rel(dir, f)
		cases = append(cases, inspectCase{name, evs, DetectRules{},
			time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), now})
	}
	return cases
}

// TestInspectMatchesBuild: the occurrences Inspect gives each tracked
// series, one series at a time, are those Build gives it on a history
// that starts empty with the same window, and the series Build cannot
// expand are Inspect's problems.
func TestInspectMatchesBuild(t *testing.T) {
	tracked := 0
	for _, tc := range inspectCases(t) {
		res := Build(Input{
			Source:      inspectSource,
			Events:      tc.events,
			Occurrences: func(string) ([]calendar.Occurrence, error) { return nil, nil },
			Rules:       tc.rules,
			Now:         tc.now,
			History:     tc.now.Sub(tc.from),
			Horizon:     tc.to.Sub(tc.now),
		})
		if res.Err != nil {
			t.Fatalf("%s: %v", tc.name, res.Err)
		}
		want := map[string][]calendar.Occurrence{}
		for _, o := range res.Occurrences {
			want[o.SeriesID] = append(want[o.SeriesID], o)
		}
		live := map[string]bool{}
		for _, s := range res.Live {
			live[s.ID] = true
		}
		x := Inspect(InspectInput{Events: tc.events, Rules: tc.rules, From: tc.from, To: tc.to, Now: tc.now})
		seen := map[string]bool{}
		err := x.Each(func(e Explanation) error {
			id := inspectSource + "/" + e.UID
			if !e.OneOnOne {
				if live[id] {
					t.Errorf("%s: %s: Build tracks it, Inspect does not", tc.name, e.UID)
				}
				return nil
			}
			seen[id] = true
			if _, failed := res.ProblemsByUID[e.UID]; !failed && !live[id] {
				t.Errorf("%s: %s: Inspect tracks it, Build does not", tc.name, e.UID)
			}
			if got := e.Occurrences; (len(got) > 0 || len(want[id]) > 0) && !reflect.DeepEqual(got, want[id]) {
				t.Errorf("%s: %s: Inspect gives %d occurrences, Build %d, or they differ:\n inspect %v\n build   %v",
					tc.name, e.UID, len(got), len(want[id]), got, want[id])
			}
			tracked += len(e.Occurrences)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for id := range live {
			if !seen[id] {
				t.Errorf("%s: %s: Build tracks it, Inspect does not", tc.name, id)
			}
		}
		var problems []string
		for _, p := range res.Problems {
			problems = append(problems, p.Error())
		}
		var got []string
		for _, p := range x.series {
			got = append(got, p.Error())
		}
		if !reflect.DeepEqual(got, problems) {
			t.Errorf("%s: Inspect's series problems %q, Build's %q", tc.name, got, problems)
		}
	}
	if tracked == 0 {
		t.Fatal("no tracked occurrence compared")
	}
}

// TestInspectHoldsOneSeries: Each holds the occurrences of one group at a
// time, however many series there are: what it holds when it yields is
// never more than one series' worth, and far less than all of them.
func TestInspectHoldsOneSeries(t *testing.T) {
	now := day(20, 9)
	events := generatedEvents(t, bench.Spec{Owner: "anna@example.com", Series: 120, NoisePerSeries: 0.5, Now: now, Years: 3, Zone: berlin, Seed: 11})
	maxHeld, calls := 0, 0
	inspectHeld = func(n int) {
		calls++
		maxHeld = max(maxHeld, n)
	}
	t.Cleanup(func() { inspectHeld = nil })
	x := Inspect(InspectInput{Events: events, Rules: DetectRules{Me: []string{"anna@example.com"}}, From: now.AddDate(-3, 0, 0), To: now.AddDate(0, 0, 14), Now: now})
	total, largest, series := 0, 0, 0
	if err := x.Each(func(e Explanation) error {
		n := len(e.Occurrences) + len(e.Instances)
		total += n
		largest = max(largest, n)
		if e.OneOnOne {
			series++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if calls != x.Len() || series < 100 {
		t.Fatalf("%d yields of %d groups, %d series: want one yield per group, 100 series or more", calls, x.Len(), series)
	}
	if maxHeld > largest {
		t.Errorf("Each held %d occurrences at once, more than the largest group's %d", maxHeld, largest)
	}
	if maxHeld*50 > total {
		t.Errorf("Each held %d occurrences at once of %d in all: want at most a fiftieth", maxHeld, total)
	}
	t.Logf("%d groups, %d series, %d occurrences and instances in all, at most %d held at once", x.Len(), series, total, maxHeld)
}
