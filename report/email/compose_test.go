package email_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"oneonone/calendar"
	"oneonone/report"
	"oneonone/report/email"
)

const me = "anna@example.com"

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at parses "2006-01-02 15:04" in Berlin.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
	if err != nil {
		panic(err)
	}
	return t
}

// teamInput is two 1:1s of Anna's in 2026-W47: Bob's postponed, Carol's
// skipped; Carol's title tries to smuggle in a script and a header.
func teamInput() report.Input {
	series := func(id, who, title string) calendar.Series {
		return calendar.Series{
			ID: "team/work/" + id, Source: "team", Calendar: "work", UID: id,
			Title: title, Pair: calendar.NewPair(me, who), Me: me, Counterpart: who,
			Relationship: "report", Cadence: calendar.CadenceWeekly, Start: at("2026-09-01 10:00"),
			Zone: "Europe/Berlin",
		}
	}
	occ := func(s calendar.Series, orig, start string, st calendar.State) calendar.Occurrence {
		return calendar.Occurrence{SeriesID: s.ID, Pair: s.Pair, OriginalStart: at(orig), Start: at(start),
			End: at(start).Add(30 * time.Minute), State: st}
	}
	bob := series("bob", "bob@example.com", "Anna / Bob 1:1")
	carol := series("carol", "carol@example.com", "Carol <script>alert(1)</script> Ünïcødé\r\nBcc: eve@example.com")
	return report.Input{
		Week:     report.Week{Year: 2026, Week: 47},
		Location: berlin,
		Now:      time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC),
		Series:   []calendar.Series{bob, carol},
		Occurrences: []calendar.Occurrence{
			occ(bob, "2026-11-10 10:00", "2026-11-10 10:00", calendar.StateHeld),
			occ(bob, "2026-11-17 10:00", "2026-11-19 10:00", calendar.StatePostponed),
			occ(carol, "2026-11-11 14:00", "2026-11-11 14:00", calendar.StateHeld),
			occ(carol, "2026-11-18 14:00", "2026-11-18 14:00", calendar.StateSkipped),
		},
	}
}

// parsed is a message taken apart the way a mail client would.
type parsed struct {
	Header  mail.Header
	Subject string
	Parts   map[string]string // Content-Type → decoded body
	CTE     map[string]string // Content-Type → Content-Transfer-Encoding
}

func parse(t *testing.T, msg []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	p := parsed{Header: m.Header, Subject: subject, Parts: map[string]string{}, CTE: map[string]string{}}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		ct := part.Header.Get("Content-Type")
		cte := part.Header.Get("Content-Transfer-Encoding")
		var body []byte
		switch cte {
		case "quoted-printable":
			body, err = io.ReadAll(quotedprintable.NewReader(part))
		default:
			t.Fatalf("part %s: Content-Transfer-Encoding %q", ct, cte)
		}
		if err != nil {
			t.Fatalf("read part %s: %v", ct, err)
		}
		p.Parts[ct], p.CTE[ct] = string(body), cte
	}
	return p
}

func TestCompose(t *testing.T) {
	r := report.Build(teamInput())
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, berlin)
	msg, err := email.Compose(r, "oneonone@example.org", []string{"anna@example.com", "Böb Büilder <bob@example.com>"}, now)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("wire format", func(t *testing.T) {
		for i, line := range strings.Split(string(msg), "\n") {
			if i < strings.Count(string(msg), "\n") && !strings.HasSuffix(line, "\r") {
				t.Fatalf("line %d does not end in CRLF: %q", i+1, line)
			}
			if len(line) > 999 {
				t.Fatalf("line %d is %d bytes long", i+1, len(line))
			}
		}
		for i, c := range msg {
			if c >= 0x80 {
				t.Fatalf("byte %d is not 7-bit: %#x", i, c)
			}
		}
		head, _, _ := strings.Cut(string(msg), "\r\n\r\n")
		for _, line := range strings.Split(head, "\r\n") {
			if len(line) > 78 {
				t.Errorf("header line longer than 78: %q", line)
			}
		}
	})

	p := parse(t, msg)

	t.Run("headers", func(t *testing.T) {
		from, err := p.Header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Address != "oneonone@example.org" {
			t.Errorf("From = %v (%v)", from, err)
		}
		to, err := p.Header.AddressList("To")
		if err != nil || len(to) != 2 || to[0].Address != "anna@example.com" ||
			to[1].Address != "bob@example.com" || to[1].Name != "Böb Büilder" {
			t.Errorf("To = %v (%v)", to, err)
		}
		want := "1:1 report 2026-W47 (16–22 Nov 2026): 1 skipped, 1 postponed"
		if p.Subject != want {
			t.Errorf("Subject = %q, want %q", p.Subject, want)
		}
		if raw := p.Header.Get("Subject"); !strings.Contains(raw, "=?utf-8?q?") {
			t.Errorf("raw Subject %q is not RFC 2047-encoded", raw)
		}
		if d, err := p.Header.Date(); err != nil || !d.Equal(now) {
			t.Errorf("Date = %v (%v), want %v", d, err, now)
		}
		if id := p.Header.Get("Message-ID"); !regexp.MustCompile(`^<[A-Z2-7]{20,}@example\.org>$`).MatchString(id) {
			t.Errorf("Message-ID = %q", id)
		}
		if v := p.Header.Get("MIME-Version"); v != "1.0" {
			t.Errorf("MIME-Version = %q", v)
		}
		var keys []string
		for k := range p.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		wantKeys := []string{"Auto-Submitted", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("header fields = %v, want %v", keys, wantKeys)
		}
	})

	t.Run("parts", func(t *testing.T) {
		if len(p.Parts) != 2 {
			t.Fatalf("parts = %v, want text/plain and text/html", p.CTE)
		}
		text, ok := p.Parts["text/plain; charset=utf-8"]
		if !ok {
			t.Fatalf("no text/plain part: %v", p.CTE)
		}
		var want bytes.Buffer
		if err := r.WriteText(&want); err != nil {
			t.Fatal(err)
		}
		// Quoted-printable carries line breaks as CRLF.
		if got := strings.ReplaceAll(text, "\r\n", "\n"); got != want.String() {
			t.Errorf("text part differs from WriteText:\n%s\nwant:\n%s", got, want.String())
		}
		for _, s := range []string{"bob@example.com", "carol@example.com", "skipped", "postponed", "2026-W47"} {
			if !strings.Contains(text, s) {
				t.Errorf("text part lacks %q", s)
			}
		}
		html, ok := p.Parts["text/html; charset=utf-8"]
		if !ok {
			t.Fatalf("no text/html part: %v", p.CTE)
		}
		if strings.Contains(html, "<script>") {
			t.Errorf("html part has an unescaped <script>")
		}
		for _, s := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "Ünïcødé", "bob@example.com", "skipped"} {
			if !strings.Contains(html, s) {
				t.Errorf("html part lacks %q", s)
			}
		}
	})
}

func TestComposeUniqueMessageID(t *testing.T) {
	r := report.Build(teamInput())
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, berlin)
	a, err1 := email.Compose(r, "oneonone@example.org", []string{me}, now)
	b, err2 := email.Compose(r, "oneonone@example.org", []string{me}, now)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if parse(t, a).Header.Get("Message-ID") == parse(t, b).Header.Get("Message-ID") {
		t.Error("two messages share a Message-ID")
	}
}

func TestComposeRejectsInjection(t *testing.T) {
	r := report.Build(teamInput())
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, berlin)
	for _, tc := range []struct {
		name string
		from string
		to   []string
	}{
		{"to with CRLF Bcc", "oneonone@example.org", []string{"bob@example.com\r\nBcc: eve@example.com"}},
		{"to with LF Bcc", "oneonone@example.org", []string{"bob@example.com\nBcc: eve@example.com"}},
		{"to name with CRLF", "oneonone@example.org", []string{"\"Bob\r\nBcc: eve@example.com\" <bob@example.com>"}},
		{"second to bad", "oneonone@example.org", []string{"bob@example.com", "carol@example.com\r\n"}},
		{"from with CR", "oneonone@example.org\rBcc: eve@example.com", []string{"bob@example.com"}},
		{"from not an address", "oneonone", []string{"bob@example.com"}},
		{"no recipients", "oneonone@example.org", nil},
		{"non-ASCII address", "oneonone@example.org", []string{"böb@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := email.Compose(r, tc.from, tc.to, now)
			if err == nil {
				t.Fatalf("Compose accepted it:\n%s", msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// A report whose own fields carry line breaks still makes only the
// expected headers.
func TestComposeReportFieldsCannotAddHeaders(t *testing.T) {
	r := report.Build(teamInput())
	r.From = "2026-11-16\r\nBcc: eve@example.com"
	r.Timezone = "Europe/Berlin\r\nBcc: eve@example.com"
	msg, err := email.Compose(r, "oneonone@example.org", []string{me}, time.Date(2026, 11, 23, 8, 0, 0, 0, berlin))
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, msg)
	if _, ok := p.Header["Bcc"]; ok {
		t.Fatal("a Bcc header got in")
	}
	// The injected address must not reach the header section at all. (Not
	// a search for "bcc": the random MIME boundary may contain those letters.)
	head, _, _ := strings.Cut(string(msg), "\r\n\r\n")
	if strings.Contains(head, "eve@example.com") {
		t.Errorf("the injected address reached the headers:\n%s", head)
	}
	for _, line := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), "bcc:") {
			t.Errorf("a Bcc header line got in: %q", line)
		}
	}
	if want := "1:1 report 2026-W47: 1 skipped, 1 postponed"; p.Subject != want {
		t.Errorf("Subject = %q, want %q", p.Subject, want)
	}
}

func TestComposeFoldsManyRecipients(t *testing.T) {
	r := report.Build(teamInput())
	var to []string
	for i := range 12 {
		to = append(to, "Team Member Number "+string(rune('A'+i))+" <member"+string(rune('a'+i))+"@example.com>")
	}
	msg, err := email.Compose(r, "oneonone@example.org", to, time.Date(2026, 11, 23, 8, 0, 0, 0, berlin))
	if err != nil {
		t.Fatal(err)
	}
	got, err := parse(t, msg).Header.AddressList("To")
	if err != nil || len(got) != len(to) {
		t.Fatalf("To = %v (%v), want %d addresses", got, err, len(to))
	}
	for i, a := range got {
		if want := "Team Member Number " + string(rune('A'+i)); a.Name != want {
			t.Errorf("To[%d].Name = %q, want %q", i, a.Name, want)
		}
	}
}

func TestSubject(t *testing.T) {
	base := func(mod func(r *report.Report)) *report.Report {
		r := &report.Report{Heading: report.Heading{Week: report.Week{Year: 2026, Week: 47}, From: "2026-11-16", To: "2026-11-22"}}
		mod(r)
		return r
	}
	for _, tc := range []struct {
		name string
		r    *report.Report
		want string
	}{
		{"nothing planned", base(func(*report.Report) {}), "1:1 report 2026-W47 (16–22 Nov 2026): no 1:1s planned"},
		{"all kept", base(func(r *report.Report) { r.Totals = report.Counts{Planned: 5, Held: 4, Advanced: 1} }),
			"1:1 report 2026-W47 (16–22 Nov 2026): 5 planned, none skipped or postponed"},
		{"missed and overdue", base(func(r *report.Report) {
			r.Totals = report.Counts{Planned: 6, Held: 2, Skipped: 2, Postponed: 1, Declined: 1}
			r.Pairs = []report.PairReport{{Trailing: report.Trailing{Overdue: true}}}
		}), "1:1 report 2026-W47 (16–22 Nov 2026): 2 skipped, 1 postponed, 1 declined, 1 overdue"},
		{"across months", base(func(r *report.Report) {
			r.Week, r.From, r.To = report.Week{Year: 2026, Week: 49}, "2026-11-30", "2026-12-06"
		}), "1:1 report 2026-W49 (30 Nov – 6 Dec 2026): no 1:1s planned"},
		{"across years", base(func(r *report.Report) {
			r.Week, r.From, r.To = report.Week{Year: 2026, Week: 53}, "2026-12-28", "2027-01-03"
		}), "1:1 report 2026-W53 (28 Dec 2026 – 3 Jan 2027): no 1:1s planned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := email.Subject(tc.r); got != tc.want {
				t.Errorf("Subject = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestComposeMentionsStaleSources: the mail of a report built with stale
// sources names them in the subject and in both parts, with the last
// success (or never) and the error.
func TestComposeMentionsStaleSources(t *testing.T) {
	in := teamInput()
	since := time.Date(2026, 11, 16, 8, 30, 0, 0, time.UTC)
	in.Stale = []report.StaleSource{
		{Name: "team", Since: &since, Error: "list calendars: connection refused"},
		{Name: "work"},
	}
	msg, err := email.Compose(report.Build(in), "oneonone@example.org", []string{me}, time.Date(2026, 11, 23, 8, 0, 0, 0, berlin))
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, msg)
	if !strings.HasSuffix(p.Subject, "; stale: team, work") {
		t.Errorf("Subject = %q, want it to end in \"; stale: team, work\"", p.Subject)
	}
	for _, ct := range []string{"text/plain; charset=utf-8", "text/html; charset=utf-8"} {
		body := p.Parts[ct]
		for _, want := range []string{report.StaleHeading, "team: last synced Mon 16 Nov 2026 09:30 (list calendars: connection refused)", "work: never synced"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s part lacks %q:\n%s", ct, want, body)
			}
		}
	}
}

func TestSubjectStaleSources(t *testing.T) {
	r := &report.Report{Heading: report.Heading{Week: report.Week{Year: 2026, Week: 47}, From: "2026-11-16", To: "2026-11-22"},
		Totals: report.Counts{Planned: 2, Held: 2}}
	for _, n := range []string{"a", "b\r\nBcc: eve@example.com", "c", "d", "e"} {
		r.Stale = append(r.Stale, report.StaleSource{Name: n})
	}
	want := "1:1 report 2026-W47 (16–22 Nov 2026): 2 planned, none skipped or postponed; stale: a, bBcc: eve@example.com, c and 2 more"
	if got := email.Subject(r); got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
}
