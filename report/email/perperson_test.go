package email_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"oneonone/report"
	"oneonone/report/email"
	"oneonone/store"
)

// orgReport is the report of an organisation: m1 has reports r1 and r2,
// m2 has r3, m1 and m2 have a 1:1 together, m3 has no pairs; more adds
// managers m4… with one report each.
func orgReport(more int) *report.Report {
	r := &report.Report{Heading: report.Heading{Week: report.Week{Year: 2026, Week: 47}, From: "2026-11-16", To: "2026-11-22"}}
	add := func(me, other string) {
		r.Pairs = append(r.Pairs, report.PairReport{
			PairInfo: report.PairInfo{Pair: min(me, other) + "|" + max(me, other), Me: me, Counterpart: other,
				Relationship: "report", Title: me + " / " + other, Source: "org", Cadence: "weekly"},
			Week: report.Counts{Planned: 1, Held: 1},
		})
	}
	add("m1@example.com", "r1@example.com")
	add("m1@example.com", "r2@example.com")
	add("m2@example.com", "r3@example.com")
	add("m1@example.com", "m2@example.com")
	for i := range more {
		add(fmt.Sprintf("m%d@example.com", 4+i), fmt.Sprintf("r%d@example.com", 4+i))
	}
	return r
}

// theirs is who is in a pair with each person of orgReport(0).
var theirs = map[string][]string{
	"m1@example.com": {"r1@example.com", "r2@example.com", "m2@example.com"},
	"m2@example.com": {"r3@example.com", "m1@example.com"},
}

func people(addrs ...string) []email.Person {
	var ps []email.Person
	for _, a := range addrs {
		ps = append(ps, email.Person{Address: a, Weekday: time.Monday, Hour: 8})
	}
	return ps
}

// perPersonRig is a PerPerson that sends to an in-process SMTP server
// without TLS, with a state file and no waits between attempts.
func perPersonRig(t *testing.T, st *store.Store, srv *testServer, r *report.Report, ps []email.Person) *email.PerPerson {
	t.Helper()
	sender := email.Sender{Addr: srv.Addr, Security: "none"}
	return &email.PerPerson{
		Facts:    st.Facts(store.FactsMailSent).Expiring(store.MailSentTTL),
		People:   ps,
		Location: berlin,
		Build:    func(context.Context, report.Week) (*report.Report, error) { return r, nil },
		Send: func(ctx context.Context, to string, msg []byte) error {
			return sender.Send(ctx, "oneonone@example.com", []string{to}, msg)
		},
		From:  "oneonone@example.com",
		Now:   func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, berlin) },
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	}
}

// plainText returns the text/plain part of a message Compose made.
func plainText(t *testing.T, data []byte) (to, text string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text/plain part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			b, err := io.ReadAll(quotedprintable.NewReader(p))
			if err != nil {
				t.Fatal(err)
			}
			return m.Header.Get("To"), string(b)
		}
	}
}

func TestPerPersonContents(t *testing.T) {
	srv := startServer(t, modePlain, &backend{})
	st := openStore(t, t.TempDir())
	p := perPersonRig(t, st, srv, orgReport(0), people("m1@example.com", "m2@example.com", "m3@example.com"))
	week := report.Week{Year: 2026, Week: 47}
	if err := p.SendWeek(context.Background(), week, p.People); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Backend.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2 (m3 has no pairs)", len(msgs))
	}
	all := []string{"r1@example.com", "r2@example.com", "r3@example.com"}
	for _, m := range msgs {
		if len(m.To) != 1 {
			t.Fatalf("envelope to %v, want one recipient", m.To)
		}
		person := m.To[0]
		to, text := plainText(t, m.Data)
		if a, err := mail.ParseAddress(to); err != nil || a.Address != person {
			t.Errorf("To: %q, envelope %q", to, person)
		}
		want := theirs[person]
		for _, a := range want {
			if !strings.Contains(text, a) {
				t.Errorf("%s's mail lacks their pair with %s:\n%s", person, a, text)
			}
		}
		for _, a := range all {
			if !strings.Contains(strings.Join(want, " "), a) && strings.Contains(text, a) {
				t.Errorf("%s's mail shows another's pair with %s", person, a)
			}
		}
	}
	for _, person := range []string{"m1@example.com", "m2@example.com", "m3@example.com"} {
		v, ok, err := st.Facts(store.FactsMailSent).String("2026-W47 " + person)
		if err != nil || !ok {
			t.Fatalf("no state of %s: %v", person, err)
		}
		want := map[bool]string{true: "none", false: "sent"}[person == "m3@example.com"]
		if !strings.HasPrefix(v, want+" ") {
			t.Errorf("state of %s = %q, want %s", person, v, want)
		}
	}
}

func TestPerPersonFor(t *testing.T) {
	r := orgReport(0)
	m2 := r.For("m2@example.com")
	if len(m2.Pairs) != 2 || m2.Totals.Planned != 2 || len(r.Pairs) != 4 || r.Totals != (report.Counts{}) {
		t.Errorf("For(m2) = %d pairs, totals %+v; r has %d pairs", len(m2.Pairs), m2.Totals, len(r.Pairs))
	}
	if n := len(r.For("nobody@example.com").Pairs); n != 0 {
		t.Errorf("For(nobody) has %d pairs", n)
	}
}

func TestPerPersonTransientRetried(t *testing.T) {
	srv := startServer(t, modePlain, &backend{tempReject: map[string]int{"m2@example.com": 2}})
	st := openStore(t, t.TempDir())
	p := perPersonRig(t, st, srv, orgReport(0), people("m1@example.com", "m2@example.com"))
	if err := p.SendWeek(context.Background(), report.Week{Year: 2026, Week: 47}, p.People); err != nil {
		t.Fatal(err)
	}
	got := srv.Backend.perRecipient()
	if got["m1@example.com"] != 1 || got["m2@example.com"] != 1 || len(got) != 2 {
		t.Errorf("messages per recipient = %v, want one each", got)
	}
}

func TestPerPersonPermanentGivenUp(t *testing.T) {
	srv := startServer(t, modePlain, &backend{rejectRcpt: "m2@example.com"})
	st := openStore(t, t.TempDir())
	p := perPersonRig(t, st, srv, orgReport(0), people("m1@example.com", "m2@example.com"))
	week := report.Week{Year: 2026, Week: 47}
	if err := p.SendWeek(context.Background(), week, p.People); err != nil {
		t.Fatalf("a refused recipient is logged, not returned: %v", err)
	}
	if got := srv.Backend.perRecipient(); got["m1@example.com"] != 1 || len(got) != 1 {
		t.Errorf("messages per recipient = %v", got)
	}
	// Refused is final for the week: m2 is no longer due.
	_, due, err := p.Due(p.Now())
	if err != nil || len(due) != 0 {
		t.Errorf("due after a refusal = %v, %v; want none", due, err)
	}
}

// A run whose attempts for m2 all fail leaves m2 due; the next run, after
// a restart on the same state file, sends to m2 only.
func TestPerPersonRestartSendsOnlyTheRest(t *testing.T) {
	be := &backend{tempReject: map[string]int{"m2@example.com": 3}}
	srv := startServer(t, modePlain, be)
	dir := t.TempDir()
	st := openStore(t, dir)
	ps := people("m1@example.com", "m2@example.com", "m3@example.com")
	p := perPersonRig(t, st, srv, orgReport(0), ps)
	p.Attempts = 3
	week, due, err := p.Due(p.Now())
	if err != nil || len(due) != 3 {
		t.Fatalf("due = %v, %v", due, err)
	}
	err = p.SendWeek(context.Background(), week, due)
	if err == nil || !strings.Contains(err.Error(), "m2@example.com") {
		t.Fatalf("err = %v, want m2's failure", err)
	}
	if got := srv.Backend.perRecipient(); got["m1@example.com"] != 1 || len(got) != 1 {
		t.Fatalf("after the first run: %v", got)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, dir)
	p = perPersonRig(t, st, srv, orgReport(0), ps)
	week, due, err = p.Due(p.Now())
	if err != nil || len(due) != 1 || due[0].Address != "m2@example.com" {
		t.Fatalf("due after restart = %v, %v; want m2 only", due, err)
	}
	// Even asked to send to everyone, it serves only who is not served.
	if err := p.SendWeek(context.Background(), week, ps); err != nil {
		t.Fatal(err)
	}
	got := srv.Backend.perRecipient()
	if got["m1@example.com"] != 1 || got["m2@example.com"] != 1 || len(got) != 2 {
		t.Errorf("messages per recipient = %v, want one each for m1 and m2", got)
	}
}

func TestPerPersonInFlightBounded(t *testing.T) {
	be := &backend{dataDelay: 30 * time.Millisecond}
	srv := startServer(t, modePlain, be)
	st := openStore(t, t.TempDir())
	var addrs []string
	for i := range 12 {
		addrs = append(addrs, fmt.Sprintf("m%d@example.com", 4+i))
	}
	p := perPersonRig(t, st, srv, orgReport(12), people(addrs...))
	p.InFlight = 3
	if err := p.SendWeek(context.Background(), report.Week{Year: 2026, Week: 47}, p.People); err != nil {
		t.Fatal(err)
	}
	if n := len(be.messages()); n != 12 {
		t.Fatalf("%d messages, want 12", n)
	}
	if n := be.maxInFlight(); n > 3 || n < 2 {
		t.Errorf("at most %d sends at once, want 2 to 3 (the bound)", n)
	}
}

// Each person is due at their own weekday and time.
func TestPerPersonOwnTime(t *testing.T) {
	srv := startServer(t, modePlain, &backend{})
	st := openStore(t, t.TempDir())
	p := perPersonRig(t, st, srv, orgReport(0), []email.Person{
		{Address: "m1@example.com", Weekday: time.Monday, Hour: 8},
		{Address: "m2@example.com", Weekday: time.Wednesday, Hour: 7, Minute: 30},
	})
	for _, c := range []struct {
		now  time.Time
		want int
	}{
		{time.Date(2026, 11, 23, 7, 59, 0, 0, berlin), 0},
		{time.Date(2026, 11, 24, 12, 0, 0, 0, berlin), 1},
		{time.Date(2026, 11, 25, 7, 30, 0, 0, berlin), 2},
	} {
		week, due, err := p.Due(c.now)
		if err != nil || len(due) != c.want || week.String() != "2026-W47" {
			t.Errorf("Due(%v) = %s, %v, %v; want %d due", c.now, week, due, err, c.want)
		}
	}
}

// Run sends what is due and sleeps until the next person's time; a second
// Run on the same state sends nothing again.
func TestPerPersonRunOnce(t *testing.T) {
	srv := startServer(t, modePlain, &backend{})
	st := openStore(t, t.TempDir())
	for range 2 {
		p := perPersonRig(t, st, srv, orgReport(0), people("m1@example.com", "m2@example.com"))
		ctx, cancel := context.WithCancel(context.Background())
		var slept time.Duration
		p.Sleep = func(_ context.Context, d time.Duration) error { slept = d; cancel(); return context.Canceled }
		if err := p.Run(ctx); err != nil {
			t.Fatal(err)
		}
		// Now is Monday 09:00; the next send time is next Monday 08:00,
		// beyond the hour that caps one sleep.
		if slept != time.Hour {
			t.Errorf("slept %v, want the one-hour cap", slept)
		}
	}
	if got := srv.Backend.perRecipient(); got["m1@example.com"] != 1 || got["m2@example.com"] != 1 || len(got) != 2 {
		t.Errorf("messages per recipient after two runs = %v, want one each", got)
	}
}

func TestPerPersonCheck(t *testing.T) {
	p := &email.PerPerson{People: []email.Person{{Address: "m1@example.com", Hour: 25}}, From: "x\r\nBcc: y@example.com"}
	err := p.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "m1@example.com") || !strings.Contains(err.Error(), "no Send") {
		t.Errorf("err = %v", err)
	}
}
