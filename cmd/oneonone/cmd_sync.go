package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"oneonone/agenda"
	"oneonone/calendar/caldav"
	"oneonone/calendar/google"
	"oneonone/config"
	"oneonone/sync"
	"oneonone/web"
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
	if inUse(cfg, err) {
		warnConfig(cfg.NewLogger(e.stderr), cfg, *cfgPath)
		return daemonSync(ctx, e, cfg, *dryRun)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	// No daemon: this process syncs, with the secrets it reads itself.
	if err := cfg.CheckSecrets(); err != nil {
		return err
	}
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
	// The summary lines are sync's payload: stdout. Why a source failed
	// goes to stderr, a line each.
	for _, s := range sums {
		fmt.Fprintln(e.stdout, summaryLine(s))
	}
	if err != nil {
		return syncFailures(e, cfg, sums)
	}
	if !*dryRun {
		findWaysBack(ctx, cfg, st, sources, time.Now(), log)
	}
	return nil
}

// daemonSync asks the running daemon for a cycle of every source now
// (POST /api/sync, with dry_run=1 for --dry-run) and prints its plan and
// summaries as a cycle of our own would.
func daemonSync(ctx context.Context, e *env, cfg *config.Config, dryRun bool) error {
	var got []web.SyncSummary
	if dryRun {
		var dry struct {
			Summaries []web.SyncSummary
			Planned   []sync.Planned
		}
		if err := newDaemonClient(cfg).sendJSON(ctx, http.MethodPost, "/api/sync?dry_run=1", nil, &dry); err != nil {
			return err
		}
		for _, p := range dry.Planned {
			printPlan(e.stdout, p, cfg.Location())
		}
		got = dry.Summaries
	} else if err := newDaemonClient(cfg).sendJSON(ctx, http.MethodPost, "/api/sync", nil, &got); err != nil {
		return err
	}
	var sums []sync.Summary
	failed := false
	for _, g := range got {
		s := g.Summary(dryRun)
		if g.Error != "" {
			// The daemon explained it with its config (explainFailures).
			s.Err, failed = &explainedError{detail: oneLine(g.Error)}, true
		}
		sums = append(sums, s)
		fmt.Fprintln(e.stdout, summaryLine(s))
	}
	if failed {
		return syncFailures(e, cfg, sums)
	}
	return nil
}

// summaryLine is a source's summary line; a failed one points to stderr.
func summaryLine(s sync.Summary) string {
	line := s.String()
	if s.Err != nil {
		line += ": see stderr"
	}
	return line
}

// syncFailures reports each failed source on stderr in one line,
// "oneonone CMD: SOURCE: SERVER: CAUSE[: HINT]", and returns an error that
// makes the command exit 1. The error is the last source's line, which
// run prints with the same prefix, so every failed source gets exactly
// one line and there is no other.
func syncFailures(e *env, cfg *config.Config, sums []sync.Summary) error {
	var lines []string
	for _, s := range sums {
		if s.Err != nil {
			lines = append(lines, failureLine(cfg, s))
		}
	}
	if len(lines) == 0 {
		return errors.New("sync failed")
	}
	for _, l := range lines[:len(lines)-1] {
		fmt.Fprintf(e.stderr, "oneonone %s: %s\n", e.name, l)
	}
	return errors.New(lines[len(lines)-1])
}

// failureLine names the source, the server it talked to and the cause of
// a failed cycle; for a refusal of the credentials (401, 403) it adds the
// config key that holds them.
func failureLine(cfg *config.Config, s sync.Summary) string {
	var ee *explainedError
	if errors.As(s.Err, &ee) {
		return s.Source + ": " + ee.detail
	}
	sc, _ := cfg.SourceOf(s.Source)
	server, cause, code := "", oneLine(s.Err.Error()), 0
	if sc != nil {
		server = redactedURL(sc.URL)
		if sc.Kind == config.KindGoogle {
			server = "Google Calendar API"
			if sc.Endpoint != "" {
				server = redactedURL(sc.Endpoint)
			}
		}
	}
	var de *caldav.StatusError
	var ge *google.Error
	switch {
	case errors.As(s.Err, &de) && !de.Withheld && (de.Code == http.StatusUnauthorized || de.Code == http.StatusForbidden):
		server, cause, code = de.URL, de.Status, de.Code
		if de.Code == http.StatusUnauthorized {
			cause += " for user " + de.User
		}
	case errors.As(s.Err, &ge) && (ge.Code == http.StatusUnauthorized || ge.Code == http.StatusForbidden):
		cause, code = oneLine(ge.Error()), ge.Code
	}
	line := s.Source
	if server != "" {
		line += ": " + server
	}
	line += ": " + cause
	if hint := credentialHint(sc, code); hint != "" {
		line += ": " + hint
	}
	return line
}

// explainedError is a failed source's error told as failureLine tells it,
// without the source's name: the server, the cause and the hint. The
// daemon answers POST /api/sync with it (explainFailures), so that sync
// through the daemon prints the line a sync of its own would.
type explainedError struct {
	detail string
	err    error
}

func (e *explainedError) Error() string { return e.detail }
func (e *explainedError) Unwrap() error { return e.err }

// explainFailures returns sums with each failed source's error explained
// (explainedError) by cfg, the daemon's config: the summaries of
// POST /api/sync.
func explainFailures(cfg *config.Config, sums []sync.Summary) []sync.Summary {
	out := slices.Clone(sums)
	for i, s := range out {
		if s.Err != nil {
			out[i].Err = &explainedError{detail: strings.TrimPrefix(failureLine(cfg, s), s.Source+": "), err: s.Err}
		}
	}
	return out
}

// credentialHint names the config key to check when the server refused the
// credentials (code 401 or 403); "" otherwise.
func credentialHint(sc *config.Source, code int) string {
	if sc == nil || code != http.StatusUnauthorized && code != http.StatusForbidden {
		return ""
	}
	switch {
	case sc.Kind == config.KindGoogle && sc.ServiceAccount != "":
		return fmt.Sprintf("check service_account %s and subject", sc.ServiceAccount)
	case sc.Kind == config.KindGoogle:
		return fmt.Sprintf("run \"oneonone auth google --source %s\"", sc.Name)
	case code == http.StatusForbidden:
		return fmt.Sprintf("check username %s: the account may not read this calendar", sc.Username)
	case sc.Username == "":
		return "set username and password_env or password_file"
	case sc.PasswordEnv != "":
		return "check password_env " + sc.PasswordEnv
	case sc.PasswordFile != "":
		return "check password_file " + sc.PasswordFile
	}
	return "check username " + sc.Username
}

// redactedURL is u without its user information.
func redactedURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(the configured url)"
	}
	p.User = nil
	return p.String()
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
