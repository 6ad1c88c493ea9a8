package email

import (
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/remind"
)

// A reminder mail goes to both of the pair, with the time in the zone,
// the link, the open points and actions, and last time's points; a line
// break in a title or a point cannot add a header or a line of its own.
func TestComposeReminder(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 16, 8, 0, 0, 0, time.UTC)
	r := remind.Reminder{
		ID: "team/cal/bob x", Slot: start.Add(2 * time.Hour), Start: start, End: start.Add(time.Hour),
		Title: "Anna / Bob\r\nBcc: eve@example.com", Pair: calendar.NewPair("anna@example.com", "bob@example.com"),
		Me: "anna@example.com", Counterpart: "bob@example.com", Name: "Bob", Location: loc,
		Link:        "https://docs.example.com/bob",
		Points:      []agenda.Point{{Author: "bob@example.com", Text: "my promotion\nBcc: x"}},
		Actions:     []agenda.Action{{Owner: "anna@example.com", Text: "send the budget", Due: time.Date(2026, 11, 20, 0, 0, 0, 0, loc)}},
		LastMeeting: time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC),
		LastTime:    []agenda.Point{{Text: "the offsite"}},
	}
	msg, err := ComposeReminder(r, "oneonone@example.com", []string{"anna@example.com", "bob@example.com"}, start.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(strings.NewReader(string(msg)))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Subject"); got != "1:1 reminder: 1:1 with Bob, Mon 16 Nov 09:00 CET" {
		t.Errorf("subject %q", got)
	}
	if m.Header.Get("Bcc") != "" || m.Header.Get("To") != "<anna@example.com>, <bob@example.com>" {
		t.Errorf("headers: %v", m.Header)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	body := string(b)
	for _, want := range []string{
		"Anna / BobBcc: eve@example.com\r\n",
		"When: Monday 16 November 2026, 09:00–10:00 CET (moved from Mon 16 Nov 11:00)\r\n",
		"Agenda: https://docs.example.com/bob\r\n",
		"Talking points:\r\n- bob@example.com: my promotionBcc: x\r\n",
		"Open actions:\r\n- anna@example.com: send the budget (due 20 Nov)\r\n",
		"Last time (Mon 9 Nov):\r\n- the offsite\r\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if _, err := ComposeReminder(r, "oneonone@example.com", []string{"a@b\r\nBcc: x@y"}, start); err == nil {
		t.Error("a recipient with a line break was accepted")
	}
}
