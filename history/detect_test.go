package history

import (
	"regexp"
	"testing"
	"time"

	"oneonone/calendar"
)

func att(email, cutype, partstat string) calendar.Attendee {
	return calendar.Attendee{Email: email, CUType: cutype, PartStat: partstat}
}

func TestDetect(t *testing.T) {
	me := DetectRules{Me: []string{"anna@example.com"}}
	weekly := &calendar.Recurrence{RRules: []string{"FREQ=WEEKLY;BYDAY=TU"}}
	start := time.Date(2026, 11, 17, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		ev     calendar.Event
		rules  DetectRules
		want   bool
		reason string
		other  string
	}{
		{
			name:  "two humans, organizer is me",
			ev:    calendar.Event{Summary: "Weekly sync", Start: start, Recurrence: weekly, Organizer: att("anna@example.com", "", ""), Attendees: []calendar.Attendee{att("bob@example.com", "", "ACCEPTED")}},
			rules: me, want: true, other: "bob@example.com", reason: "two human participants, one of them me",
		},
		{
			name:  "organizer repeated as attendee counts once",
			ev:    calendar.Event{Summary: "Sync", Start: start, Recurrence: weekly, Organizer: att("bob@example.com", "", ""), Attendees: []calendar.Attendee{att("bob@example.com", "", "ACCEPTED"), att("anna@example.com", "", "ACCEPTED")}},
			rules: me, want: true, other: "bob@example.com",
		},
		{
			name:  "room is not a participant",
			ev:    calendar.Event{Summary: "Chat", Start: start, Recurrence: weekly, Organizer: att("anna@example.com", "", ""), Attendees: []calendar.Attendee{att("bob@example.com", "", ""), att("kepler@rooms.example.com", "ROOM", "")}},
			rules: me, want: true, other: "bob@example.com",
		},
		{
			name:  "resource is not a participant",
			ev:    calendar.Event{Summary: "Chat", Start: start, Recurrence: weekly, Organizer: att("anna@example.com", "", ""), Attendees: []calendar.Attendee{att("bob@example.com", "", ""), att("beamer@example.com", "RESOURCE", "")}},
			rules: me, want: true, other: "bob@example.com",
		},
		{
			name:  "three humans",
			ev:    calendar.Event{Summary: "1:1 plus one", Start: start, Recurrence: weekly, Organizer: att("anna@example.com", "", ""), Attendees: []calendar.Attendee{att("bob@example.com", "", ""), att("chen@example.com", "", "")}},
			rules: me, want: false, reason: "3 human participants, a 1:1 has two",
		},
		{
			name:  "not recurring",
			ev:    calendar.Event{Summary: "1:1", Start: start, Organizer: att("anna@example.com", "", ""), Attendees: []calendar.Attendee{att("bob@example.com", "", "")}},
			rules: me, want: false, reason: "not recurring",
		},
		{
			name:  "all-day",
			ev:    calendar.Event{Summary: "1:1", Start: start, AllDay: true, Recurrence: weekly, Organizer: att("anna@example.com", "", ""), Attendees: []calendar.Attendee{att("bob@example.com", "", "")}},
			rules: me, want: false, reason: "all-day",
		},
		{
			name:  "two people, neither me, no title",
			ev:    calendar.Event{Summary: "Sync", Start: start, Recurrence: weekly, Organizer: att("chen@example.com", "", ""), Attendees: []calendar.Attendee{att("bob@example.com", "", "")}},
			rules: me, want: false, reason: "neither participant is me (identity.me)",
		},
		{
			name:  "two people, neither me, 1on1 title: organizer stands for me",
			ev:    calendar.Event{Summary: "Chen 1on1 Bob", Start: start, Recurrence: weekly, Organizer: att("chen@example.com", "", ""), Attendees: []calendar.Attendee{att("bob@example.com", "", "")}},
			rules: me, want: true, other: "bob@example.com",
		},
		{
			name:  "titled but alone",
			ev:    calendar.Event{Summary: "1:1 prep", Start: start, Recurrence: weekly, Organizer: att("anna@example.com", "", "")},
			rules: me, want: false, reason: "title names a 1:1 but there is no counterpart among the participants",
		},
		{
			name:  "exclude wins",
			ev:    calendar.Event{Summary: "Interview loop", Start: start, Recurrence: weekly, Organizer: att("anna@example.com", "", ""), Attendees: []calendar.Attendee{att("bob@example.com", "", "")}},
			rules: DetectRules{Me: me.Me, Exclude: []*regexp.Regexp{regexp.MustCompile("(?i)interview")}}, want: false,
		},
		{
			name:  "no identity: organizer is me",
			ev:    calendar.Event{Summary: "Sync", Start: start, Recurrence: weekly, Organizer: att("zed@example.com", "", ""), Attendees: []calendar.Attendee{att("bob@example.com", "", "")}},
			rules: DetectRules{}, want: true, other: "bob@example.com",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Detect(&tt.ev, tt.rules)
			if v.OneOnOne != tt.want {
				t.Fatalf("OneOnOne = %v (%s), want %v", v.OneOnOne, v.Reason, tt.want)
			}
			if tt.reason != "" && v.Reason != tt.reason {
				t.Errorf("Reason = %q, want %q", v.Reason, tt.reason)
			}
			if tt.other != "" && v.Counterpart.Email != tt.other {
				t.Errorf("Counterpart = %q, want %q", v.Counterpart.Email, tt.other)
			}
		})
	}
}

func TestTitleMatches(t *testing.T) {
	var r DetectRules
	yes := []string{"1:1", "Anna / Bob 1:1", "1-1 Bob", "peer 1on1", "1x1 weekly", "One-on-One", "one on one with Bob", "Bob 1 : 1", "(1:1) Bob", "1:1: Bob"}
	no := []string{"11:15 standup", "2021-1-1 review", "Team sync", "10:1 ratio", "1on12", "someone on onesie", "1-1-2021 kickoff", "v1.1.1 release", "10/1/1 plan"}
	for _, s := range yes {
		if !r.TitleMatches(s) {
			t.Errorf("TitleMatches(%q) = false, want true", s)
		}
	}
	for _, s := range no {
		if r.TitleMatches(s) {
			t.Errorf("TitleMatches(%q) = true, want false", s)
		}
	}
}

func TestCadenceOf(t *testing.T) {
	tests := map[string]calendar.Cadence{
		"FREQ=WEEKLY;BYDAY=TU":                          calendar.CadenceWeekly,
		"FREQ=WEEKLY":                                   calendar.CadenceWeekly,
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=TH":               calendar.CadenceBiweekly,
		"FREQ=MONTHLY;BYDAY=1FR":                        calendar.CadenceMonthly,
		"FREQ=MONTHLY;BYMONTHDAY=15":                    calendar.CadenceMonthly,
		"FREQ=WEEKLY;INTERVAL=4":                        calendar.CadenceMonthly,
		"FREQ=WEEKLY;BYDAY=MO,TH":                       calendar.CadenceOther,
		"FREQ=DAILY":                                    calendar.CadenceOther,
		"FREQ=YEARLY":                                   calendar.CadenceOther,
		"freq=weekly;interval=2;until=20261231T000000Z": calendar.CadenceBiweekly,
	}
	for rule, want := range tests {
		if got := CadenceOf(rule); got != want {
			t.Errorf("CadenceOf(%q) = %s, want %s", rule, got, want)
		}
	}
}

func TestPairOf(t *testing.T) {
	r := DetectRules{Me: []string{"anna@example.com"}}
	start := time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)
	ev := &calendar.Event{Summary: "catch-up", Start: start, Organizer: att("bob@example.com", "", ""), Attendees: []calendar.Attendee{att("anna@example.com", "", "ACCEPTED")}}
	p, ok := PairOf(ev, r)
	if !ok || p != calendar.NewPair("anna@example.com", "bob@example.com") {
		t.Fatalf("PairOf = %v, %v", p, ok)
	}
	cancelled := *ev
	cancelled.Status = calendar.StatusCancelled
	if _, ok := PairOf(&cancelled, r); ok {
		t.Error("a cancelled one-off cannot make up a 1:1")
	}
	three := *ev
	three.Attendees = append(three.Attendees, att("chen@example.com", "", ""))
	if _, ok := PairOf(&three, r); ok {
		t.Error("a meeting of three is not a pair's")
	}
}
