package main

import (
	"context"
	"log/slog"
	"time"

	"oneonone/config"
	"oneonone/notify"
	"oneonone/nudge"
	"oneonone/report"
	"oneonone/report/email"
	"oneonone/store"
	"oneonone/sync"
)

// nudger fires the nudges after the cycles that succeed, in the background
// and one run at a time: neither a slow mail server nor a failing target
// delays a sync (docs/DESIGN.md, "Nudges").
type nudger struct {
	cfg    *config.Config
	st     *store.Store
	runner *nudge.Runner
	notify *notify.Dispatcher // nil without targets
	kick   chan struct{}
	log    *slog.Logger
}

// newNudger returns the nudger of a config, nil when no nudge has anywhere
// to go.
func newNudger(cfg *config.Config, st *store.Store, log *slog.Logger) (*nudger, error) {
	n := &nudger{cfg: cfg, st: st, kick: make(chan struct{}, 1), log: log}
	var deliver []nudge.Deliverer
	if ec := cfg.Report.Email; cfg.Nudges.Email && ec.Enabled() {
		sender, err := mailSender(ec)
		if err != nil {
			return nil, err
		}
		deliver = append(deliver, func(ctx context.Context, nu report.Nudge) error {
			to := ec.To
			if cfg.Nudges.EmailCounterpart && nu.Counterpart != "" {
				to = append(append([]string(nil), ec.To...), nu.Counterpart)
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
		return nil, nil
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
		in, err := reportInput(n.cfg, n.st, time.Now())
		if err == nil {
			_, err = n.runner.Run(ctx, in)
		}
		if err != nil && ctx.Err() == nil {
			n.log.Warn("nudges", slog.String("error", err.Error()))
		}
	}
}

// observers chains observers: each hears every cycle, in order.
type observers []sync.Observer

func (o observers) Cycle(sum sync.Summary, took time.Duration) {
	for _, x := range o {
		x.Cycle(sum, took)
	}
}
