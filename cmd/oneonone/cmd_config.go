package main

import (
	"context"
	"errors"
	"fmt"

	"oneonone/config"
)

// cmdConfig is "config check": it prints every problem of the config, by key.
func cmdConfig(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError{`want "config check"`}
	}
	fs := newFlags(e, "config check", "[--config PATH]")
	cfgPath := fs.String("config", "", "config file")
	if err := fs.parse(args[1:], false); err != nil {
		return err
	}
	path := config.ResolvePath(*cfgPath)
	cfg, err := config.Load(path)
	if err != nil {
		var problems interface{ Unwrap() []error }
		if errors.As(err, &problems) && len(problems.Unwrap()) > 1 {
			for _, p := range problems.Unwrap() {
				fmt.Fprintf(e.stderr, "%s: %s\n", path, p)
			}
			return fmt.Errorf("%s: %d problems", path, len(problems.Unwrap()))
		}
		return err
	}
	fmt.Fprintf(e.stdout, "%s: ok (%d sources, timezone %s)\n", path, len(cfg.Sources), cfg.Timezone)
	return nil
}
