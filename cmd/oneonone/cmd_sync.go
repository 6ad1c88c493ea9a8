package main

import (
	"context"
	"fmt"
	"os"

	"oneonone/store"
	"oneonone/sync"
)

// cmdSync runs one full cycle over all sources and prints a line per source.
func cmdSync(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sync", "[--config PATH]")
	cfgPath := fs.String("config", "", "config file")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	sources, err := buildSources(cfg)
	if err != nil {
		return err
	}
	st, err := store.Open(cfg.State)
	if err != nil {
		return err
	}
	defer st.Close()
	eng, err := newEngine(cfg, st, sources, newLogger(cfg, os.Stderr))
	if err != nil {
		return err
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
