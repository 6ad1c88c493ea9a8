package email

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"oneonone/report"
)

// Facts is where the Scheduler remembers which weeks it mailed, by week:
// the store's facts of namespace store.FactsEmailReport satisfy it. String
// returns ok false for a key never set.
type Facts interface {
	String(key string) (value string, ok bool, err error)
	PutString(key, value string) error
}

// States of a week's mailing, kept under factKey(week) as "<state> <RFC 3339
// time>".
const (
	stateSending = "sending" // set just before delivery
	stateSent    = "sent"    // set after the server accepted the message
	stateFailed  = "failed"  // the delivery failed for sure: the week is due again
)

// backoff is the wait after the n-th failed attempt (n from 1) within a
// week: 1m, 5m, 15m, 30m, then every hour.
var backoff = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

// maxSleep caps one sleep of Run, so that a wall clock that jumps (a laptop
// that slept, a corrected clock) delays a mailing by an hour at most.
const maxSleep = time.Hour

// Scheduler mails the report of the last full ISO week once a week, at
// Weekday Hour:Minute in Location.
//
// A week is mailed at most once, across restarts too: before delivery the
// week is marked "sending" in Facts, after it "sent" (key "2026-W47"). A week found "sending" (the daemon stopped
// mid-delivery, or the server did not acknowledge the final dot) is not sent
// again, with a warning: a missing weekly mail is better than a duplicate
// one, and the report stays on the web face. A delivery that failed for
// sure (the server refused, or it never got the whole message) is retried
// with backoff while the week is the last full one.
//
// A daemon that was down at the send time mails when it starts, if it is
// still the same ISO week; older weeks are never mailed late.
type Scheduler struct {
	Facts        Facts
	Weekday      time.Weekday
	Hour, Minute int
	Location     *time.Location // nil means UTC
	// Build makes the report of week.
	Build func(ctx context.Context, week report.Week) (*report.Report, error)
	// Deliver sends a message made by Compose from From to To; a
	// Sender's Send, typically. An error that matches ErrMaybeDelivered
	// is not retried.
	Deliver func(ctx context.Context, msg []byte) error
	From    string
	To      []string
	// Report, when set, is given the week's report instead of a mail
	// being composed and delivered (the weekly report to notification
	// targets): From, To and Deliver are then not used. The same once
	// per week holds.
	Report func(ctx context.Context, r *report.Report) error
	// Message, when set, makes the week's whole message instead of Build
	// and Compose (the roll-up: ComposeRollup), with its subject for the
	// log; it is delivered to To as the report would be.
	Message func(ctx context.Context, week report.Week, now time.Time) (msg []byte, subject string, err error)
	// What names the mail in log lines and errors; "" is "report mail".
	What  string
	Now   func() time.Time                                 // nil = time.Now
	Sleep func(ctx context.Context, d time.Duration) error // nil = a timer bound to ctx
	Log   *slog.Logger                                     // nil = no logs
}

// factKey is the key of week's state in Facts.
func factKey(w report.Week) string { return w.String() }

func (s *Scheduler) loc() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

func (s *Scheduler) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Scheduler) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Scheduler) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sendTime returns the send time within week w: its Weekday at
// Hour:Minute, wall clock in Location (so 08:00 stays 08:00 across a
// daylight saving change; a time that a change skips is normalised by
// time.Date, 02:30 becoming 03:30).
func (s *Scheduler) sendTime(w report.Week) time.Time {
	monday, _ := w.Range(s.loc())
	offset := (int(s.Weekday) + 6) % 7 // days since Monday
	y, m, d := monday.Date()
	return time.Date(y, m, d+offset, s.Hour, s.Minute, 0, 0, s.loc())
}

// Next returns the first send time after now.
func (s *Scheduler) Next(now time.Time) time.Time {
	w := report.WeekOf(now, s.loc())
	if t := s.sendTime(w); t.After(now) {
		return t
	}
	return s.sendTime(w.Add(1))
}

// Due reports whether a mailing is due at now, and of which week: the send
// time of now's week has passed and the last full week has not been mailed
// (nor marked as being mailed). The week is returned even when not due.
func (s *Scheduler) Due(now time.Time) (report.Week, bool, error) {
	cur := report.WeekOf(now, s.loc())
	week := cur.Add(-1)
	if now.Before(s.sendTime(cur)) {
		return week, false, nil
	}
	state, _, err := s.state(week)
	if err != nil {
		return week, false, err
	}
	return week, state == "" || state == stateFailed, nil
}

// state returns the recorded state of week's mailing ("" when none) and
// its time.
func (s *Scheduler) state(w report.Week) (string, string, error) {
	v, ok, err := s.Facts.String(factKey(w))
	if err != nil || !ok {
		return "", "", err
	}
	state, at, _ := strings.Cut(v, " ")
	return state, at, nil
}

func (s *Scheduler) setState(w report.Week, state string, now time.Time) error {
	return s.Facts.PutString(factKey(w), state+" "+now.UTC().Format(time.RFC3339))
}

// check reports what is missing for Run.
func (s *Scheduler) check() error {
	var errs []error
	if s.Facts == nil {
		errs = append(errs, errors.New("no Facts"))
	}
	if s.Build == nil && s.Message == nil {
		errs = append(errs, errors.New("no Build"))
	}
	if s.Deliver == nil && (s.Report == nil || s.Message != nil) {
		errs = append(errs, errors.New("no Deliver"))
	}
	if err := s.checkTime(); err != nil {
		errs = append(errs, err)
	}
	if s.Report == nil || s.Message != nil {
		if _, err := parseAddress(s.From); err != nil {
			errs = append(errs, fmt.Errorf("from: %w", err))
		}
		if _, err := parseAddresses(s.To); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s schedule: %w", cmp.Or(s.What, "report mail"), err)
	}
	return nil
}

// checkTime reports a weekday or time out of range.
func (s *Scheduler) checkTime() error {
	if s.Weekday < time.Sunday || s.Weekday > time.Saturday {
		return fmt.Errorf("weekday %d out of range", s.Weekday)
	}
	if s.Hour < 0 || s.Hour > 23 || s.Minute < 0 || s.Minute > 59 {
		return fmt.Errorf("time %02d:%02d out of range", s.Hour, s.Minute)
	}
	return nil
}

// Run mails the reports until ctx ends, and then returns nil. It returns
// an error only when the Scheduler is not usable (a missing func, a bad
// address). Failures are logged and retried with backoff (1m, 5m, 15m,
// 30m, then hourly) while the week is the last full one; they never end
// Run.
func (s *Scheduler) Run(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	log := s.log()
	s.warnUnfinished()
	var (
		failed     int         // failed attempts for failedWeek
		failedWeek report.Week // the week they were for
	)
	for {
		now := s.now()
		week, due, err := s.Due(now)
		wait := s.Next(now).Sub(now)
		if err == nil && due {
			err = s.send(ctx, week, now)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if week != failedWeek {
				failed, failedWeek = 0, week
			}
			failed++
			retry := backoff[min(failed, len(backoff))-1]
			log.Error("report mail failed", slog.String("week", week.String()),
				slog.Int("attempt", failed), slog.Duration("retry_in", min(retry, wait)),
				slog.String("error", err.Error()))
			wait = min(retry, wait)
		}
		if err := s.sleep(ctx, min(wait, maxSleep)); err != nil || ctx.Err() != nil {
			return nil
		}
	}
}

// warnUnfinished warns when the last full week was left "sending" by an
// earlier run: it will not be sent again.
func (s *Scheduler) warnUnfinished() {
	week := report.LastFullWeek(s.now(), s.loc())
	state, at, err := s.state(week)
	if err == nil && state == stateSending {
		s.log().Warn("report mail may not have gone out: an earlier run stopped while sending it; not sending it again (at most once)",
			slog.String("week", week.String()), slog.String("since", at))
	}
}

// send builds, composes and delivers the report of week. The week is
// marked "sending" before delivery and "sent" after; a delivery that failed
// for sure marks it "failed" (due again); one that may have reached the
// server leaves it "sending" and returns nil.
func (s *Scheduler) send(ctx context.Context, week report.Week, now time.Time) error {
	log := s.log().With(slog.String("week", week.String()))
	what := cmp.Or(s.What, "report mail")
	var deliver func() error
	var subject string
	switch {
	case s.Message != nil:
		msg, subj, err := s.Message(ctx, week, now)
		if err != nil {
			return fmt.Errorf("build %s %s: %w", what, week, err)
		}
		subject, deliver = subj, func() error { return s.Deliver(ctx, msg) }
	default:
		r, err := s.Build(ctx, week)
		if err != nil {
			return fmt.Errorf("build report %s: %w", week, err)
		}
		subject, deliver = Subject(r), func() error { return s.Report(ctx, r) }
		if s.Report == nil {
			msg, err := Compose(r, s.From, s.To, now)
			if err != nil {
				return err
			}
			deliver = func() error { return s.Deliver(ctx, msg) }
		}
	}
	if err := s.setState(week, stateSending, now); err != nil {
		// Without the mark, a crash could send twice: do not deliver.
		return fmt.Errorf("mark %s %s as sending: %w", what, week, err)
	}
	err := deliver()
	switch {
	case err == nil:
	case errors.Is(err, ErrMaybeDelivered):
		log.Warn(what+" may or may not have been delivered; not sending it again (at most once)",
			slog.String("error", err.Error()))
		return nil
	default:
		if serr := s.setState(week, stateFailed, s.now()); serr != nil {
			// The week stays "sending", so it is not retried: at most once.
			return fmt.Errorf("%w; and mark %s %s as failed: %w", err, what, week, serr)
		}
		return err
	}
	if err := s.setState(week, stateSent, s.now()); err != nil {
		// Delivered; the "sending" mark keeps it from going out again.
		log.Error(what+" sent but not recorded as sent", slog.String("error", err.Error()))
	}
	if s.Report != nil && s.Message == nil {
		log.Info("weekly report handed to the notification targets", slog.String("subject", subject))
		return nil
	}
	log.Info(what+" sent", slog.Int("recipients", len(s.To)), slog.String("subject", subject))
	return nil
}
