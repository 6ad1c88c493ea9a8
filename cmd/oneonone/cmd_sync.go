package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"oneonone/agenda"
	"oneonone/sync"
)

// cmdSync runs one full cycle over all sources and prints a line per source.
func cmdSync(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sync", "[--config PATH] [--dry-run]")
	cfgPath := fs.String("config", "", "config file")
	dryRun := fs.Bool("dry-run", false, "show the agenda blocks that would be written, write none")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	cfg, st, err := openState(e, *cfgPath, readWrite)
	if err != nil {
		return err
	}
	defer st.Close()
	log, restore := useLogger(cfg, e.stderr)
	defer restore()
	warnConfig(log, cfg, *cfgPath)
	sources, err := buildSources(ctx, cfg, log)
	if err != nil {
		return err
	}
	eng, err := newEngine(cfg, st, sources, log)
	if err != nil {
		return err
	}
	if *dryRun {
		eng.DryRun = true
		eng.Plan = func(p sync.Planned) { printPlan(e.stdout, p, cfg.Location()) }
	}
	sums, err := eng.SyncAll(ctx)
	for _, s := range sums {
		fmt.Fprintln(e.stdout, s.String())
	}
	if err != nil {
		return fmt.Errorf("%d of %d sources failed (see above)", failed(sums), len(sums))
	}
	return nil
}

func failed(sums []sync.Summary) int {
	n := 0
	for _, s := range sums {
		if s.Err != nil {
			n++
		}
	}
	return n
}

// printPlan shows one write a dry run would make: the event and its block.
func printPlan(w io.Writer, p sync.Planned, loc *time.Location) {
	what := "series"
	if p.Override {
		what = "occurrence"
	}
	fmt.Fprintf(w, "would write %s: %q %s %s (%s)\n", p.Source, p.Title, what, p.Start.In(loc).Format("Mon 2 Jan 2006 15:04"), p.Href)
	block, ok := agenda.Extract(p.New)
	if !ok {
		block = p.New
	}
	for _, line := range strings.Split(block, "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
}
