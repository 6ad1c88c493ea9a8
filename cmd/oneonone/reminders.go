package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"oneonone/calendar"
	"oneonone/config"
	"oneonone/notify"
	"oneonone/remind"
	"oneonone/report/email"
	"oneonone/store"
	"oneonone/sync"
)

// reminderMaxSleep is the longest the reminder loop sleeps without a
// cycle: a guard against a wall clock that jumped (a suspended laptop, a
// corrected clock), since a timer counts monotonic time.
const reminderMaxSleep = time.Hour

// reminders sends the reminder before each 1:1 (agenda.reminder): after
// every cycle and, between cycles, at the time the next one is due, in a
// goroutine of its own, one run at a time (docs/DESIGN.md, "Reminders").
type reminders struct {
	runner *remind.Runner
	in     remind.Input
	notify *notify.Dispatcher // nil without targets
	// mail sends a composed reminder; nil without [report.email].
	mail  func(ctx context.Context, from string, to []string, msg []byte) error
	kick  chan struct{}
	log   *slog.Logger
	now   func() time.Time                     // time.Now
	after func(time.Duration) <-chan time.Time // time.After
}

// newReminders returns the reminders of a config, nil with
// agenda.reminder 0 or nowhere to send them: by mail when [report.email]
// is configured (to report.email.to and the counterpart), and to the
// [[notify]] targets nudges.notify names (all when empty).
func newReminders(cfg *config.Config, st *store.Store, log *slog.Logger) (*reminders, error) {
	lead := cfg.Agenda.Reminder.Duration
	if lead <= 0 {
		return nil, nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &reminders{kick: make(chan struct{}, 1), log: log, now: time.Now, after: time.After}
	var deliver []remind.Deliverer
	if ec := cfg.Report.Email; ec.Enabled() {
		sender, err := mailSender(ec)
		if err != nil {
			return nil, err
		}
		r.mail = sender.Send
		deliver = append(deliver, remind.Deliverer{Name: "mail", Send: func(ctx context.Context, rm remind.Reminder) error {
			to := reminderRecipients(ec.To, rm.Counterpart)
			msg, err := email.ComposeReminder(rm, ec.From, to, r.now())
			if err != nil {
				return err
			}
			return r.mail(ctx, ec.From, to, msg)
		}})
	}
	d, err := newNotifier(cfg, cfg.Nudges.Notify, true, log)
	if err != nil {
		return nil, err
	}
	if d != nil {
		r.notify = d
		deliver = append(deliver, remind.Deliverer{Name: "notify", Send: func(_ context.Context, rm remind.Reminder) error {
			text := strings.Join(rm.Lines(), "\n")
			d.Send(notify.Message{Kind: "reminder", Title: rm.Subject(), Text: text, Markdown: text,
				Pair: rm.Pair.String(), Occurrence: rm.Slot, URL: rm.Link, ID: "reminder " + rm.ID})
			return nil
		}})
	}
	if len(deliver) == 0 {
		return nil, nil
	}
	r.runner = &remind.Runner{Store: st, Lead: lead, Deliver: deliver, Now: func() time.Time { return r.now() }, Log: log}
	r.in = remind.Input{
		Location: cfg.Location(),
		Link: func(s calendar.Series) (string, error) {
			return pairLink(cfg, st, s)
		},
		Points:  pairPoints(cfg, st),
		Actions: pairActions(cfg, st),
	}
	return r, nil
}

// reminderRecipients is the user's addresses then the counterpart's, once
// each.
func reminderRecipients(to []string, counterpart string) []string {
	out := append([]string(nil), to...)
	if counterpart == "" {
		return out
	}
	for _, a := range to {
		if strings.EqualFold(strings.TrimSpace(a), counterpart) {
			return out
		}
	}
	return append(out, counterpart)
}

// Cycle asks for a run after every cycle, whatever its result (what is
// stored is as fresh as it gets); one asked for while one is pending is
// the same run.
func (r *reminders) Cycle(sync.Summary, time.Duration) {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run sends the reminders due after each cycle and at each due time until
// ctx ends; the first run is after the first cycle, so that a reminder
// goes out on a history the sources had a chance to refresh. Then it gives
// the targets a few seconds to take what is queued.
func (r *reminders) Run(ctx context.Context) {
	defer func() {
		if r.notify != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := r.notify.Close(cctx); err != nil {
				r.log.Warn("reminders left undelivered at shutdown", slog.String("error", err.Error()))
			}
		}
	}()
	var wake <-chan time.Time // nil until the first cycle
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-wake:
		}
		next := r.once(ctx)
		wait := reminderMaxSleep
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(r.now()), 0))
		}
		wake = r.after(wait)
	}
}

// once sends the reminders due and returns when the next one is due.
func (r *reminders) once(ctx context.Context) time.Time {
	_, next, err := r.runner.Run(ctx, r.in)
	if err != nil && ctx.Err() == nil {
		r.log.Warn("reminders", slog.String("error", err.Error()))
	}
	return next
}
