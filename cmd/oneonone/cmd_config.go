package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"oneonone/calendar/caldav"
	"oneonone/config"
)

// onlineTimeout bounds the log-in and calendar listing of one source in
// "config check --online".
const onlineTimeout = 60 * time.Second

// cmdConfig is "config check": it prints every problem of the config in
// one pass, one line each, "FILE: key: what is wrong" (unknown keys, values
// of the wrong type, what Validate finds in the rest, the files the config
// names that cannot be read, the CalDAV URLs sync would refuse), then the
// warnings, and fails when there is any problem. With --online it also
// logs in to each source and lists the calendars it would watch.
func cmdConfig(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError{`want "config check"`}
	}
	fs := newFlags(e, "config check", "[--config PATH] [--online]")
	cfgPath := fs.String("config", "", "config file")
	online := fs.Bool("online", false, "also log in to each source and list the calendars it would watch")
	if err := fs.parse(args[1:], false); err != nil {
		return err
	}
	path := config.ResolvePath(*cfgPath)
	cfg, problems := config.Check(path)
	if cfg != nil {
		problems = append(problems, caldavProblems(cfg, problems)...)
	}
	for _, p := range problems {
		fmt.Fprintln(e.stderr, problemLine(path, p))
	}
	if cfg != nil {
		for _, w := range cfg.Warnings(path) {
			fmt.Fprintf(e.stderr, "%s: warning: %s\n", path, w)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %s", path, plural(len(problems), "problem"))
	}
	if *online {
		if n := checkOnline(ctx, e.stdout, e.stderr, path, cfg); n > 0 {
			return fmt.Errorf("%s: %s", path, plural(n, "source")+" could not be reached")
		}
	}
	fmt.Fprintf(e.stdout, "%s: ok (%s, timezone %s)\n", path, plural(len(cfg.Sources), "source"), cfg.Timezone)
	return nil
}

// problemLine is one problem as "FILE: key: what is wrong"; a syntax error
// ("FILE:3:7: …") and a file that cannot be opened already name the file.
func problemLine(path string, err error) string {
	var fe *config.FieldError
	if msg := err.Error(); !errors.As(err, &fe) && strings.HasPrefix(msg, path+":") {
		return msg
	}
	return path + ": " + err.Error()
}

// plural is "1 source", "2 sources".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// caldavProblems runs, for each CalDAV source without a problem already,
// the checks that sync's caldav.New runs (no request, no password read), so
// that "config check" and "sync" agree, for instance about a calendar URL
// on another host: one in the server's domain over HTTPS is taken, another
// is refused.
func caldavProblems(cfg *config.Config, found []error) []error {
	bad := make(map[string]bool)
	for _, err := range found {
		var fe *config.FieldError
		if errors.As(err, &fe) {
			src, _, _ := strings.Cut(fe.Key, ".")
			bad[src] = true
		}
	}
	var out []error
	for i := range cfg.Sources {
		sc := &cfg.Sources[i]
		prefix := fmt.Sprintf("source[%d]", i)
		if sc.Kind != config.KindCalDAV || bad[prefix] {
			continue
		}
		if _, err := caldav.New(caldav.Options{URL: sc.URL, Username: sc.Username}); err != nil {
			out = append(out, &config.FieldError{Key: prefix + ".url", Msg: err.Error()})
		} else if _, err := caldav.New(caldav.Options{URL: sc.URL, Username: sc.Username, Calendars: sc.Calendars}); err != nil {
			out = append(out, &config.FieldError{Key: prefix + ".calendars", Msg: err.Error()})
		}
	}
	return out
}

// checkOnline builds each source as sync does, logs in and lists the
// calendars it would watch: "FILE: source[0] (team): 2 calendars" on out,
// then one indented line per calendar; a source that fails is a line
// "FILE: source[0] (team): …" on errw. It returns how many failed.
func checkOnline(ctx context.Context, out, errw io.Writer, path string, cfg *config.Config) int {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	failed := 0
	for i := range cfg.Sources {
		sc := cfg.Sources[i]
		label := fmt.Sprintf("source[%d] (%s)", i, sc.Name)
		one := *cfg
		one.Sources = []config.Source{sc}
		cctx, cancel := context.WithTimeout(ctx, onlineTimeout)
		sources, err := buildSources(cctx, &one, log)
		if err != nil {
			cancel()
			fmt.Fprintf(errw, "%s: %s: %s\n", path, label, oneLine(err.Error()))
			failed++
			continue
		}
		// A source of many subjects or accounts is one line each.
		for _, ns := range sources {
			label := label
			if sc.Many() {
				label = fmt.Sprintf("source[%d] (%s)", i, ns.Name)
			}
			cals, err := ns.Source.Calendars(cctx)
			if err != nil {
				fmt.Fprintf(errw, "%s: %s: list calendars: %s\n", path, label, oneLine(err.Error()))
				failed++
				continue
			}
			fmt.Fprintf(out, "%s: %s: %s\n", path, label, plural(len(cals), "calendar"))
			for _, c := range cals {
				if c.Name != "" && c.Name != c.ID {
					fmt.Fprintf(out, "  %s (%s)\n", c.ID, c.Name)
				} else {
					fmt.Fprintf(out, "  %s\n", c.ID)
				}
			}
		}
		cancel()
	}
	return failed
}
