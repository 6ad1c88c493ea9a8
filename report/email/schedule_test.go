package email_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oneonone/report"
	"oneonone/report/email"
	"oneonone/store"
)

// openStore opens a real state file in dir; it is closed with the test.
func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// clock is a fake clock: Sleep moves it on at once, and ends the run (by
// cancelling its context) when it reaches until.
type clock struct {
	t      *testing.T
	now    time.Time
	until  time.Time
	cancel context.CancelFunc
	sleeps int
}

func (c *clock) Now() time.Time { return c.now }

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		c.t.Fatalf("Sleep(%v) at %v: a busy loop", d, c.now)
	}
	if c.sleeps++; c.sleeps > 100_000 {
		c.t.Fatalf("more than %d sleeps", c.sleeps-1)
	}
	if c.now.Add(d).After(c.until) {
		c.now = c.until
		c.cancel()
		return ctx.Err()
	}
	c.now = c.now.Add(d)
	return nil
}

// delivery is one call of Deliver.
type delivery struct {
	At      time.Time // on the fake clock
	Subject string
	State   string // the week's fact in the store during the call
}

// rig is a Scheduler on a fake clock over a real store.
type rig struct {
	*email.Scheduler
	clock      *clock
	deliveries []delivery
	fail       func(n int, subject string) error // the n-th call (from 1) fails with this when not nil
	logs       bytes.Buffer
}

func newRig(t *testing.T, st *store.Store, start string) *rig {
	r := &rig{clock: &clock{t: t, now: at(start)}}
	r.Scheduler = &email.Scheduler{
		Facts:    st.Facts(store.FactsEmailReport),
		Weekday:  time.Monday,
		Hour:     8,
		Location: berlin,
		Build: func(ctx context.Context, week report.Week) (*report.Report, error) {
			in := teamInput()
			in.Week, in.Now = week, r.clock.now
			return report.Build(in), nil
		},
		Deliver: func(ctx context.Context, msg []byte) error {
			p := parse(t, msg)
			week := strings.Fields(p.Subject)[2]
			fact, _, err := st.Facts(store.FactsEmailReport).String(week)
			if err != nil {
				t.Fatal(err)
			}
			state, _, _ := strings.Cut(fact, " ")
			r.deliveries = append(r.deliveries, delivery{At: r.clock.now, Subject: p.Subject, State: state})
			if r.fail != nil {
				return r.fail(len(r.deliveries), p.Subject)
			}
			return nil
		},
		From:  "oneonone@example.org",
		To:    []string{me},
		Now:   r.clock.Now,
		Sleep: r.clock.Sleep,
	}
	r.Log = slog.New(slog.NewTextHandler(&r.logs, nil))
	return r
}

// run runs the scheduler until the fake clock reaches until.
func (r *rig) run(t *testing.T, until string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.clock.until, r.clock.cancel = at(until), cancel
	if err := r.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// sent returns the deliveries as "week at local time".
func (r *rig) sent() []string {
	var out []string
	for _, d := range r.deliveries {
		out = append(out, strings.Fields(d.Subject)[2]+" at "+d.At.In(berlin).Format("Mon 2006-01-02 15:04 MST"))
	}
	return out
}

func checkSent(t *testing.T, r *rig, want ...string) {
	t.Helper()
	got := r.sent()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("deliveries:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func checkFact(t *testing.T, st *store.Store, week, wantState string) {
	t.Helper()
	v, ok, err := st.Facts(store.FactsEmailReport).String(week)
	if err != nil {
		t.Fatal(err)
	}
	if state, _, _ := strings.Cut(v, " "); !ok || state != wantState {
		t.Errorf("fact of %s = %q (set %v), want state %q", week, v, ok, wantState)
	}
}

// Three weeks, one mail each at 08:00 Berlin time, across both daylight
// saving changes of 2026; delivered through the in-process SMTP server.
func TestSchedulerWeeklyAcrossDST(t *testing.T) {
	for _, tc := range []struct {
		name, start, until string
		want               []string
		wantUTC            []int // hour in UTC of each send
	}{
		{
			name: "spring forward 2026-03-29", start: "2026-03-23 06:00", until: "2026-04-12 23:00",
			want: []string{
				"2026-W12 at Mon 2026-03-23 08:00 CET",
				"2026-W13 at Mon 2026-03-30 08:00 CEST",
				"2026-W14 at Mon 2026-04-06 08:00 CEST",
			},
			wantUTC: []int{7, 6, 6},
		},
		{
			name: "fall back 2026-10-25", start: "2026-10-19 06:00", until: "2026-11-08 23:00",
			want: []string{
				"2026-W42 at Mon 2026-10-19 08:00 CEST",
				"2026-W43 at Mon 2026-10-26 08:00 CET",
				"2026-W44 at Mon 2026-11-02 08:00 CET",
			},
			wantUTC: []int{6, 7, 7},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, t.TempDir())
			srv := startServer(t, modeStartTLS, &backend{requireAuth: true})
			sender := email.Sender{Addr: srv.Addr, Username: testUser, Password: testPassword, TLSConfig: srv.Client, Timeout: 10 * time.Second}
			r := newRig(t, st, tc.start)
			recordAndDeliver := r.Deliver
			r.Deliver = func(ctx context.Context, msg []byte) error {
				if err := recordAndDeliver(ctx, msg); err != nil {
					return err
				}
				return sender.Send(ctx, r.From, r.To, msg)
			}
			r.run(t, tc.until)

			checkSent(t, r, tc.want...)
			for i, d := range r.deliveries {
				if i < len(tc.wantUTC) && d.At.UTC().Hour() != tc.wantUTC[i] {
					t.Errorf("delivery %d at %v UTC, want %02d:00 UTC", i, d.At.UTC(), tc.wantUTC[i])
				}
				if d.State != "sending" {
					t.Errorf("delivery %d: the week was %q during delivery, want it marked sending first", i, d.State)
				}
				checkFact(t, st, strings.Fields(d.Subject)[2], "sent")
			}
			msgs := srv.Backend.messages()
			if len(msgs) != len(tc.want) {
				t.Fatalf("the SMTP server got %d messages, want %d", len(msgs), len(tc.want))
			}
			for i, m := range msgs {
				p := parse(t, m.Data)
				if week := strings.Fields(tc.want[i])[0]; !strings.HasPrefix(p.Subject, "1:1 report "+week) {
					t.Errorf("message %d: Subject %q, want week %s", i, p.Subject, week)
				}
				if d, err := p.Header.Date(); err != nil || !d.Equal(r.deliveries[i].At) {
					t.Errorf("message %d: Date %v (%v), want %v", i, d, err, r.deliveries[i].At)
				}
			}
		})
	}
}

// A restart after the week's mail went out, on the same state file, sends
// nothing more that week.
func TestSchedulerRestartDoesNotResend(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	first := newRig(t, st, "2026-11-23 07:00")
	first.run(t, "2026-11-23 09:00")
	checkSent(t, first, "2026-W47 at Mon 2026-11-23 08:00 CET")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, dir) // the daemon starts again
	checkFact(t, st, "2026-W47", "sent")
	second := newRig(t, st, "2026-11-23 09:30")
	second.run(t, "2026-11-29 23:00")
	checkSent(t, second)
}

// A daemon that was down at the send time mails when it starts, in the
// same week; one that comes back weeks later mails the last full week
// only.
func TestSchedulerCatchesUp(t *testing.T) {
	t.Run("later the same week", func(t *testing.T) {
		st := openStore(t, t.TempDir())
		r := newRig(t, st, "2026-11-25 15:20") // a Wednesday
		r.run(t, "2026-11-29 23:00")
		checkSent(t, r, "2026-W47 at Wed 2026-11-25 15:20 CET")
	})
	t.Run("weeks later", func(t *testing.T) {
		st := openStore(t, t.TempDir())
		r := newRig(t, st, "2026-11-09 07:00")
		r.run(t, "2026-11-09 09:00")
		checkSent(t, r, "2026-W45 at Mon 2026-11-09 08:00 CET")

		// Down from Monday 09:00 of W46 until Thursday of W48.
		r = newRig(t, st, "2026-11-26 11:00")
		r.run(t, "2026-12-06 23:00")
		checkSent(t, r,
			"2026-W47 at Thu 2026-11-26 11:00 CET",
			"2026-W48 at Mon 2026-11-30 08:00 CET",
		)
		v, ok, err := st.Facts(store.FactsEmailReport).String("2026-W46")
		if err != nil || ok {
			t.Errorf("2026-W46 was mailed late: %q, %v", v, err)
		}
	})
	t.Run("not before the send time", func(t *testing.T) {
		st := openStore(t, t.TempDir())
		r := newRig(t, st, "2026-11-23 07:59")
		r.Weekday = time.Tuesday
		r.run(t, "2026-11-24 07:59")
		checkSent(t, r)
	})
}

// A failed delivery is retried with backoff, and the week is mailed once.
func TestSchedulerRetries(t *testing.T) {
	st := openStore(t, t.TempDir())
	r := newRig(t, st, "2026-11-23 07:00")
	r.fail = func(n int, _ string) error {
		if n <= 3 {
			return fmt.Errorf("send mail via smtp.example.com:587: MAIL FROM: server replied 451 4.3.0 try again later")
		}
		return nil
	}
	r.run(t, "2026-11-29 23:00")
	checkSent(t, r,
		"2026-W47 at Mon 2026-11-23 08:00 CET",
		"2026-W47 at Mon 2026-11-23 08:01 CET",
		"2026-W47 at Mon 2026-11-23 08:06 CET",
		"2026-W47 at Mon 2026-11-23 08:21 CET",
	)
	for i, d := range r.deliveries {
		if d.State != "sending" {
			t.Errorf("attempt %d: the week was %q during delivery, want sending", i+1, d.State)
		}
	}
	checkFact(t, st, "2026-W47", "sent")
	if n := strings.Count(r.logs.String(), "report mail failed"); n != 3 {
		t.Errorf("%d failures logged, want 3:\n%s", n, r.logs.String())
	}
	if !strings.Contains(r.logs.String(), "451 4.3.0 try again later") {
		t.Errorf("the log lacks the server's reply:\n%s", r.logs.String())
	}
}

// A week that cannot be delivered is retried (hourly at most) until the
// next week's send time, then given up for the next week.
func TestSchedulerGivesUpAtTheNextWeek(t *testing.T) {
	st := openStore(t, t.TempDir())
	r := newRig(t, st, "2026-11-23 07:00")
	r.fail = func(_ int, subject string) error {
		if strings.Contains(subject, "2026-W47") {
			return errors.New("connection refused")
		}
		return nil
	}
	r.run(t, "2026-12-06 23:00")
	var w47, w48 []delivery
	for _, d := range r.deliveries {
		if strings.Contains(d.Subject, "2026-W47") {
			w47 = append(w47, d)
		} else {
			w48 = append(w48, d)
		}
	}
	if len(w47) < 10 {
		t.Errorf("2026-W47 was tried %d times, want it retried all week", len(w47))
	}
	for i := 1; i < len(w47); i++ {
		if gap := w47[i].At.Sub(w47[i-1].At); gap > time.Hour {
			t.Errorf("retry %d came %v after the one before, want at most 1h", i, gap)
		}
	}
	if last := w47[len(w47)-1].At; !last.Before(at("2026-11-30 08:00")) {
		t.Errorf("2026-W47 still tried at %v", last)
	}
	if len(w48) != 1 || !w48[0].At.Equal(at("2026-11-30 08:00")) {
		t.Errorf("2026-W48 deliveries = %v, want one at Mon 2026-11-30 08:00", w48)
	}
	checkFact(t, st, "2026-W47", "failed")
	checkFact(t, st, "2026-W48", "sent")
}

// A crash between "sending" and "sent" leaves the week marked sending: it
// is not sent again (at most once), and the daemon says so.
func TestSchedulerCrashMidDelivery(t *testing.T) {
	st := openStore(t, t.TempDir())
	// What a daemon killed inside Deliver leaves behind.
	if err := st.Facts(store.FactsEmailReport).PutString("2026-W47", "sending 2026-11-23T07:00:00Z"); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, st, "2026-11-23 08:05")
	r.run(t, "2026-11-29 23:00")
	checkSent(t, r)
	checkFact(t, st, "2026-W47", "sending")
	if logs := r.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "not sending it again") ||
		!strings.Contains(logs, "week=2026-W47") {
		t.Errorf("no warning about the unfinished mailing:\n%s", logs)
	}
}

// A delivery that may have reached the server is not retried.
func TestSchedulerMaybeDeliveredNotRetried(t *testing.T) {
	st := openStore(t, t.TempDir())
	r := newRig(t, st, "2026-11-23 07:00")
	r.fail = func(int, string) error {
		return fmt.Errorf("send mail via x:587: DATA: read: connection reset (%w)", email.ErrMaybeDelivered)
	}
	r.run(t, "2026-11-29 23:00")
	checkSent(t, r, "2026-W47 at Mon 2026-11-23 08:00 CET")
	checkFact(t, st, "2026-W47", "sending")
	if !strings.Contains(r.logs.String(), "level=WARN") {
		t.Errorf("no warning:\n%s", r.logs.String())
	}
}

// A Build that fails does not mark the week, and is retried.
func TestSchedulerBuildFailure(t *testing.T) {
	st := openStore(t, t.TempDir())
	r := newRig(t, st, "2026-11-23 07:00")
	build, calls := r.Build, 0
	r.Build = func(ctx context.Context, w report.Week) (*report.Report, error) {
		if calls++; calls == 1 {
			return nil, errors.New("store is busy")
		}
		return build(ctx, w)
	}
	r.run(t, "2026-11-29 23:00")
	checkSent(t, r, "2026-W47 at Mon 2026-11-23 08:01 CET")
	checkFact(t, st, "2026-W47", "sent")
}

func TestSchedulerRunEndsWithContext(t *testing.T) {
	st := openStore(t, t.TempDir())
	s := &email.Scheduler{
		Facts: st.Facts(store.FactsEmailReport), Weekday: time.Monday, Hour: 8, Location: berlin,
		Build:   func(context.Context, report.Week) (*report.Report, error) { return nil, errors.New("unused") },
		Deliver: func(context.Context, []byte) error { return nil },
		From:    "oneonone@example.org", To: []string{me},
		Now: func() time.Time { return at("2026-11-23 07:00") }, // real Sleep: a timer
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestSchedulerRunRejectsBadSetup(t *testing.T) {
	st := openStore(t, t.TempDir())
	s := &email.Scheduler{Facts: st.Facts(store.FactsEmailReport), Hour: 25, From: "x\r\nBcc: y@example.com", To: nil}
	err := s.Run(context.Background())
	if err == nil {
		t.Fatal("Run accepted a Scheduler without Build, Deliver, recipients and with hour 25")
	}
	for _, want := range []string{"no Build", "no Deliver", "25:00", "from", "no recipients"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestSchedulerNext(t *testing.T) {
	s := &email.Scheduler{Weekday: time.Monday, Hour: 8, Location: berlin}
	for _, tc := range []struct {
		now, want string
	}{
		{"2026-11-23 07:59", "2026-11-23 08:00"},
		{"2026-11-23 08:00", "2026-11-30 08:00"}, // strictly after now
		{"2026-11-25 12:00", "2026-11-30 08:00"},
		{"2026-11-29 23:59", "2026-11-30 08:00"},
		{"2026-03-24 09:00", "2026-03-30 08:00"}, // CET → CEST
		{"2026-10-20 09:00", "2026-10-26 08:00"}, // CEST → CET
		{"2026-12-29 09:00", "2027-01-04 08:00"}, // 2026 has 53 ISO weeks
	} {
		if got := s.Next(at(tc.now)); !got.Equal(at(tc.want)) {
			t.Errorf("Next(%s) = %v, want %s", tc.now, got.In(berlin), tc.want)
		}
	}
	sunday := &email.Scheduler{Weekday: time.Sunday, Hour: 18, Minute: 30, Location: berlin}
	if got, want := sunday.Next(at("2026-11-23 08:00")), at("2026-11-29 18:30"); !got.Equal(want) {
		t.Errorf("Sunday: Next = %v, want %v", got, want)
	}
}

func TestSchedulerDue(t *testing.T) {
	for _, tc := range []struct {
		name, now, fact string
		week            string
		due             bool
	}{
		{"before the send time", "2026-11-23 07:59", "", "2026-W47", false},
		{"at the send time", "2026-11-23 08:00", "", "2026-W47", true},
		{"later in the week", "2026-11-29 23:59", "", "2026-W47", true},
		{"already sent", "2026-11-24 10:00", "sent 2026-11-23T07:00:00Z", "2026-W47", false},
		{"crashed while sending", "2026-11-24 10:00", "sending 2026-11-23T07:00:00Z", "2026-W47", false},
		{"failed before", "2026-11-24 10:00", "failed 2026-11-23T07:00:00Z", "2026-W47", true},
		{"year boundary", "2027-01-04 08:00", "", "2026-W53", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, t.TempDir())
			s := &email.Scheduler{Facts: st.Facts(store.FactsEmailReport), Weekday: time.Monday, Hour: 8, Location: berlin}
			if tc.fact != "" {
				if err := st.Facts(store.FactsEmailReport).PutString(tc.week, tc.fact); err != nil {
					t.Fatal(err)
				}
			}
			week, due, err := s.Due(at(tc.now))
			if err != nil {
				t.Fatal(err)
			}
			if week.String() != tc.week || due != tc.due {
				t.Errorf("Due(%s) = %s, %v; want %s, %v", tc.now, week, due, tc.week, tc.due)
			}
		})
	}
}

// With Report set the week's report goes there instead of a mail, once a
// week, across a restart too, and no address is needed.
func TestSchedulerReportHook(t *testing.T) {
	st := openStore(t, t.TempDir())
	var weeks []string
	mk := func() *rig {
		r := newRig(t, st, "2026-11-30 07:00")
		r.Facts = st.Facts("notify.report")
		r.Deliver, r.From, r.To = nil, "", nil
		r.Report = func(_ context.Context, rep *report.Report) error {
			weeks = append(weeks, rep.Week.String())
			return nil
		}
		return r
	}
	r := mk()
	r.run(t, "2026-12-08 09:00")
	r = mk()
	r.clock.now = at("2026-12-08 09:30")
	r.run(t, "2026-12-08 10:00")
	if strings.Join(weeks, " ") != "2026-W48 2026-W49" {
		t.Fatalf("reports handed over: %v", weeks)
	}
}
