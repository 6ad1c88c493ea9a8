package main

import (
	"bytes"
	"cmp"
	"context"
	"log/slog"
	"slices"
	"time"

	"oneonone/config"
	"oneonone/notify"
	"oneonone/nudge"
	"oneonone/report"
	"oneonone/report/email"
	"oneonone/store"
	"oneonone/sync"
)

// newNotifier starts the delivery to the [[notify]] targets named, or to
// all of them when names is empty and all is true; nil when there are none.
func newNotifier(cfg *config.Config, names []string, all bool, log *slog.Logger) (*notify.Dispatcher, error) {
	var targets []notify.Target
	for i := range cfg.Notify {
		n := &cfg.Notify[i]
		if !(all && len(names) == 0) && !slices.Contains(names, n.Name) {
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
		text := n.Text
		if n.WayBack != "" {
			text += "\nWay back: " + n.WayBack + " (a suggestion; nothing is booked)"
		}
		d.Send(notify.Message{
			Kind: "nudge." + n.Kind, Title: "1:1 with " + cmp.Or(n.Name, n.Counterpart), Text: text, Markdown: text,
			Pair: n.Pair.String(), Occurrence: n.Slot, ID: n.ID,
		})
		return nil
	}
}

// newReportNotifier schedules the weekly report to report.notify's
// targets, at report.email's weekday and time, once a week as the mail
// is; nil without targets.
func newReportNotifier(cfg *config.Config, st *store.Store, d *sync.Daemon, log *slog.Logger) (*email.Scheduler, *notify.Dispatcher, error) {
	if len(cfg.Report.Notify) == 0 {
		return nil, nil, nil
	}
	targets, err := newNotifier(cfg, cfg.Report.Notify, false, log)
	if err != nil || targets == nil {
		return nil, nil, err
	}
	day, hour, minute := cfg.Report.Email.Schedule()
	return &email.Scheduler{
		Facts: st.Facts(store.FactsReportNotify), Weekday: day, Hour: hour, Minute: minute, Location: cfg.Location(),
		Build: weeklyReport(cfg, st, d),
		Report: func(_ context.Context, r *report.Report) error {
			var text, md bytes.Buffer
			if err := r.WriteText(&text); err != nil {
				return err
			}
			if err := r.WriteMarkdown(&md); err != nil {
				return err
			}
			targets.Send(notify.Message{Kind: "report.weekly", Title: email.Subject(r), Text: text.String(), Markdown: md.String(), ID: "report " + r.Week.String()})
			return nil
		},
		Log: log,
	}, targets, nil
}

// lateNotice is report.late_notice.
func lateNotice(cfg *config.Config) time.Duration { return cfg.Report.LateNotice.Duration }
