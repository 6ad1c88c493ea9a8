package email

import (
	"bytes"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"time"

	"oneonone/report"
)

// ComposeNudge returns the mail of one nudge: its text as the subject
// (after "1:1: ") and, with the way back when one was found and the series'
// title, as a plain-text body. The
// addresses are checked as Compose checks them.
func ComposeNudge(n report.Nudge, from string, to []string, now time.Time) ([]byte, error) {
	body := stripControl(n.Text) + ".\r\n"
	if n.WayBack != "" {
		body += "\r\nWay back: " + stripControl(n.WayBack) + " (a suggestion; nothing is booked).\r\n"
	}
	if n.Title != "" {
		body += "\r\n" + stripControl(n.Title) + "\r\n"
	}
	body += "\r\n-- \r\noneonone: a nudge fires once; `oneonone report` has the week.\r\n"
	msg, err := composePlain(from, to, "1:1: "+stripControl(n.Text), body, now)
	if err != nil {
		return nil, fmt.Errorf("compose nudge mail: %w", err)
	}
	return msg, nil
}

// composePlain returns a plain-text, quoted-printable mail of subject and
// body (CRLF lines, already stripped of control characters) from from to
// to, the addresses checked as Compose checks them: the nudges' and the
// reminders' mails.
func composePlain(from string, to []string, subject, body string, now time.Time) ([]byte, error) {
	sender, err := parseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	rcpts, err := parseAddresses(to)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	headers := []struct{ name, value string }{
		{"From", sender.String()},
		{"To", joinAddresses(rcpts)},
		{"Subject", mime.QEncoding.Encode("utf-8", subject)},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", messageID(sender.Address)},
		{"MIME-Version", "1.0"},
		{"Auto-Submitted", "auto-generated"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}
	for _, h := range headers {
		if err := writeHeader(&b, h.name, h.value); err != nil {
			return nil, err
		}
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
