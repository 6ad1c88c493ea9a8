package main

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"time"

	"oneonone/config"
	"oneonone/notify"
	"oneonone/nudge"
	"oneonone/report"
)

// newNotifier starts the delivery to the [[notify]] targets that get
// nudges (nudges.notify, all when empty); nil when there are none.
func newNotifier(cfg *config.Config, log *slog.Logger) (*notify.Dispatcher, error) {
	var targets []notify.Target
	for i := range cfg.Notify {
		n := &cfg.Notify[i]
		if len(cfg.Nudges.Notify) > 0 && !slices.Contains(cfg.Nudges.Notify, n.Name) {
			continue
		}
		url, err := n.URL()
		if err != nil {
			return nil, err
		}
		secret, err := n.Secret()
		if err != nil {
			return nil, err
		}
		token, err := n.Token()
		if err != nil {
			return nil, err
		}
		if host := n.InClear(); host != "" {
			log.Warn("notification target in clear", slog.String("target", n.Name), slog.String("host", host),
				slog.String("to fix", "use an https:// url and drop insecure = true"))
		}
		targets = append(targets, notify.Target{Name: n.Name, Kind: n.Kind, URL: url, Secret: secret, Token: token, Room: n.Room})
	}
	if len(targets) == 0 {
		return nil, nil
	}
	return notify.New(targets, notify.Options{Logger: log})
}

// notifyDeliverer hands a nudge to the targets: queued, so it never fails
// and never waits (the dispatcher retries and counts what it drops).
func notifyDeliverer(d *notify.Dispatcher) nudge.Deliverer {
	return func(_ context.Context, n report.Nudge) error {
		d.Send(notify.Message{
			Kind: "nudge." + n.Kind, Title: "1:1 with " + cmp.Or(n.Name, n.Counterpart), Text: n.Text, Markdown: n.Text,
			Pair: n.Pair.String(), Occurrence: n.Slot, ID: n.ID,
		})
		return nil
	}
}

// lateNotice is report.late_notice.
func lateNotice(cfg *config.Config) time.Duration { return cfg.Report.LateNotice.Duration }
