package sync_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/calendar/ical"
	"oneonone/history"
	"oneonone/store"
	"oneonone/sync"
)

// TestPointsCarriedOverUntilDiscussed follows one talking point over four
// weekly 1:1s with a fake clock, the blocks built from the store as the
// wiring builds them (agenda.BegunStarts for Since and the ticks): the point
// is in the block before the first 1:1, carried to the next after a 1:1
// that did not discuss it, ticked in the calendar during the second,
// shown ticked until the third begins, then gone from the block and kept
// with the 1:1 it was discussed in. A point added after stays open.
func TestPointsCarriedOverUntilDiscussed(t *testing.T) {
	first := time.Date(2026, 11, 10, 10, 0, 0, 0, berlin) // a Tuesday
	f := func(t time.Time) string { return t.In(berlin).Format("20060102T150405") }
	obj := strings.Join([]string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
		"BEGIN:VEVENT", "UID:bob-weekly@example.com", "DTSTAMP:20261101T080000Z",
		"DTSTART;TZID=Europe/Berlin:" + f(first), "DTEND;TZID=Europe/Berlin:" + f(first.Add(30*time.Minute)),
		"RRULE:FREQ=WEEKLY", "SUMMARY:Anna / Bob 1:1", "DESCRIPTION:my own notes",
		"ORGANIZER:mailto:anna@example.com",
		"ATTENDEE;PARTSTAT=ACCEPTED:mailto:anna@example.com",
		"ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com",
		"END:VEVENT", "END:VCALENDAR", "",
	}, "\r\n")
	url, calPath := oneCalendarServer(t)
	client, err := caldav.New(caldav.Options{URL: url, Username: "anna", Password: "secret", Zone: berlin})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	href := calPath + "bob-weekly.ics"
	if _, err := client.Put(ctx, href, []byte(obj), ""); err != nil {
		t.Fatal(err)
	}
	desc := func() string {
		t.Helper()
		o, err := client.Get(ctx, href)
		if err != nil {
			t.Fatal(err)
		}
		return eventOf(t, o.Data, false).Description
	}

	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var now time.Time
	clock := func() time.Time { return now }
	starts := func(p calendar.Pair) ([]time.Time, error) {
		return agenda.BegunStarts(st, p, now.AddDate(-1, 0, 0), now)
	}
	blocks := agenda.Blocks{
		Location: berlin,
		Points:   func(_ context.Context, p calendar.Pair) ([]agenda.Point, error) { return st.Points(p) },
		Since: func(p calendar.Pair) (time.Time, error) {
			s, err := starts(p)
			return slices.MaxFunc(append(s, time.Time{}), time.Time.Compare), err
		},
		Done: st.Actions,
	}
	eng := &sync.Engine{
		Store: st, Sources: []sync.NamedSource{{Name: "team", Source: client}},
		Rules:   history.DetectRules{Me: []string{"anna@example.com"}},
		Horizon: 14 * 24 * time.Hour, Now: clock, Agenda: blocks.Block,
		Ticker: agenda.Ticks{Actions: st, Points: st, Starts: starts, Now: clock},
	}
	step := func(at time.Time) string {
		t.Helper()
		now = at
		syncOnce(t, eng)
		return desc()
	}
	const open, ticked = "- [ ] bob@example.com: the offsite budget", "- [x] bob@example.com: the offsite budget"

	step(first.Add(-22 * time.Hour)) // Monday: the series is known
	p, err := agenda.NewPoint(agenda.PointInput{Me: []string{"anna@example.com"}, With: "bob@example.com",
		Author: "bob@example.com", Text: "the offsite budget", Now: now, Known: nil})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = st.AddPoint(p); err != nil {
		t.Fatal(err)
	}
	if d := step(now.Add(time.Hour)); !strings.Contains(d, open) {
		t.Fatalf("before the first 1:1 the block lacks the point:\n%s", d)
	}
	// The first 1:1 is held without discussing it: carried to the next.
	d := step(first.AddDate(0, 0, 1))
	if !strings.Contains(d, open) {
		t.Fatalf("after a 1:1 that did not discuss it the point is gone:\n%s", d)
	}
	// Bob ticks it in his calendar during the second 1:1.
	second := first.AddDate(0, 0, 7)
	now = second.Add(20 * time.Minute)
	o, err := client.Get(ctx, href)
	if err != nil {
		t.Fatal(err)
	}
	data, _, err := ical.SetDescription(o.Data, "bob-weekly@example.com", time.Time{}, retick(t, d, "bob@example.com: the offsite budget", "- [ ]", "- [x]"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Put(ctx, href, data, o.ETag); err != nil {
		t.Fatal(err)
	}
	if d := step(now); !strings.Contains(d, ticked) || strings.Contains(d, open) {
		t.Fatalf("the tick in the calendar is not kept:\n%s", d)
	}
	got, _, err := st.Point(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Discussed.Equal(second.Add(20*time.Minute)) || !got.Meeting.Equal(second) {
		t.Fatalf("discussed %v in %v, want %v in the 1:1 of %v", got.Discussed, got.Meeting, second.Add(20*time.Minute), second)
	}
	// A point added after the second 1:1, for the third.
	q, err := agenda.NewPoint(agenda.PointInput{Me: []string{"anna@example.com"}, With: "bob@example.com",
		Text: "hiring plan", Now: second.AddDate(0, 0, 1), Known: nil})
	if err != nil {
		t.Fatal(err)
	}
	if _, err = st.AddPoint(q); err != nil {
		t.Fatal(err)
	}
	if d := step(second.AddDate(0, 0, 2)); !strings.Contains(d, ticked) || !strings.Contains(d, "- [ ] anna@example.com: hiring plan") {
		t.Fatalf("until the next 1:1 the block shows the discussed point ticked and the new one open:\n%s", d)
	}
	third := second.AddDate(0, 0, 7)
	d = step(third.Add(5 * time.Minute))
	if strings.Contains(d, "the offsite budget") || !strings.Contains(d, "- [ ] anna@example.com: hiring plan") {
		t.Fatalf("once the next 1:1 began, the discussed point should be gone and the new one carried:\n%s", d)
	}
	if !strings.Contains(d, "my own notes") {
		t.Fatalf("the user's text is lost:\n%s", d)
	}
	// Kept in the pair's history with its meeting.
	all, err := st.Points(p.Pair)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != p.ID || !all[0].Meeting.Equal(second) || !all[1].Open() {
		t.Fatalf("points = %+v", all)
	}
}
