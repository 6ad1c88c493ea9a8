package email

import (
	"net/mail"
	"strings"
	"testing"
	"time"

	"oneonone/report"
)

// A nudge mail is one plain-text part whose subject is the nudge; a line
// break in the text cannot add a header.
func TestComposeNudge(t *testing.T) {
	n := report.Nudge{ID: "x", Text: "Two 1:1s with Bob in a row did not take place\r\nBcc: eve@example.com", Title: "Anna / Bob"}
	msg, err := ComposeNudge(n, "oneonone@example.com", []string{"anna@example.com"}, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(strings.NewReader(string(msg)))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Subject"); got != "1:1: Two 1:1s with Bob in a row did not take placeBcc: eve@example.com" {
		t.Errorf("subject %q", got)
	}
	if m.Header.Get("Bcc") != "" || m.Header.Get("To") != "<anna@example.com>" {
		t.Errorf("headers: %v", m.Header)
	}
	if _, err := ComposeNudge(n, "oneonone@example.com", []string{"a@b\r\nBcc: x@y"}, time.Now()); err == nil {
		t.Error("a recipient with a line break was accepted")
	}
}
