package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"oneonone/agenda"
	"oneonone/config"
	"oneonone/report"
	"oneonone/store"
	"oneonone/sync"
)

// cmdReport prints the weekly report.
func cmdReport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", "[--config PATH] [--week 2026-W47] [--rollup] [--format text|markdown|html|json]")
	cfgPath := fs.String("config", "", "config file")
	rollup := fs.Bool("rollup", false, "the roll-up: figures per person of identity.me, who is slipping most first (no agenda or action content)")
	week := fs.String("week", "", "ISO week (default: the last full week in the config's timezone)")
	format := fs.format("text", "markdown", "html", "json")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	var w report.Week
	if *week != "" {
		var err error
		if w, err = report.ParseWeek(*week); err != nil {
			return usageError{"--week: " + err.Error()}
		}
	}
	cfg, st, err := openState(e, *cfgPath, readOnly)
	if inUse(cfg, err) {
		// The daemon holds the file: it renders the report.
		warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
		q := url.Values{"format": {*format}}
		if *week != "" {
			q.Set("week", w.String())
		}
		path := "/api/report?"
		if *rollup {
			path = "/api/rollup?"
		}
		return daemonCopy(ctx, e, cfg, path+q.Encode())
	}
	if err != nil {
		return err
	}
	defer st.Close()
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	if states, err := st.CalendarStates(""); err != nil {
		return err
	} else if len(states) == 0 {
		// An empty report would say "No 1:1s this week": not true, just
		// not known yet. The text says so instead; the other formats keep
		// their shape and the note goes to stderr.
		if *format == "text" {
			fmt.Fprintln(e.stdout, neverSynced)
			return nil
		}
		fmt.Fprintf(e.stderr, "oneonone %s: warning: %s\n", e.name, neverSynced)
	}
	if *rollup {
		r, err := rollupOf(ctx, cfg, st, time.Now(), w, nil)
		if err != nil {
			return err
		}
		return report.WriteRollup(e.stdout, r, *format)
	}
	// The week is set before the load: the load reads its window.
	in, err := reportInputOf(cfg, st, time.Now(), w)
	if err != nil {
		return err
	}
	return report.Write(e.stdout, report.Build(in), *format)
}

// neverSynced is what report says of a state no sync has filled.
const neverSynced = `no sync has run yet: run "oneonone sync" or start "oneonone run"`

// cmdSeries prints the recognised series and their metrics.
func cmdSeries(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "series", "[--config PATH] [--format text|json]")
	cfgPath := fs.String("config", "", "config file")
	format := fs.format("text", "json")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	cfg, st, err := openState(e, *cfgPath, readOnly)
	if inUse(cfg, err) {
		warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
		return daemonCopy(ctx, e, cfg, "/api/series?"+url.Values{"format": {*format}}.Encode())
	}
	if err != nil {
		return err
	}
	defer st.Close()
	warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
	in, err := reportInput(cfg, st, time.Now())
	if err != nil {
		return err
	}
	sums := report.Summaries(in)
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sums)
	}
	return report.WriteSummariesText(e.stdout, sums)
}

// reportInput reads what a report needs from the store: last full week,
// with each pair's open actions counted (a document that cannot be read
// counts its stored actions only; sync reports the document), and the
// configured sources that are stale by their stored last success
// (sync.StoredStatus, sync.IsStale with the config's interval).
func reportInput(cfg *config.Config, st *store.Store, now time.Time) (report.Input, error) {
	return reportInputOf(cfg, st, now, report.Week{})
}

// reportInputOf is reportInput for the report of week (zero: the last full
// week): report.Load reads the trailing window that ends with it.
func reportInputOf(cfg *config.Config, st *store.Store, now time.Time, week report.Week) (report.Input, error) {
	in, err := reportBase(cfg, st, now, week)
	if err != nil {
		return report.Input{}, err
	}
	return report.Load(context.Background(), in, st, agenda.CountOpen(pairActions(cfg, st)))
}

// reportBase is what reportInputOf knows before reading the history: the
// week (zero: the last full week), the window, me and the stale sources.
func reportBase(cfg *config.Config, st *store.Store, now time.Time, week report.Week) (report.Input, error) {
	loc := cfg.Location()
	if week.IsZero() {
		week = report.LastFullWeek(now, loc)
	}
	in := report.Input{Week: week, Location: loc, Now: now, TrailingWeeks: cfg.Report.Weeks,
		LateNotice: cfg.Report.LateNotice.Duration, Me: cfg.Me()}
	var statuses []sync.SourceStatus
	for _, name := range cfg.SourceNames() {
		s, err := sync.StoredStatus(st, name)
		if err != nil {
			return report.Input{}, err
		}
		statuses = append(statuses, s)
	}
	in.Stale = sync.StaleSources(statuses, func(s sync.SourceStatus) bool { return sync.IsStale(s, cfg.Interval.Duration, now) })
	return in, nil
}

// daemonCopy prints the daemon's answer to GET path as it is: the report
// or the series, rendered by the daemon with the functions above.
func daemonCopy(ctx context.Context, e *env, cfg *config.Config, path string) error {
	b, err := newDaemonClient(cfg).do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(b)
	return err
}
