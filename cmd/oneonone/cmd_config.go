package main

import (
	"context"
	"errors"
	"fmt"

	"oneonone/calendar/caldav"
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
	for _, w := range cfg.Warnings(path) {
		fmt.Fprintf(e.stderr, "%s: warning: %s\n", path, w)
	}
	if problems := caldavProblems(cfg); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(e.stderr, "%s: %s\n", path, p)
		}
		return fmt.Errorf("%s: %d problems", path, len(problems))
	}
	fmt.Fprintf(e.stdout, "%s: ok (%d sources, timezone %s)\n", path, len(cfg.Sources), cfg.Timezone)
	return nil
}

// caldavProblems runs, for each CalDAV source, the checks that sync's
// caldav.New runs (no request, no password read), so that "config check"
// and "sync" agree, for instance about a calendar URL on another host: one
// in the server's domain over HTTPS is taken, another is refused.
func caldavProblems(cfg *config.Config) []error {
	var out []error
	for i := range cfg.Sources {
		sc := &cfg.Sources[i]
		if sc.Kind != "caldav" {
			continue
		}
		if _, err := caldav.New(caldav.Options{URL: sc.URL, Username: sc.Username, Calendars: sc.Calendars}); err != nil {
			out = append(out, fmt.Errorf("source[%d] (%s): %w", i, sc.Name, err))
		}
	}
	return out
}
