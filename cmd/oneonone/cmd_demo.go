package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"oneonone/config"
	"oneonone/internal/demo"
	"oneonone/report"
	"oneonone/store"
	"oneonone/sync"
	"oneonone/web"
)

// demoPasswordEnv carries the embedded server's password to the CalDAV
// source the way a real config does (password_env), inside this process only.
const demoPasswordEnv = "ONEONONE_DEMO_PASSWORD"

// cmdDemo seeds an embedded CalDAV server with a team, syncs it through the
// real CalDAV client into a fresh store, and prints last week's report (and,
// in text, one stored block) on stdout; everything else goes to stderr.
func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "[--once] [--format text|markdown|html|json] [--state FILE]")
	once := fs.Bool("once", false, "print the report and exit")
	format := fs.format("text", "markdown", "html", "json")
	statePath := fs.String("state", "", "state file to use (default: a temporary one, removed at exit)")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return fmt.Errorf("load time zone Europe/Berlin: %w", err)
	}
	now := time.Now()
	team := demo.Seed(now, loc)

	// The embedded CalDAV server, on a free loopback port.
	password, err := randomPassword()
	if err != nil {
		return err
	}
	user := strings.SplitN(team.Me.Email, "@", 2)[0]
	dav, err := demo.NewServer(team, user, password)
	if err != nil {
		return err
	}
	// The same limits as the web face's (the logger is set once the
	// config that names it is read).
	srv, ln, err := web.Listen("127.0.0.1:0", dav.Handler(), web.Limits{}, nil)
	if err != nil {
		return fmt.Errorf("demo CalDAV server: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	davURL := "http://" + ln.Addr().String() + "/"

	state := *statePath
	if state == "" {
		dir, err := os.MkdirTemp("", "oneonone-demo-")
		if err != nil {
			return fmt.Errorf("make demo state dir: %w", err)
		}
		defer os.RemoveAll(dir)
		state = dir + "/state.db"
	}
	if err := os.Setenv(demoPasswordEnv, password); err != nil {
		return err
	}
	cfg, err := config.Parse([]byte(team.Config(state, davURL, user, demoPasswordEnv)), "demo config")
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	log, restore := useLogger(cfg, e.stderr)
	defer restore()
	srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelError)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("demo CalDAV server stopped", slog.String("error", err.Error()))
		}
	}()

	// stdout carries the requested format only, so that it pipes; the
	// banner, the sync lines and the addresses go to stderr.
	fmt.Fprintf(e.stderr, "oneonone demo: %s\n", team.Summary())
	fmt.Fprintf(e.stderr, "CalDAV server: %s (user %s, password %s)\n\n", davURL, user, password)

	sources, err := buildSources(ctx, cfg, log)
	if err != nil {
		return err
	}
	st, err := openStore(cfg.State, readWrite, logRecord(log))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := seedActions(st, team, now); err != nil {
		return err
	}
	eng, err := newEngine(cfg, st, sources, log)
	if err != nil {
		return err
	}
	sums, err := eng.SyncAll(ctx)
	for _, s := range sums {
		fmt.Fprintln(e.stderr, "sync "+summaryLine(s))
	}
	if err != nil {
		return syncFailures(e, cfg, sums)
	}
	fmt.Fprintln(e.stderr)
	findWaysBack(ctx, cfg, st, sources, now, log)

	in, err := reportInput(cfg, st, now)
	if err != nil {
		return err
	}
	if err := report.Write(e.stdout, report.Build(in), *format); err != nil {
		return err
	}
	if *format == "text" {
		if err := showBlock(e.stdout, dav, st); err != nil {
			return err
		}
	}
	if *once {
		return nil
	}
	return serveDemo(ctx, e, cfg, st, eng, davURL, log)
}

// serveDemo keeps the demo running: the daemon re-syncs the embedded server
// every interval and the web face shows the report, until Ctrl-C.
func serveDemo(ctx context.Context, e *env, cfg *config.Config, st *store.Store, eng *sync.Engine, davURL string, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	metrics := web.NewMetrics(reg)
	d := &sync.Daemon{Engine: eng, Interval: cfg.Interval.Duration, Observer: metrics}
	metrics.Start(d.Status())
	w, err := newWeb(cfg, st, d, "", nil, reg, log)
	if err != nil {
		return err
	}
	srv, ln, err := web.Listen("127.0.0.1:0", w.Handler(), web.Limits{}, log)
	if err != nil {
		return fmt.Errorf("demo web face: %w", err)
	}
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintf(e.stderr, "\nWeb report: http://%s/ (the daemon syncs every %s; POST /api/sync syncs now)\n", ln.Addr(), cfg.Interval.Duration)
	fmt.Fprintf(e.stderr, "The CalDAV server stays up at %s; point a calendar client at it. Ctrl-C stops.\n", davURL)
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = d.Run(dctx); close(done) }()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	_ = srv.Shutdown(sctx)
	stop()
	<-done
	return nil
}

func randomPassword() (string, error) {
	b := make([]byte, 9)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make demo password: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// seedActions gives some pairs open actions, as `oneonone actions add` would.
func seedActions(st *store.Store, team demo.Team, now time.Time) error {
	for _, act := range team.Actions(now) {
		if _, err := st.AddAction(act); err != nil {
			return err
		}
	}
	return nil
}

// showBlock prints the agenda block of the first person's 1:1 as the CalDAV
// server now stores it.
func showBlock(w io.Writer, dav *demo.Server, st *store.Store) error {
	series, err := st.Series()
	if err != nil {
		return err
	}
	title, block, ok, err := dav.StoredBlock(series)
	if err != nil || !ok {
		return err
	}
	fmt.Fprintf(w, "\nThe agenda block in %q, as the CalDAV server now stores it:\n\n", title)
	for _, line := range strings.Split(block, "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
	return nil
}
