package main

import (
	"log/slog"
	"time"

	"oneonone/config"
	"oneonone/nudge"
)

// notifyDeliverers returns a deliverer per notification target that gets
// nudges (none until [[notify]] exists).
func notifyDeliverers(cfg *config.Config, log *slog.Logger) []nudge.Deliverer { return nil }

// lateNotice is report.late_notice.
func lateNotice(cfg *config.Config) time.Duration { return cfg.Report.LateNotice.Duration }
