// Package email mails the weekly report: Compose makes the message
// (RFC 5322, MIME multipart/alternative per RFC 2046), Sender delivers it
// over SMTP (RFC 5321, STARTTLS per RFC 3207, AUTH PLAIN per RFC 4616), and
// Scheduler sends the report of the last full week once a week.
package email

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"oneonone/report"
)

// maxLine is where Compose folds a long header line (RFC 5322 §2.1.1 asks
// for at most 78 characters).
const maxLine = 78

// Compose returns the report r as an e-mail from from to the recipients to:
// an RFC 5322 message with CRLF line endings whose body is
// multipart/alternative, a text/plain part (r.WriteText) and a text/html part
// (r.WriteHTML), both UTF-8 and quoted-printable. The Subject (see Subject)
// is RFC 2047-encoded when it is not ASCII; Date is now; Message-ID is random
// at the domain of from.
//
// Addresses are "anna@example.com" or "Anna <anna@example.com>". Compose
// rejects an address with a line break (and anything else net/mail does not
// parse) and non-ASCII addresses, so no report content or config value can
// add a header.
func Compose(r *report.Report, from string, to []string, now time.Time) ([]byte, error) {
	if r == nil {
		return nil, errors.New("compose report mail: no report")
	}
	sender, err := parseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("compose report mail: from: %w", err)
	}
	rcpts, err := parseAddresses(to)
	if err != nil {
		return nil, fmt.Errorf("compose report mail: %w", err)
	}

	var text, html bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		return nil, fmt.Errorf("compose report mail: %w", err)
	}
	if err := r.WriteHTML(&html); err != nil {
		return nil, fmt.Errorf("compose report mail: %w", err)
	}
	msg, err := message(sender, rcpts, Subject(r), text.Bytes(), html.Bytes(), now)
	if err != nil {
		return nil, fmt.Errorf("compose report mail: %w", err)
	}
	return msg, nil
}

// ComposeRollup is Compose for the roll-up: the same headers and parts,
// r.WriteText and r.WriteHTML, and RollupSubject.
func ComposeRollup(r *report.Rollup, from string, to []string, now time.Time) ([]byte, error) {
	if r == nil {
		return nil, errors.New("compose roll-up mail: no roll-up")
	}
	sender, err := parseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("compose roll-up mail: from: %w", err)
	}
	rcpts, err := parseAddresses(to)
	if err != nil {
		return nil, fmt.Errorf("compose roll-up mail: %w", err)
	}
	var text, html bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		return nil, fmt.Errorf("compose roll-up mail: %w", err)
	}
	if err := r.WriteHTML(&html); err != nil {
		return nil, fmt.Errorf("compose roll-up mail: %w", err)
	}
	msg, err := message(sender, rcpts, RollupSubject(r), text.Bytes(), html.Bytes(), now)
	if err != nil {
		return nil, fmt.Errorf("compose roll-up mail: %w", err)
	}
	return msg, nil
}

// RollupSubject is the subject of the roll-up's mail: the week, its dates
// and how many people have overdue pairs, as in "1:1 roll-up 2026-W47
// (16–22 Nov 2026): 2 of 40 people with overdue pairs", then the stale
// sources as in Subject.
func RollupSubject(r *report.Rollup) string {
	slipping := 0
	for _, p := range r.People {
		if p.Overdue > 0 {
			slipping++
		}
	}
	status := fmt.Sprintf("%d of %d people with overdue pairs", slipping, len(r.People))
	if slipping == 0 {
		status = fmt.Sprintf("%d people, none with overdue pairs", len(r.People))
	}
	s := "1:1 roll-up " + r.Week.String()
	if d := days(r.From, r.To); d != "" {
		s += " (" + d + ")"
	}
	return stripControl(s + ": " + status + staleText(r.Stale))
}

// message is a report mail: the headers, then text and HTML as
// multipart/alternative.
func message(sender *mail.Address, rcpts []*mail.Address, subject string, text, html []byte, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b) // writes nothing before the first part
	headers := []struct{ name, value string }{
		{"From", sender.String()},
		{"To", joinAddresses(rcpts)},
		{"Subject", mime.QEncoding.Encode("utf-8", subject)},
		{"Date", now.Format(time.RFC1123Z)},
		{"Message-ID", messageID(sender.Address)},
		{"MIME-Version", "1.0"},
		// RFC 3834: no vacation replies to a robot.
		{"Auto-Submitted", "auto-generated"},
		{"Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()})},
	}
	for _, h := range headers {
		if err := writeHeader(&b, h.name, h.value); err != nil {
			return nil, err
		}
	}
	b.WriteString("\r\n")
	for _, p := range []struct {
		contentType string
		body        []byte
	}{
		{"text/plain; charset=utf-8", text},
		{"text/html; charset=utf-8", html},
	} {
		if err := writePart(mw, p.contentType, p.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Subject returns the subject of r's mail: the week, its dates and what
// went missing, as in "1:1 report 2026-W47 (16–22 Nov 2026): 1 skipped,
// 1 postponed", then the stale sources when there are any ("; stale: team,
// work"; past maxStaleNames, "and 2 more"). Control characters are left out.
func Subject(r *report.Report) string {
	var missed []string
	add := func(n int, what string) {
		if n > 0 {
			missed = append(missed, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(r.Totals.Skipped, "skipped")
	add(r.Totals.Postponed, "postponed")
	add(r.Totals.Declined, "declined")
	overdue := 0
	for _, p := range r.Pairs {
		if p.Trailing.Overdue {
			overdue++
		}
	}
	add(overdue, "overdue")
	status := strings.Join(missed, ", ")
	switch {
	case status != "":
	case r.Totals.Planned == 0:
		status = "no 1:1s planned"
	default:
		status = fmt.Sprintf("%d planned, none skipped or postponed", r.Totals.Planned)
	}
	s := "1:1 report " + r.Week.String()
	if d := days(r.From, r.To); d != "" {
		s += " (" + d + ")"
	}
	return stripControl(s + ": " + status + staleText(r.Stale))
}

// maxStaleNames is how many stale sources the subject names.
const maxStaleNames = 3

// staleText is the subject's mention of the stale sources: "" when none.
func staleText(stale []report.StaleSource) string {
	if len(stale) == 0 {
		return ""
	}
	var names []string
	for _, s := range stale[:min(len(stale), maxStaleNames)] {
		names = append(names, s.Name)
	}
	t := "; stale: " + strings.Join(names, ", ")
	if n := len(stale) - maxStaleNames; n > 0 {
		t += fmt.Sprintf(" and %d more", n)
	}
	return t
}

// days returns "16–22 Nov 2026", "30 Nov – 6 Dec 2026" or "28 Dec 2026 –
// 3 Jan 2027" for two YYYY-MM-DD dates; "" when they do not parse.
func days(from, to string) string {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	switch {
	case err1 != nil || err2 != nil:
		return ""
	case f.Year() != t.Year():
		return f.Format("2 Jan 2006") + " – " + t.Format("2 Jan 2006")
	case f.Month() != t.Month():
		return f.Format("2 Jan") + " – " + t.Format("2 Jan 2006")
	}
	return f.Format("2") + "–" + t.Format("2 Jan 2006")
}

func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}

// parseAddress parses one address, refusing line breaks outright and
// addresses that are not ASCII (they would need SMTPUTF8, RFC 6531).
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("address %q has a line break", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", s, err)
	}
	if !isASCII(a.Address) || !strings.Contains(a.Address, "@") {
		return nil, fmt.Errorf("address %q: want an ASCII address like name@example.com", s)
	}
	return a, nil
}

// parseAddresses parses the recipients; there must be at least one.
func parseAddresses(to []string) ([]*mail.Address, error) {
	if len(to) == 0 {
		return nil, errors.New("no recipients")
	}
	out := make([]*mail.Address, 0, len(to))
	for i, s := range to {
		a, err := parseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("to[%d]: %w", i, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func joinAddresses(as []*mail.Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// messageID returns a new random Message-ID (RFC 5322 §3.6.4) at the
// domain of addr.
func messageID(addr string) string {
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	if domain == "" || strings.ContainsAny(domain, " \t<>\"\\") || !isASCII(domain) {
		domain = "oneonone.invalid"
	}
	return "<" + rand.Text() + "@" + domain + ">"
}

// writeHeader writes one header field, folded at spaces to lines of
// maxLine characters where it can be. The value must be printable ASCII:
// anything else, and a line break above all, is an error.
func writeHeader(b *bytes.Buffer, name, value string) error {
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < 0x20 && c != '\t') || c > 0x7e {
			return fmt.Errorf("header %s: byte %#x is not allowed in a header", name, c)
		}
	}
	b.WriteString(name)
	b.WriteString(":")
	n := len(name) + 1
	for _, word := range strings.Split(value, " ") {
		// A fold may come right after the colon: RFC 2047 wants lines
		// with encoded-words (75 characters each) to stay short.
		if word != "" && n+1+len(word) > maxLine {
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteString(" ")
		b.WriteString(word)
		n += 1 + len(word)
	}
	b.WriteString("\r\n")
	return nil
}

// writePart writes body as a quoted-printable part of type contentType.
func writePart(mw *multipart.Writer, contentType string, body []byte) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", contentType)
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	qp := quotedprintable.NewWriter(pw) // text mode: line breaks become CRLF
	if _, err := qp.Write(body); err != nil {
		return err
	}
	return qp.Close()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
