package main

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/report"
)

// cmdHistory prints every known occurrence of the pair with --with, one
// row each (report.PairHistory: the rows of the web face's history.csv).
func cmdHistory(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "history", "--with EMAIL [--config PATH] [--format text|json|csv]")
	cfgPath := fs.String("config", "", "config file")
	with := fs.String("with", "", "the counterpart's address (required)")
	format := fs.format("text", "json", "csv")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	cfg, st, err := openState(e, *cfgPath, readOnly)
	if inUse(cfg, err) {
		// The daemon holds the file: it builds the same rows.
		return daemonCopy(ctx, e, cfg, "/api/history?"+url.Values{"with": {*with}, "format": {*format}}.Encode())
	}
	if err != nil {
		return err
	}
	defer st.Close()
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	if _, err := agenda.PairWith(cfg.Me(), *with); err != nil {
		return actionUsageError(err, actionArgs)
	}
	in := report.Input{Location: cfg.Location(), Now: time.Now(), TrailingWeeks: cfg.Report.Weeks,
		LateNotice: cfg.Report.LateNotice.Duration, Me: cfg.Me()}
	if in, err = report.LoadAll(ctx, in, st, nil); err != nil {
		return err
	}
	rows, ok := report.PairHistoryWith(in, cfg.Me(), *with)
	if !ok {
		return fmt.Errorf("no 1:1 series with %s", calendar.NormalizeEmail(*with))
	}
	return report.WriteHistory(e.stdout, rows, *format)
}
