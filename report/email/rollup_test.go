package email_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"oneonone/report"
	"oneonone/report/email"
	"oneonone/store"
)

// The roll-up goes out once a week beside the report, each remembered in
// its own namespace (a restart sends neither again), and its mail shows
// figures only: no counterpart and no title of any pair.
func TestRollupMailOnceAWeek(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	in := teamInput()
	var secrets []string
	for _, s := range in.Series {
		secrets = append(secrets, s.Counterpart, s.Title)
	}
	var got []string
	newRollup := func(st *store.Store, c *clock) *email.Scheduler {
		return &email.Scheduler{
			Facts: st.Facts(store.FactsEmailRollup), Weekday: time.Monday, Hour: 8, Location: berlin,
			What: "roll-up mail",
			Message: func(ctx context.Context, week report.Week, now time.Time) ([]byte, string, error) {
				in := teamInput()
				in.Week, in.Now, in.Me = week, now, []string{me}
				r := report.BuildRollup(in)
				msg, err := email.ComposeRollup(r, "oneonone@example.org", []string{"ops@example.org"}, now)
				return msg, email.RollupSubject(r), err
			},
			Deliver: func(ctx context.Context, msg []byte) error {
				p := parse(t, msg)
				if to := p.Header.Get("To"); to != "<ops@example.org>" {
					t.Errorf("roll-up mailed to %q", to)
				}
				for _, s := range secrets {
					if s != "" && (strings.Contains(p.Parts["text/plain; charset=utf-8"], s) || strings.Contains(p.Parts["text/html; charset=utf-8"], s)) {
						t.Errorf("the roll-up mail shows %q", s)
					}
				}
				if text := p.Parts["text/plain; charset=utf-8"]; !strings.Contains(text, me) {
					t.Errorf("the roll-up mail does not name %s:\n%s", me, text)
				}
				got = append(got, p.Subject)
				return nil
			},
			From: "oneonone@example.org", To: []string{"ops@example.org"},
			Now: c.Now, Sleep: c.Sleep,
		}
	}
	run := func(s *email.Scheduler, c *clock, until string) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c.until, c.cancel = at(until), cancel
		if err := s.Run(ctx); err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	c := &clock{t: t, now: at("2026-11-23 07:00")}
	weekly := newRig(t, st, "2026-11-23 07:00")
	run(newRollup(st, c), c, "2026-11-23 09:00")
	weekly.run(t, "2026-11-23 09:00")
	if len(got) != 1 || !strings.HasPrefix(got[0], "1:1 roll-up 2026-W47 (16–22 Nov 2026): ") {
		t.Fatalf("roll-up mails %q, want one of 2026-W47", got)
	}
	checkSent(t, weekly, "2026-W47 at Mon 2026-11-23 08:00 CET")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openStore(t, dir) // the daemon starts again
	c = &clock{t: t, now: at("2026-11-23 09:30")}
	run(newRollup(st, c), c, "2026-11-30 09:00")
	if len(got) != 2 || !strings.HasPrefix(got[1], "1:1 roll-up 2026-W48") {
		t.Errorf("after the restart, roll-up mails %q, want W47's once and then W48's", got)
	}
}
