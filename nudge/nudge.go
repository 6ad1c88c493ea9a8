// Package nudge fires the nudges of report.Nudges as they happen, each
// once: what has fired is remembered in the store (docs/DESIGN.md,
// "Nudges").
package nudge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"oneonone/report"
	"oneonone/store"
)

// Deliverer hands one nudge to a way of telling someone: a mail, a
// notification target. An error means it did not go out; the nudge is
// tried again at the next run.
type Deliverer func(ctx context.Context, n report.Nudge) error

// Runner fires nudges.
type Runner struct {
	Rules   report.NudgeRules
	Store   *store.Store
	Deliver []Deliverer
	Now     func() time.Time // nil: time.Now
	Log     *slog.Logger     // nil: discarded
}

func (r *Runner) facts() store.Facts { return r.Store.Facts(store.FactsNudges) }

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Run fires, through every deliverer, each nudge in calls for that has
// not fired yet, and remembers it when at least one deliverer took it. It
// returns the nudges fired.
func (r *Runner) Run(ctx context.Context, in report.Input) ([]report.Nudge, error) {
	if len(r.Deliver) == 0 {
		return nil, nil
	}
	var fired []report.Nudge
	var errs []error
	for _, n := range report.Nudges(in, r.Rules) {
		if _, done, err := r.facts().Time(n.ID); err != nil {
			return fired, fmt.Errorf("nudges: %w", err)
		} else if done {
			continue
		}
		took := false
		for _, d := range r.Deliver {
			if err := d(ctx, n); err != nil {
				errs = append(errs, fmt.Errorf("nudge %s: %w", n.Kind, err))
				continue
			}
			took = true
		}
		if !took {
			continue
		}
		now := time.Now()
		if r.Now != nil {
			now = r.Now()
		}
		if err := r.facts().PutTime(n.ID, now); err != nil {
			return fired, fmt.Errorf("nudges: %w", err)
		}
		r.log().Info("nudge fired", slog.String("kind", n.Kind), slog.String("pair", n.Pair.String()))
		fired = append(fired, n)
	}
	return fired, errors.Join(errs...)
}
