package sync_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/calendar/ical"
	"oneonone/history"
	"oneonone/internal/davtest"
	"oneonone/store"
	"oneonone/sync"
)

var berlin, _ = time.LoadLocation("Europe/Berlin")

// userText is what the user wrote in the description: Unicode, a line long
// enough to be folded many times, characters TEXT must escape.
var userText = "Café ☕ – notes for our 1:1; bring the Q4 numbers, please.\n" +
	strings.Repeat("A long line that will be folded by the server, 日本語も. ", 20) + "\n" +
	"Backslash \\ and semicolon ; stay."

// oneOnOne is a weekly 1:1 organised by anna, as Apple Calendar stores it,
// with an override next week (within the horizon) and an alarm.
func oneOnOne(uid string, start time.Time) string {
	f := func(t time.Time) string { return t.In(berlin).Format("20060102T150405") }
	over := start.AddDate(0, 0, 7)
	desc := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`).Replace(userText)
	lines := []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Apple Inc.//macOS 15.1//EN", "CALSCALE:GREGORIAN",
		"BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
		"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
		"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
		"END:VTIMEZONE",
		"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20261101T080000Z", "SEQUENCE:3",
		"DTSTART;TZID=Europe/Berlin:" + f(start), "DTEND;TZID=Europe/Berlin:" + f(start.Add(30*time.Minute)),
		"RRULE:FREQ=WEEKLY", "SUMMARY:Anna / Bob 1:1", "LOCATION:Room Kepler",
		"ORGANIZER;CN=Anna Berg:mailto:anna@example.com",
		"ATTENDEE;CN=Anna Berg;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:anna@example.com",
		"ATTENDEE;CN=Bob Okafor;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:bob@example.com",
		"X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC",
		"DESCRIPTION:" + desc,
		"BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder", "TRIGGER:-PT10M", "END:VALARM",
		"END:VEVENT",
		"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20261101T080000Z", "SEQUENCE:4",
		"RECURRENCE-ID;TZID=Europe/Berlin:" + f(over),
		"DTSTART;TZID=Europe/Berlin:" + f(over.Add(2*time.Hour)), "DTEND;TZID=Europe/Berlin:" + f(over.Add(150*time.Minute)),
		"SUMMARY:Anna / Bob 1:1 (moved)",
		"ORGANIZER;CN=Anna Berg:mailto:anna@example.com",
		"ATTENDEE;CN=Anna Berg;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:anna@example.com",
		"ATTENDEE;CN=Bob Okafor;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:bob@example.com",
		"ATTENDEE;CN=Chen Wei;PARTSTAT=NEEDS-ACTION;ROLE=OPT-PARTICIPANT:mailto:chen@example.com",
		"X-MOZ-GENERATION:2",
		"END:VEVENT",
		"END:VCALENDAR",
	}
	var b strings.Builder
	for _, l := range lines {
		for len(l) > 75 {
			cut := 75
			for cut > 0 && l[cut]&0xC0 == 0x80 { // never inside a UTF-8 sequence
				cut--
			}
			b.WriteString(l[:cut] + "\r\n")
			l = " " + l[cut:]
		}
		b.WriteString(l + "\r\n")
	}
	return b.String()
}

// davTarget is one CalDAV server the write-back and scheduling tests run
// against.
type davTarget struct {
	// url is the calendar's URL, base the server's (for discovery).
	url, base, user, pass, calPath string
	// messages returns the scheduling messages the server has logged so
	// far (sabre, Cyrus); nil for a server without implicit scheduling.
	messages func(t testing.TB) []string
	// server is the real server, nil for the in-process one.
	server *davtest.Server
}

// realDAVTarget is a server of davtest.
func realDAVTarget(s *davtest.Server) davTarget {
	tg := davTarget{url: s.CalendarURL, base: s.URL, user: s.Username, pass: s.Password, calPath: s.CalendarPath, server: s}
	if s.Name == "sabre" || s.Name == "cyrus" {
		tg.messages = s.SchedulingMessages
	}
	return tg
}

// davTargets are the servers of the CalDAV suites: the in-process one and
// every real one davtest starts.
func davTargets() []struct {
	name  string
	start func(t *testing.T) davTarget
} {
	real := func(start func(testing.TB) *davtest.Server) func(t *testing.T) davTarget {
		return func(t *testing.T) davTarget { return realDAVTarget(start(t)) }
	}
	return []struct {
		name  string
		start func(t *testing.T) davTarget
	}{
		{"in-process", func(t *testing.T) davTarget {
			url, p := oneCalendarServer(t)
			return davTarget{url: url, base: url, user: "anna", pass: "secret", calPath: p}
		}},
		{"radicale", real(davtest.StartRadicale)},
		{"xandikos", real(davtest.StartXandikos)},
		{"sabre", real(davtest.StartSabre)},
		{"cyrus", real(davtest.StartCyrus)},
	}
}

// fixedAgenda is the block every series gets in these tests.
func fixedAgenda(ctx context.Context, s calendar.Series, alone bool) (agenda.Block, error) {
	b := agenda.Block{Link: "https://docs.example.com/1on1/" + s.Counterpart, With: s.Counterpart, Location: berlin}
	if alone {
		b.Actions = []agenda.Action{{Pair: s.Pair, Owner: "bob@example.com", Text: "send the draft; then ping", Since: time.Date(2026, 11, 10, 9, 0, 0, 0, berlin)}}
	}
	return b, nil
}

// editingSource plays a user who edits the event between our read and our
// write: before the first conditional PUT it changes the description on the
// server itself, so our write meets a 412.
type editingSource struct {
	*caldav.Client
	edits int
}

const userEdit = "Added by Bob just now: let's talk about the offsite.\n"

func (s *editingSource) Put(ctx context.Context, href string, data []byte, ifMatch string) (string, error) {
	if s.edits == 0 && ifMatch != "" {
		s.edits++
		cur, err := s.Client.Get(ctx, href)
		if err != nil {
			return "", err
		}
		evs, _ := ical.Parse(cur.Data, ical.ParseOptions{Href: href})
		var master *calendar.Event
		for i := range evs {
			if !evs[i].IsOverride() {
				master = &evs[i]
			}
		}
		edited, _, err := ical.SetDescription(cur.Data, master.UID, time.Time{}, userEdit+master.Description)
		if err != nil {
			return "", err
		}
		if _, err := s.Client.Put(ctx, href, edited, cur.ETag); err != nil {
			return "", fmt.Errorf("user edit: %w", err)
		}
	}
	return s.Client.Put(ctx, href, data, ifMatch)
}

func TestAgendaWriteBack(t *testing.T) {
	for _, tc := range davTargets() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := tc.start(t)
			ctx := context.Background()
			client, err := caldav.New(caldav.Options{URL: srv.url, Username: srv.user, Password: srv.pass, Zone: berlin})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 11, 20, 12, 0, 0, 0, berlin)
			href := srv.calPath + "bob-1on1.ics"
			original := oneOnOne("bob-1on1@example.com", time.Date(2026, 11, 17, 10, 0, 0, 0, berlin))
			if _, err := client.Put(ctx, href, []byte(original), ""); err != nil {
				t.Fatal(err)
			}
			before, err := client.Get(ctx, href)
			if err != nil {
				t.Fatal(err)
			}
			var baseline []string // scheduling messages after seeding
			if srv.messages != nil {
				baseline = srv.messages(t)
			}

			src := &editingSource{Client: client, edits: 1} // no user edit yet
			st, err := store.Open(filepath.Join(t.TempDir(), "state.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			eng := &sync.Engine{
				Store: st, Sources: []sync.NamedSource{{Name: "team", Source: src}},
				Rules:   history.DetectRules{Me: []string{"anna@example.com"}},
				Horizon: 14 * 24 * time.Hour, Now: func() time.Time { return now }, Agenda: fixedAgenda,
			}

			// First sync: the master and the override within the horizon get the block.
			sums, err := eng.SyncAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// One object, one write: the master and the override go together.
			if b := sums[0].Blocks; b.Written != 2 || b.Writes != 1 || b.Conflicts != 0 {
				t.Fatalf("first sync blocks = %+v, want 2 written in 1 write", b)
			}
			after, err := client.Get(ctx, href)
			if err != nil {
				t.Fatal(err)
			}
			checkRoundTrip(t, before.Data, after.Data, map[bool]string{
				false: userText + "\n\n",
				true:  "",
			})

			// Second sync, nothing changed: no write, the ETag stays.
			sums, err = eng.SyncAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b := sums[0].Blocks; b.Written != 0 || b.Writes != 0 || b.AlreadyRight != 2 {
				t.Fatalf("second sync blocks = %+v, want 0 written, 2 already right", b)
			}
			again, err := client.Get(ctx, href)
			if err != nil {
				t.Fatal(err)
			}
			if again.ETag != after.ETag {
				t.Fatalf("ETag changed on a sync that should write nothing: %s → %s", after.ETag, again.ETag)
			}

			// The block changes (a new action) and the user edits the event
			// between our read and our write: both survive.
			eng.Agenda = func(ctx context.Context, s calendar.Series, alone bool) (agenda.Block, error) {
				b, _ := fixedAgenda(ctx, s, alone)
				if alone {
					b.Actions = append(b.Actions, agenda.Action{Owner: "anna@example.com", Text: "book the offsite", Since: now})
				}
				return b, nil
			}
			src.edits = 0
			sums, err = eng.SyncAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The override has a third person, so no actions: its block
			// stays as it was.
			if b := sums[0].Blocks; b.Conflicts != 1 || b.Written != 1 || b.Writes != 2 || b.AlreadyRight != 1 {
				t.Fatalf("blocks after a concurrent edit = %+v, want 1 conflict retried, 1 written in 2 writes, 1 already right", b)
			}
			final, err := client.Get(ctx, href)
			if err != nil {
				t.Fatal(err)
			}
			master := eventOf(t, final.Data, false)
			if !strings.HasPrefix(master.Description, userEdit+userText+"\n\n") {
				t.Errorf("user text lost after the conflict:\n%q", master.Description)
			}
			if !strings.Contains(master.Description, "- [ ] anna@example.com: book the offsite") {
				t.Errorf("new action missing after the conflict:\n%q", master.Description)
			}
			if strings.Count(master.Description, agenda.BeginLine) != 1 {
				t.Errorf("want exactly one block:\n%q", master.Description)
			}
			// No write of ours (nor the user's edit, which went through
			// the same client) made the server schedule.
			if srv.messages != nil {
				if msgs := srv.messages(t); len(msgs) != len(baseline) {
					t.Errorf("%d scheduling messages after seeding, %d now:\n%s", len(baseline), len(msgs), strings.Join(msgs[len(baseline):], "\n"))
				}
			}
		})
	}
}

// checkRoundTrip: the block landed in both events, every other property is
// unchanged, and the user's text comes first, byte for byte.
func checkRoundTrip(t *testing.T, before, after []byte, prefix map[bool]string) {
	t.Helper()
	for _, override := range []bool{false, true} {
		b, a := eventOf(t, before, override), eventOf(t, after, override)
		if !strings.HasPrefix(a.Description, prefix[override]) {
			t.Errorf("override=%v: user text not kept:\n%q", override, a.Description)
		}
		if strings.Count(a.Description, agenda.BeginLine) != 1 || !strings.Contains(a.Description, "Agenda: https://docs.example.com/1on1/bob@example.com") {
			t.Errorf("override=%v: no block:\n%q", override, a.Description)
		}
		hasAction := strings.Contains(a.Description, "- [ ] bob@example.com: send the draft; then ping (since 2026-11-10)")
		if hasAction == override {
			t.Errorf("override=%v: actions shown=%v; they belong only in events of the pair alone", override, hasAction)
		}
		b.Description, a.Description = "", ""
		if !reflect.DeepEqual(b, a) {
			t.Errorf("override=%v: other properties changed:\nbefore %+v %+v\nafter  %+v %+v", override, b, b.Recurrence, a, a.Recurrence)
		}
	}
	for _, keep := range []string{"X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC", "X-MOZ-GENERATION:2", "DESCRIPTION:Reminder", "SEQUENCE:3", "SEQUENCE:4"} {
		if !strings.Contains(string(after), keep) {
			t.Errorf("%s lost in the round trip", keep)
		}
	}
}

func eventOf(t *testing.T, data []byte, override bool) calendar.Event {
	t.Helper()
	evs, err := ical.Parse(data, ical.ParseOptions{Href: "x.ics", DefaultZone: berlin})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.IsOverride() == override {
			return ev
		}
	}
	t.Fatalf("no event with override=%v", override)
	return calendar.Event{}
}
