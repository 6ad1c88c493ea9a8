package remind

import (
	"cmp"
	"strings"
	"time"
)

// Subject is the reminder's one line: "1:1 with Bob, Mon 16 Nov 08:00
// CET".
func (r Reminder) Subject() string {
	return "1:1 with " + r.with() + ", " + r.Start.In(r.loc()).Format("Mon 2 Jan 15:04 MST")
}

func (r Reminder) with() string { return cmp.Or(r.Name, r.Counterpart) }

func (r Reminder) loc() *time.Location { return cmp.Or(r.Location, time.UTC) }

// Lines is the reminder as plain text, one line each, in the zone of
// Location: the title and time (with the slot it was moved from), the
// agenda link, the open talking points, the open actions, and what was
// discussed last time. Lines are not sanitized: the mail and the
// notification do that their own way.
func (r Reminder) Lines() []string {
	loc := r.loc()
	start, end := r.Start.In(loc), r.End.In(loc)
	when := start.Format("Monday 2 January 2006, 15:04")
	if !end.IsZero() && end.After(start) {
		when += "–" + end.Format("15:04")
	}
	when += " " + start.Format("MST")
	if !r.Slot.Equal(r.Start) && !r.Slot.IsZero() {
		when += " (moved from " + r.Slot.In(loc).Format("Mon 2 Jan 15:04") + ")"
	}
	lines := []string{cmp.Or(r.Title, "1:1 with "+r.with()), "When: " + when}
	if r.Link != "" {
		lines = append(lines, "Agenda: "+r.Link)
	}
	lines = append(lines, "")
	if len(r.Points) == 0 {
		lines = append(lines, "Talking points: none yet.")
	} else {
		lines = append(lines, "Talking points:")
		for _, p := range r.Points {
			lines = append(lines, "- "+who(p.Author)+p.Text)
		}
	}
	if len(r.Actions) > 0 {
		lines = append(lines, "", "Open actions:")
		for _, a := range r.Actions {
			s := "- " + who(a.Owner) + a.Text
			if !a.Due.IsZero() {
				s += " (due " + a.Due.In(loc).Format("2 Jan") + ")"
			}
			lines = append(lines, s)
		}
	}
	if !r.LastMeeting.IsZero() {
		head := "Last time (" + r.LastMeeting.In(loc).Format("Mon 2 Jan") + ")"
		if len(r.LastTime) == 0 {
			lines = append(lines, "", head+": no talking point was marked discussed.")
		} else {
			lines = append(lines, "", head+":")
			for _, p := range r.LastTime {
				lines = append(lines, "- "+p.Text)
			}
		}
	}
	return lines
}

// who is "owner: " for an address, "" for none.
func who(addr string) string {
	if addr = strings.TrimSpace(addr); addr == "" {
		return ""
	}
	return addr + ": "
}
