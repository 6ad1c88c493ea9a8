package main

import (
	"context"
	"encoding/json"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/config"
	"oneonone/report"
	"oneonone/store"
)

// cmdReport prints the weekly report.
func cmdReport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", "[--config PATH] [--week 2026-W47] [--format text|markdown|html|json]")
	cfgPath := fs.String("config", "", "config file")
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
	cfg, st, err := openState(*cfgPath)
	if err != nil {
		return err
	}
	defer st.Close()
	in, err := reportInput(cfg, st, time.Now())
	if err != nil {
		return err
	}
	if *week != "" {
		in.Week = w
	}
	return report.Write(e.stdout, report.Build(in), *format)
}

// cmdSeries prints the recognised series and their metrics.
func cmdSeries(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "series", "[--config PATH] [--format text|json]")
	cfgPath := fs.String("config", "", "config file")
	format := fs.format("text", "json")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	cfg, st, err := openState(*cfgPath)
	if err != nil {
		return err
	}
	defer st.Close()
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

// reportInput reads what a report needs from the store.
func reportInput(cfg *config.Config, st *store.Store, now time.Time) (report.Input, error) {
	series, err := st.Series()
	if err != nil {
		return report.Input{}, err
	}
	occ, err := st.AllOccurrences()
	if err != nil {
		return report.Input{}, err
	}
	open, err := openActionCounts(cfg, st, series)
	if err != nil {
		return report.Input{}, err
	}
	loc := cfg.Location()
	return report.Input{
		OpenActions:   open,
		Week:          report.LastFullWeek(now, loc),
		Location:      loc,
		Now:           now,
		TrailingWeeks: cfg.Report.Weeks,
		Series:        series,
		Occurrences:   occ,
	}, nil
}

// openActionCounts counts each pair's open actions: the stored ones and the
// open items of its agenda document (a document that cannot be read counts
// as none; sync reports it).
func openActionCounts(cfg *config.Config, st *store.Store, series []calendar.Series) (map[calendar.Pair]int, error) {
	acts := agenda.Actions{Store: st, Docs: agenda.DocReader{Credentials: docCredentials(cfg)}}
	out := map[calendar.Pair]int{}
	seen := map[calendar.Pair]bool{}
	for _, s := range series {
		if seen[s.Pair] {
			continue
		}
		seen[s.Pair] = true
		pc, _ := cfg.Pair(s.Counterpart)
		open, err := acts.Open(context.Background(), s.Pair, pc.Doc)
		if err != nil && open == nil {
			return nil, err
		}
		out[s.Pair] = len(open)
	}
	return out, nil
}
