package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"oneonone/agenda"
	"oneonone/calendar"
	"oneonone/calendar/caldav"
	"oneonone/calendar/google"
	"oneonone/calendar/google/oauth"
	"oneonone/config"
	"oneonone/history"
	"oneonone/store"
	"oneonone/sync"
	"oneonone/web"
)

// loadConfig reads the config named by --config, $ONEONONE_CONFIG or the
// default path.
func loadConfig(path string) (*config.Config, error) {
	return config.Load(config.ResolvePath(path))
}

// loadConfigNoSecrets is loadConfig for the commands that contact no
// server themselves (report, series, history, actions, state, and sync
// while a daemon holds the state file): a password_env (or other secret)
// that this shell does not set is no error, since the daemon's unit may
// be what sets it (config.LoadIgnoringSecrets). sync checks the secrets
// once it knows it syncs itself.
func loadConfigNoSecrets(path string) (*config.Config, error) {
	return config.LoadIgnoringSecrets(config.ResolvePath(path))
}

// warnConfig logs, at warn through log, what the config allows but should
// not go unsaid (config.Config.Warnings: a file holding a secret that
// others may read, credentials sent in clear), one line each. cfgPath is
// the --config flag (or the resolved path). Every command that loads the
// config calls it once at start: with its configured logger, or, without
// one, with cfg.NewLogger(stderr).
func warnConfig(log *slog.Logger, cfg *config.Config, cfgPath string) {
	for _, w := range cfg.Warnings(config.ResolvePath(cfgPath)) {
		log.Warn("config warning", slog.String("key", w.Key), slog.String("warning", w.Msg))
	}
}

// openState loads the config and opens its state file (openStore); the
// caller closes the store. When the config loads and the store does not,
// the config comes back with the error: a file in use (inUse) sends the
// command to the daemon.
func openState(e *env, cfgPath string, mode access) (*config.Config, *store.Store, error) {
	cfg, err := loadConfigNoSecrets(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(cfg.State, mode, e.warnRecord)
	if err != nil {
		return cfg, nil, err
	}
	e.noteMigration(st)
	return cfg, st, nil
}

// noteMigration is one line on stderr when opening st migrated it from
// an older schema: where the copy of the file as it was went.
func (e *env) noteMigration(st *store.Store) {
	if b := st.MigrationBackup(); b != "" {
		fmt.Fprintf(e.stderr, "oneonone %s: migrated %s to schema %d; the file as it was is %s\n", e.name, st.Path(), store.SchemaVersion(), b)
	}
}

// logMigration is noteMigration for the daemon: a log line.
func logMigration(log *slog.Logger, st *store.Store) {
	if b := st.MigrationBackup(); b != "" {
		log.Info("migrated the state file", slog.String("state", st.Path()), slog.Int("schema", store.SchemaVersion()), slog.String("backup", b))
	}
}

// access is how a command uses the state file.
type access int

const (
	readWrite access = iota // migrates an older schema, sweeps expired facts, writes
	readOnly                // writes nothing: report, series, actions list, state check|backup
)

// openStore is the one place the commands open the state file. readOnly
// opens it with bbolt's read-only mode, so that a command that only reads
// writes nothing and works where it may not write; a state file not made
// yet (missing, or empty) is made as by any command. warn hears of each record that does not
// decode (nil: nobody), which reads skip.
func openStore(path string, mode access, warn func(store.BadRecord)) (*store.Store, error) {
	if err := daemonHolds(path); err != nil {
		return nil, err
	}
	opts := []store.Option{store.WithBadRecord(warn)}
	if mode == readOnly {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			return store.OpenReadOnly(path, opts...)
		}
	}
	return store.Open(path, opts...)
}

// warnRecord is one line on stderr for a record that a read skipped.
func (e *env) warnRecord(b store.BadRecord) {
	fmt.Fprintf(e.stderr, "oneonone %s: warning: %s (see \"oneonone state check\")\n", e.name, b)
}

// logRecord is warnRecord for the daemon: a log line.
func logRecord(log *slog.Logger) func(store.BadRecord) {
	return func(b store.BadRecord) {
		log.Warn("skipped a record that does not decode", slog.String("bucket", b.Bucket), slog.String("key", b.Key), slog.String("error", b.Err.Error()))
	}
}

// useLogger builds the configured logger (log_level, log_format) writing
// to w, and makes it slog's default as well, so that no line, not even a
// library's, escapes them. restore puts the previous default back.
func useLogger(cfg *config.Config, w io.Writer) (log *slog.Logger, restore func()) {
	log = cfg.NewLogger(w)
	old, out, flags := slog.Default(), stdlog.Writer(), stdlog.Flags()
	slog.SetDefault(log)
	return log, func() {
		slog.SetDefault(old)
		stdlog.SetOutput(out)
		stdlog.SetFlags(flags)
	}
}

// detectRules turns the config into 1:1 recognition rules.
func detectRules(cfg *config.Config) (history.DetectRules, error) {
	include, exclude, err := cfg.Detect.Patterns()
	if err != nil {
		return history.DetectRules{}, err
	}
	return history.DetectRules{Me: cfg.Me(), Include: include, Exclude: exclude}, nil
}

// googleLimit is the ceiling on the requests of every Google client of the
// process (google.max_requests_per_minute): one token bucket, which each
// buildSources sets to the config's rate.
var googleLimit = google.NewLimiter(0)

// buildSources makes a Source for each configured source, and one for each
// subject (subjects, subjects_file) or account (accounts_file) of a source
// of many, named "<source>/<address>" (config.Source.NameFor): each has its
// own schedule and backoff in the daemon, so one that fails delays no other.
func buildSources(ctx context.Context, cfg *config.Config, log *slog.Logger) ([]sync.NamedSource, error) {
	googleLimit.SetPerMinute(cfg.Google.MaxRequestsPerMinute)
	var out []sync.NamedSource
	for i := range cfg.Sources {
		sc := &cfg.Sources[i]
		zone := sc.Location(cfg.Location())
		switch sc.Kind {
		case config.KindCalDAV:
			type login struct{ name, user, password string }
			var logins []login
			if sc.Many() {
				for _, a := range sc.Accounts() {
					pw, err := a.Password()
					if err != nil {
						return nil, fmt.Errorf("source %s: %w", sc.NameFor(a.Address), err)
					}
					logins = append(logins, login{sc.NameFor(a.Address), a.Username, pw})
				}
			} else {
				user, password, err := sc.BasicAuth()
				if err != nil {
					return nil, fmt.Errorf("source %s: %w", sc.Name, err)
				}
				logins = append(logins, login{sc.Name, user, password})
			}
			for _, l := range logins {
				c, err := caldav.New(caldav.Options{
					URL:           sc.URL,
					Username:      l.user,
					Password:      l.password,
					Calendars:     sc.Calendars,
					Zone:          zone,
					HeaderTimeout: sc.HeaderTimeout.Duration,
					IdleTimeout:   sc.IdleTimeout.Duration,
					Logger:        log,
				})
				if err != nil {
					return nil, fmt.Errorf("source %s: %w", l.name, err)
				}
				out = append(out, sync.NamedSource{Name: l.name, Source: c, NotifyAttendees: sc.NotifyAttendees, InClear: sc.InClear()})
			}
		case config.KindGoogle:
			type acting struct{ name, subject string }
			users := []acting{{sc.Name, sc.Subject}}
			if sc.Many() {
				users = users[:0]
				for _, sub := range sc.DelegatedSubjects() {
					users = append(users, acting{sc.NameFor(sub), sub})
				}
			}
			for _, u := range users {
				hc, err := googleHTTPClient(ctx, cfg, sc, u.subject, log)
				if err != nil {
					return nil, fmt.Errorf("source %s: %w", u.name, err)
				}
				c, err := google.New(ctx, google.Options{
					Calendar: sc.Calendar, Endpoint: sc.Endpoint, HTTPClient: hc, Zone: zone,
					Subject: u.subject, Limiter: googleLimit, Logger: log,
				})
				if err != nil {
					return nil, fmt.Errorf("source %s: %w", u.name, err)
				}
				out = append(out, sync.NamedSource{Name: u.name, Source: c})
			}
		default:
			return nil, fmt.Errorf("source %s: unknown kind %q", sc.Name, sc.Kind)
		}
	}
	return out, nil
}

// googleHTTPClient is the authenticated client of a Google source: a
// service account acting for subject, or the token saved by "auth google"
// (refreshed tokens are saved again); none for a loopback endpoint without
// credentials (the fake server in tests).
func googleHTTPClient(ctx context.Context, cfg *config.Config, sc *config.Source, subject string, log *slog.Logger) (*http.Client, error) {
	scope := oauth.ScopeFor(sc.Calendar, cfg.Me())
	switch {
	case sc.ServiceAccount != "":
		ts, err := oauth.ServiceAccount(ctx, sc.ServiceAccount, subject, scope)
		if err != nil {
			return nil, err
		}
		return oauth.HTTPClient(ctx, ts, sc.Name), nil
	case sc.ClientSecrets != "":
		conf, err := oauth.LoadClientSecrets(sc.ClientSecrets, scope)
		if err != nil {
			return nil, err
		}
		ts, err := oauth.TokenSource(ctx, conf, sc.Token, oauth.TokenOptions{Logger: log})
		if errors.Is(err, oauth.ErrNoToken) {
			return nil, fmt.Errorf("no Google token yet: run \"oneonone auth google --source %s\"", sc.Name)
		}
		if err != nil {
			return nil, err
		}
		return oauth.HTTPClient(ctx, ts, sc.Name), nil
	}
	return nil, nil // a loopback endpoint; config.Validate allows nothing else
}

// newEngine wires the engine for a config and an open store.
func newEngine(cfg *config.Config, st *store.Store, sources []sync.NamedSource, log *slog.Logger) (*sync.Engine, error) {
	rules, err := detectRules(cfg)
	if err != nil {
		return nil, err
	}
	return &sync.Engine{
		Store:        st,
		Sources:      sources,
		Rules:        rules,
		Relationship: cfg.Relationship,
		Horizon:      cfg.Agenda.Horizon.Duration,
		Log:          log,
		Agenda:       agendaFunc(cfg, st, log),
		Ticker:       agenda.Ticks{Actions: st, Points: st, Starts: pairStarts(st, time.Now)},
		ConfigKey:    relationshipsKey(cfg),
	}, nil
}

// relationshipsKey names the relationships the config gives counterparts,
// which the history records in each series: when they change, the engine
// rebuilds every series.
func relationshipsKey(cfg *config.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "default=%s", cfg.Detect.Relationship)
	for _, p := range cfg.Agenda.Pairs {
		fmt.Fprintf(&b, ";%s=%s", p.With, p.Relationship)
	}
	return b.String()
}

// pairActions returns a pair's open actions: the stored ones and the open
// items of its agenda document ([[agenda.pair]] doc, else the one agenda
// init recorded: pairDoc). When the document
// cannot be read, the stored ones come back with the error.
func pairActions(cfg *config.Config, st *store.Store) agenda.OpenFunc {
	acts := agenda.Actions{Store: st, Docs: agenda.DocReader{Credentials: cfg.DocCredentials}}
	return func(ctx context.Context, p calendar.Pair) ([]agenda.Action, error) {
		return acts.Open(ctx, p, pairDoc(cfg, st, p))
	}
}

// agendaFunc builds each series' block from the config (links) and the
// store and documents (open actions and talking points).
func agendaFunc(cfg *config.Config, st *store.Store, log *slog.Logger) sync.AgendaFunc {
	return agenda.Blocks{
		Link: func(s calendar.Series) (string, error) {
			return pairLink(cfg, st, s)
		},
		Location:  cfg.Location(),
		Open:      pairActions(cfg, st),
		Points:    pairPoints(cfg, st),
		MaxPoints: blockMaxPoints(cfg.Agenda.MaxPoints),
		Since: func(p calendar.Pair) (time.Time, error) {
			starts, err := pairStarts(st, time.Now)(p)
			return slices.MaxFunc(append(starts, time.Time{}), time.Time.Compare), err
		},
		Done:  st.Actions,
		Share: shareLinks(cfg, st).Link,
		Log:   log,
	}.Block
}

// pairStarts returns the starts of a pair's 1:1s of the last year that
// have begun by now (agenda.BegunStarts).
func pairStarts(st *store.Store, now func() time.Time) func(p calendar.Pair) ([]time.Time, error) {
	return func(p calendar.Pair) ([]time.Time, error) {
		t := now()
		return agenda.BegunStarts(st, p, t.AddDate(-1, 0, 0), t)
	}
}

// shareLinks are the shared pages' links (web.public_url, web.share_days);
// nil, whose Link is "", without a public URL.
func shareLinks(cfg *config.Config, st *store.Store) *web.ShareLinks {
	if cfg.Web.PublicURL == "" {
		return nil
	}
	return &web.ShareLinks{
		Store: st, PublicURL: cfg.Web.PublicURL, Days: cfg.Web.ShareDays,
		Agenda: func(p calendar.Pair) string {
			with := p.Other(cfg.Me()[0])
			link, _ := pairLink(cfg, st, calendar.Series{Pair: p, Counterpart: with, Me: p.Other(with)})
			return link
		},
	}
}

// blockMaxPoints is agenda.max_points as agenda.Block takes it: there 0
// is the default, and a negative number shows none and counts them all,
// which max_points = 0 asks for.
func blockMaxPoints(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// docCredentials is the config's rule for lending a CalDAV source's
// credentials to agenda documents (config.Config.DocCredentials).
func docCredentials(cfg *config.Config) func(u *url.URL) (string, string, bool) {
	return cfg.DocCredentials
}
