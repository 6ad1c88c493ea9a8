package sync_test

import (
	"time"

	"oneonone/calendar"
)

// editedCalendar is a calendar of Anna's, source "team", calendar "work":
// three 1:1 series begun in January 2024 and a team meeting, and the edits
// of two years that the window and incremental tests replay cycle after
// cycle (edit): moved, cancelled and declined slots, a slot moved into the
// window from before it, an "all events" rule change, a new series, a
// series deleted and created again, one ended, a change to the team
// meeting only, a make-up, a series deleted.
type editedCalendar struct {
	loc                             *time.Location
	bob, carol, dave, erin, meeting *calendar.Event
	extra                           []calendar.Event // overrides and one-offs
}

func (c *editedCalendar) at(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, c.loc)
}

func attendee(email, partstat string) calendar.Attendee {
	return calendar.Attendee{Email: email, PartStat: partstat}
}

// series is a weekly-or-so 1:1 of Anna's with who.
func (c *editedCalendar) series(uid, who string, start time.Time, rrule string) *calendar.Event {
	return &calendar.Event{
		Source: "team", Calendar: "work", Href: uid + ".ics", UID: uid,
		Summary: "Anna / " + who, Start: start, End: start.Add(30 * time.Minute),
		Organizer:  attendee("anna@example.com", ""),
		Attendees:  []calendar.Attendee{attendee("anna@example.com", calendar.PartStatAccepted), attendee(who, calendar.PartStatAccepted)},
		Recurrence: &calendar.Recurrence{RRules: []string{rrule}},
	}
}

func override(m *calendar.Event, orig, start time.Time) calendar.Event {
	ov := *m
	ov.Recurrence, ov.RecurrenceID = nil, orig
	ov.Start, ov.End = start, start.Add(30*time.Minute)
	ov.Attendees = append([]calendar.Attendee(nil), m.Attendees...)
	return ov
}

func newEditedCalendar(loc *time.Location) *editedCalendar {
	c := &editedCalendar{loc: loc}
	c.bob = c.series("bob", "bob@example.com", c.at(2024, 1, 2, 10), "FREQ=WEEKLY;BYDAY=TU")
	c.carol = c.series("carol", "carol@example.com", c.at(2024, 1, 4, 15), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH")
	c.dave = c.series("dave", "dave@example.com", c.at(2024, 1, 15, 11), "FREQ=MONTHLY;BYMONTHDAY=15")
	c.meeting = &calendar.Event{Source: "team", Calendar: "work", Href: "team.ics", UID: "team", Summary: "Team",
		Start: c.at(2024, 1, 1, 9), End: c.at(2024, 1, 1, 10), Organizer: attendee("zoe@example.com", ""),
		Attendees:  []calendar.Attendee{attendee("anna@example.com", ""), attendee("bob@example.com", ""), attendee("zoe@example.com", "")},
		Recurrence: &calendar.Recurrence{RRules: []string{"FREQ=WEEKLY;BYDAY=MO"}}}
	return c
}

// edit makes the edit of the step-th cycle, at now, and reports whether
// there was one.
func (c *editedCalendar) edit(step int, now time.Time) bool {
	week := func(n int) time.Time { // bob's slot n weeks from this cycle's week
		d := c.bob.Start
		for d.Before(now) {
			d = d.AddDate(0, 0, 7)
		}
		return d.AddDate(0, 0, 7*n)
	}
	switch step {
	case 10: // postponed by a day, inside the window
		c.extra = append(c.extra, override(c.bob, week(-3), week(-3).AddDate(0, 0, 1)))
	case 20: // a slot from before the window, moved into it
		c.extra = append(c.extra, override(c.bob, week(-10), now.Add(-50*time.Hour)))
	case 30: // bob's next slot cancelled, an older one EXDATEd
		ov := override(c.bob, week(0), week(0))
		ov.Status = calendar.StatusCancelled
		c.extra = append(c.extra, ov)
		c.bob.Recurrence.ExDates = append(c.bob.Recurrence.ExDates, week(-2))
	case 40: // bob declines a slot
		ov := override(c.bob, week(1), week(1))
		ov.Attendees = []calendar.Attendee{attendee("anna@example.com", calendar.PartStatAccepted), attendee("bob@example.com", calendar.PartStatDeclined)}
		c.extra = append(c.extra, ov)
	case 50: // "all events": bob's 1:1 moves to Wednesdays at 11:00
		c.bob.Start, c.bob.End = c.bob.Start.AddDate(0, 0, 1).Add(time.Hour), c.bob.End.AddDate(0, 0, 1).Add(time.Hour)
		c.bob.Recurrence.RRules = []string{"FREQ=WEEKLY;BYDAY=WE"}
	case 55: // a new series
		c.erin = c.series("erin", "erin@example.com", now.AddDate(0, 0, 3), "FREQ=WEEKLY;BYDAY=FR")
	case 60: // carol's series deleted ...
		c.carol = nil
	case 62: // ... and created again with its old start
		c.carol = c.series("carol-2", "carol@example.com", c.at(2024, 1, 4, 15), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH")
	case 70: // dave's ends three weeks ago
		c.dave.Recurrence.RRules = []string{"FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=" + now.AddDate(0, 0, -21).UTC().Format("20060102T150405Z")}
	case 75: // the team meeting moves: no 1:1 changes
		c.meeting.Start, c.meeting.End = c.meeting.Start.Add(time.Hour), c.meeting.End.Add(time.Hour)
	case 80: // a cancelled slot of carol's made up by a one-off two days later
		d := c.carol.Start
		for d.Before(now.AddDate(0, 0, -14)) {
			d = d.AddDate(0, 0, 14)
		}
		ov := override(c.carol, d, d)
		ov.Status = calendar.StatusCancelled
		mk := calendar.Event{Source: "team", Calendar: "work", Href: "mk.ics", UID: "mk", Summary: "Carol catch-up",
			Start: d.AddDate(0, 0, 2), End: d.AddDate(0, 0, 2).Add(time.Hour),
			Organizer: attendee("carol@example.com", ""), Attendees: []calendar.Attendee{attendee("anna@example.com", calendar.PartStatAccepted)}}
		c.extra = append(c.extra, ov, mk)
	case 100: // dave's series deleted
		c.dave = nil
	case 110: // erin's next slot postponed by two days
		d := c.erin.Start
		for d.Before(now) {
			d = d.AddDate(0, 0, 7)
		}
		c.extra = append(c.extra, override(c.erin, d, d.AddDate(0, 0, 2)))
	default:
		return step == 0
	}
	return true
}

// events are the calendar's events as they stand.
func (c *editedCalendar) events() []calendar.Event {
	var events []calendar.Event
	for _, m := range []*calendar.Event{c.bob, c.carol, c.dave, c.erin, c.meeting} {
		if m != nil {
			events = append(events, *m)
		}
	}
	for _, e := range c.extra {
		if (e.UID == "carol" && c.carol != nil && c.carol.UID != "carol") || (e.UID == "dave" && c.dave == nil) {
			continue // overrides of a deleted series went with it
		}
		events = append(events, e)
	}
	return events
}
