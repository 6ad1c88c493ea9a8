package main

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"oneonone/config"
	"oneonone/notify"
	"oneonone/nudge"
	"oneonone/report"
	"oneonone/report/email"
	"oneonone/store"
	"oneonone/sync"
	"oneonone/wayback"
)

// nudger looks for ways back after skipped 1:1s and fires the nudges after
// the cycles that succeed, in the background and one run at a time:
// neither a slow free/busy answer, a slow mail server nor a failing target
// delays a sync (docs/DESIGN.md, "Nudges", "A way back").
type nudger struct {
	cfg    *config.Config
	st     *store.Store
	finder *wayback.Finder    // nil with report.way_back off or no source that tells busy time
	runner *nudge.Runner      // nil when nudges go nowhere
	notify *notify.Dispatcher // nil without targets
	kick   chan struct{}
	log    *slog.Logger
}

// newNudger returns the nudger of a config over its sources, nil when no
// nudge has anywhere to go and no way back is looked for.
func newNudger(cfg *config.Config, st *store.Store, sources []sync.NamedSource, log *slog.Logger) (*nudger, error) {
	n := &nudger{cfg: cfg, st: st, kick: make(chan struct{}, 1), log: log, finder: newFinder(cfg, st, sources, log)}
	var deliver []nudge.Deliverer
	if ec := cfg.Report.Email; cfg.Nudges.Email && (ec.Enabled() || ec.PerPerson) {
		sender, err := mailSender(ec)
		if err != nil {
			return nil, err
		}
		deliver = append(deliver, func(ctx context.Context, nu report.Nudge) error {
			to := nudgeRecipients(cfg, nu)
			if len(to) == 0 {
				return nil
			}
			msg, err := email.ComposeNudge(nu, ec.From, to, time.Now())
			if err != nil {
				return err
			}
			return sender.Send(ctx, ec.From, to, msg)
		})
	}
	d, err := newNotifier(cfg, cfg.Nudges.Notify, true, log)
	if err != nil {
		return nil, err
	}
	if d != nil {
		n.notify = d
		deliver = append(deliver, notifyDeliverer(d))
	}
	if len(deliver) == 0 {
		if n.finder == nil {
			return nil, nil
		}
		return n, nil
	}
	n.runner = &nudge.Runner{
		Rules: report.NudgeRules{
			Overdue: cfg.Nudges.Overdue, TwoSkips: cfg.Nudges.TwoSkips, LateCancel: cfg.Nudges.LateCancel,
			LateNotice: lateNotice(cfg),
		},
		Store: st, Deliver: deliver, Log: log,
	}
	return n, nil
}

// nudgeRecipients are the addresses a nudge is mailed to: report.email.to;
// with per_person, the pair's person of identity.me (whose report it is);
// with nudges.email_counterpart, the counterpart too. Each once.
func nudgeRecipients(cfg *config.Config, nu report.Nudge) []string {
	var to []string
	add := func(a string) {
		if a != "" && !slices.ContainsFunc(to, func(b string) bool { return strings.EqualFold(a, b) }) {
			to = append(to, a)
		}
	}
	for _, a := range cfg.Report.Email.To {
		add(a)
	}
	if cfg.Report.Email.PerPerson {
		add(nu.Me)
	}
	if cfg.Nudges.EmailCounterpart {
		add(nu.Counterpart)
	}
	return to
}

// Cycle asks for a run after a cycle that succeeded; one asked for while
// one is pending is the same run.
func (n *nudger) Cycle(sum sync.Summary, _ time.Duration) {
	if sum.Err != nil {
		return
	}
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Run fires the nudges each time a cycle asks, until ctx ends; then it
// gives the targets a few seconds to take what is queued.
func (n *nudger) Run(ctx context.Context) {
	defer func() {
		if n.notify != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := n.notify.Close(cctx); err != nil {
				n.log.Warn("notifications left undelivered at shutdown", slog.String("error", err.Error()))
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.kick:
		}
		n.once(ctx)
	}
}

// once looks for ways back, then fires the nudges, once.
func (n *nudger) once(ctx context.Context) {
	in, err := reportInput(n.cfg, n.st, time.Now())
	if err == nil && n.finder != nil {
		var found map[string]report.WayBack
		found, _, err = n.finder.Run(ctx, in)
		if err != nil && ctx.Err() == nil {
			n.log.Warn("way back", slog.String("error", err.Error()))
		}
		in.WayBacks, err = found, nil
	}
	if err == nil && n.runner != nil {
		_, err = n.runner.Run(ctx, in)
	}
	if err != nil && ctx.Err() == nil {
		n.log.Warn("nudges", slog.String("error", err.Error()))
	}
}

// newFinder returns the way-back finder over the sources that tell busy
// time, nil with report.way_back off or none.
func newFinder(cfg *config.Config, st *store.Store, sources []sync.NamedSource, log *slog.Logger) *wayback.Finder {
	if !cfg.Report.WayBack {
		return nil
	}
	askers := map[string]wayback.Asker{}
	for _, s := range sources {
		if a, ok := s.Source.(wayback.Asker); ok {
			askers[s.Name] = a
		}
	}
	if len(askers) == 0 {
		return nil
	}
	return &wayback.Finder{Store: st, Sources: askers, Hours: cfg.WorkingHours(), Location: cfg.Location(), Log: log}
}

// observers chains observers: each hears every cycle, in order.
type observers []sync.Observer

func (o observers) Cycle(sum sync.Summary, took time.Duration) {
	for _, x := range o {
		x.Cycle(sum, took)
	}
}

// findWaysBack looks for the ways back once, as of now, after a one-shot
// sync (oneonone sync, the demo): the report read next shows them. What
// fails is logged; the sync has succeeded.
func findWaysBack(ctx context.Context, cfg *config.Config, st *store.Store, sources []sync.NamedSource, now time.Time, log *slog.Logger) {
	f := newFinder(cfg, st, sources, log)
	if f == nil {
		return
	}
	f.Now = func() time.Time { return now }
	in, err := reportInput(cfg, st, now)
	if err == nil {
		_, _, err = f.Run(ctx, in)
	}
	if err != nil {
		log.Warn("way back", slog.String("error", err.Error()))
	}
}
