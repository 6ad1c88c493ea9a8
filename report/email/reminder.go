package email

import (
	"bytes"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"time"

	"oneonone/remind"
)

// ComposeReminder returns the mail of the reminder before a 1:1: its
// subject (after "1:1 reminder: ") and lines as a plain-text body,
// stripped of control characters as ComposeNudge's; the addresses are
// checked as Compose checks them.
func ComposeReminder(r remind.Reminder, from string, to []string, now time.Time) ([]byte, error) {
	sender, err := parseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("compose reminder mail: from: %w", err)
	}
	rcpts, err := parseAddresses(to)
	if err != nil {
		return nil, fmt.Errorf("compose reminder mail: %w", err)
	}
	var b bytes.Buffer
	headers := []struct{ name, value string }{
		{"From", sender.String()},
		{"To", joinAddresses(rcpts)},
		{"Subject", mime.QEncoding.Encode("utf-8", "1:1 reminder: "+stripControl(r.Subject()))},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", messageID(sender.Address)},
		{"MIME-Version", "1.0"},
		{"Auto-Submitted", "auto-generated"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}
	for _, h := range headers {
		if err := writeHeader(&b, h.name, h.value); err != nil {
			return nil, fmt.Errorf("compose reminder mail: %w", err)
		}
	}
	b.WriteString("\r\n")
	var body bytes.Buffer
	for _, l := range r.Lines() {
		body.WriteString(stripControl(l))
		body.WriteString("\r\n")
	}
	body.WriteString("\r\n-- \r\noneonone: one reminder before each 1:1 (agenda.reminder).\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write(body.Bytes()); err != nil {
		return nil, fmt.Errorf("compose reminder mail: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("compose reminder mail: %w", err)
	}
	return b.Bytes(), nil
}
