package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	gosync "sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"oneonone/config"
	"oneonone/internal/sdnotify"
	"oneonone/notify"
	"oneonone/report"
	"oneonone/report/email"
	"oneonone/store"
	"oneonone/sync"
	"oneonone/web"
)

// shutdownTimeout bounds how long open HTTP requests may take at stop.
const shutdownTimeout = 10 * time.Second

// cmdRun is the daemon: it syncs every source on its interval, writes
// agenda blocks, mails the weekly report, and serves the web face, until
// SIGINT or SIGTERM; SIGHUP reloads the config.
func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "run", "[--config PATH]")
	cfgPath := fs.String("config", "", "config file")
	if err := fs.parse(args, false); err != nil {
		return err
	}
	// SIGHUP is caught from the start: one that comes before the loop
	// waits in the channel instead of killing the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	path := config.ResolvePath(*cfgPath)
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	log, restore := useLogger(cfg, e.stderr)
	defer restore()
	warnConfig(log, cfg, path)
	token, err := cfg.ServeToken()
	if err != nil {
		return err
	}
	st, err := openStore(cfg.State, readWrite, logRecord(log))
	if err != nil {
		return err
	}
	defer st.Close()
	logMigration(log, st)
	dailyBackup(st, log)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := web.NewMetrics(reg)

	// One session key for the daemon's life, so that a reload keeps
	// everyone logged in.
	sessionKey := make([]byte, 32)
	if _, err := rand.Read(sessionKey); err != nil {
		return fmt.Errorf("make session key: %w", err)
	}
	inst, err := newInstance(ctx, cfg, st, token, sessionKey, metrics, reg, log)
	if err != nil {
		return err
	}
	var current atomic.Pointer[instance]
	current.Store(inst)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { current.Load().web.ServeHTTP(w, r) })
	srv, ln, err := web.Listen(cfg.Listen, handler, web.Limits{}, log)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// The control socket: the same API for the command line, which cannot
	// open the state file while we hold it.
	sock := controlSocket(cfg)
	control := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { current.Load().control.ServeHTTP(w, r) })
	csrv, cln, err := web.ListenUnix(sock, control, web.Limits{}, log)
	if err != nil {
		log.Warn("no control socket: commands cannot reach the daemon while it runs", slog.String("error", err.Error()))
		csrv, sock = nil, ""
	} else {
		defer os.Remove(sock) // closing the listener removes it too
		defer cln.Close()
		go func() {
			if err := csrv.Serve(cln); err != nil && err != http.ErrServerClosed {
				log.Error("control socket stopped", slog.String("error", err.Error()))
			}
		}()
	}
	base := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(e.stdout, "oneonone: serving %s\n", base)
	if token != "" && !cfg.Web.ProxyMode() { // behind a sign-in proxy nobody logs in here
		link, err := inst.login(base)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "oneonone: one-time login link (valid 10 minutes): %s\n", link)
	}
	log.Info("daemon started", slog.String("listen", ln.Addr().String()), slog.String("control_socket", sock), slog.Int("sources", len(cfg.Sources)),
		slog.Duration("interval", cfg.Interval.Duration), slog.Bool("email", cfg.Report.Email.Enabled()), slog.Bool("email_per_person", cfg.Report.Email.PerPerson))

	// Under systemd (Type=notify): ready once the web face listens and a
	// reload is heard (SIGHUP is caught from the start); then the watchdog.
	go sdnotify.Run(ctx, log)
	for {
		stop := inst.start(ctx)
		for reloaded := false; !reloaded; {
			select {
			case <-ctx.Done():
				// Stop in order: no new cycles (running ones finish or are
				// abandoned safely), HTTP with a timeout, then the store.
				log.Info("stopping")
				sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
				err := srv.Shutdown(sctx)
				if csrv != nil {
					err = errors.Join(err, csrv.Shutdown(sctx))
				}
				cancel()
				stop()
				if err != nil {
					log.Warn("HTTP requests still open at stop were cut", slog.String("error", err.Error()))
				}
				log.Info("stopped")
				return nil
			case err := <-served:
				stop()
				return fmt.Errorf("web face: %w", err)
			case <-hup:
				next, err := reload(ctx, path, cfg, st, sessionKey, metrics, reg, log)
				if err != nil {
					log.Error("config reload rejected, keeping the running config", slog.String("config", path), slog.String("error", oneLine(err.Error())))
					continue
				}
				stop()
				cfg, inst, reloaded = next.cfg, next, true
				current.Store(inst)
				log.Info("config reloaded", slog.String("config", path), slog.Int("sources", len(cfg.Sources)))
			}
		}
	}
}

// instance is everything built from one config: the engine and its
// daemon, the web face, the e-mail schedule.
type instance struct {
	cfg     *config.Config
	daemon  *sync.Daemon
	web     http.Handler
	control http.Handler // the API on the control socket
	login   func(base string) (string, error)
	mail    *email.Scheduler // nil without [report.email] to
	// personMail mails each person their own report (nil without
	// [report.email] per_person).
	personMail *email.PerPerson
	// rollupMail mails the roll-up to [report.rollup] to (nil without).
	rollupMail *email.Scheduler
	nudges     *nudger    // nil when nudges go nowhere and no way back is looked for
	remind     *reminders // nil with agenda.reminder off or nowhere to send
	// reportNotify schedules the weekly report to report.notify's
	// targets (nil without), delivered by reportTargets.
	reportNotify  *email.Scheduler
	reportTargets *notify.Dispatcher
}

// start runs the daemon and the mail schedule until the returned stop is
// called; stop waits for them.
func (in *instance) start(ctx context.Context) (stop func()) {
	ictx, cancel := context.WithCancel(ctx)
	var wg gosync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = in.daemon.Run(ictx) }()
	if in.nudges != nil {
		wg.Add(1)
		go func() { defer wg.Done(); in.nudges.Run(ictx) }()
	}
	if in.remind != nil {
		wg.Add(1)
		go func() { defer wg.Done(); in.remind.Run(ictx) }()
	}
	if in.reportNotify != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = in.reportNotify.Run(ictx)
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ictx), 5*time.Second)
			defer cancel()
			_ = in.reportTargets.Close(cctx)
		}()
	}
	if in.mail != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = in.mail.Run(ictx) }()
	}
	if in.personMail != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = in.personMail.Run(ictx) }()
	}
	if in.rollupMail != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = in.rollupMail.Run(ictx) }()
	}
	return func() { cancel(); wg.Wait() }
}

// reload reads the config again and, when config.Reloadable lets it
// replace the running one, builds a new instance from it.
func reload(ctx context.Context, path string, old *config.Config, st *store.Store, sessionKey []byte, metrics *web.Metrics, reg *prometheus.Registry, log *slog.Logger) (*instance, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := config.Reloadable(old, cfg); err != nil {
		return nil, err
	}
	token, err := cfg.ServeToken()
	if err != nil {
		return nil, err
	}
	return newInstance(ctx, cfg, st, token, sessionKey, metrics, reg, log)
}

// newInstance wires the engine, daemon, web face and mail for a config.
func newInstance(ctx context.Context, cfg *config.Config, st *store.Store, token string, sessionKey []byte, metrics *web.Metrics, reg *prometheus.Registry, log *slog.Logger) (*instance, error) {
	sources, err := buildSources(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	eng, err := newEngine(cfg, st, sources, log)
	if err != nil {
		return nil, err
	}
	nudges, err := newNudger(cfg, st, sources, log)
	if err != nil {
		return nil, err
	}
	var observer sync.Observer = metrics
	if nudges != nil {
		observer = observers{metrics, nudges}
	}
	rem, err := newReminders(cfg, st, log)
	if err != nil {
		return nil, err
	}
	if rem != nil {
		observer = observers{observer, rem}
	}
	d := &sync.Daemon{Engine: eng, Interval: cfg.Interval.Duration, Concurrent: cfg.ConcurrentSyncs, Observer: backupAfter{observer, st, log}}
	metrics.Start(d.Status()) // every series of every source, before the first cycle
	w, err := newWeb(cfg, st, d, token, sessionKey, reg, log)
	if err != nil {
		return nil, err
	}
	in := &instance{cfg: cfg, daemon: d, web: w.Handler(), control: w.ControlHandler(), login: w.LoginURL, nudges: nudges, remind: rem}
	if cfg.Report.Email.Enabled() {
		if in.mail, err = newMailer(cfg, st, d, log); err != nil {
			return nil, err
		}
	}
	if cfg.Report.Email.PerPerson {
		if in.personMail, err = newPersonMailer(cfg, st, d, log); err != nil {
			return nil, err
		}
	}
	if len(cfg.Report.Rollup.To) > 0 {
		if in.rollupMail, err = newRollupMailer(cfg, st, d, log); err != nil {
			return nil, err
		}
	}
	if in.reportNotify, in.reportTargets, err = newReportNotifier(cfg, st, d, log); err != nil {
		return nil, err
	}
	return in, nil
}

// newWeb builds the web face over the store and a daemon.
func newWeb(cfg *config.Config, st *store.Store, d *sync.Daemon, token string, sessionKey []byte, reg *prometheus.Registry, log *slog.Logger) (*web.Server, error) {
	return web.New(web.Options{
		Store:         st,
		Location:      cfg.Location(),
		TrailingWeeks: cfg.Report.Weeks,
		LateNotice:    cfg.Report.LateNotice.Duration,
		Me:            cfg.Me(),
		Token:         token,
		Actions:       pairActions(cfg, st),
		SyncNow: func(ctx context.Context) ([]sync.Summary, error) {
			sums, err := d.SyncNow(ctx)
			return explainFailures(cfg, sums), err
		},
		PlanNow: func(ctx context.Context) ([]sync.Summary, []sync.Planned, error) {
			sums, plan, err := d.PlanNow(ctx)
			return explainFailures(cfg, sums), plan, err
		},
		SessionKey: sessionKey,
		Share:      shareLinks(cfg, st),
		Health: func() []web.SourceHealth {
			var out []web.SourceHealth
			now := time.Now()
			for _, s := range d.Status() {
				out = append(out, web.SourceHealth{
					Source: s.Source, LastAttempt: s.LastAttempt, LastSuccess: s.LastSuccess, LastError: s.LastError,
					Stale: d.Stale(s, now), NextRun: s.NextRun,
				})
			}
			return out
		},
		Registry:        reg,
		Log:             log,
		AuthProxyHeader: cfg.Web.AuthProxyHeader,
		TrustedProxies:  cfg.Web.TrustedNets(),
		Admins:          cfg.Web.AdminList(),
	})
}

// newMailer schedules the weekly report by e-mail; the daemon d says which
// sources are stale.
func newMailer(cfg *config.Config, st *store.Store, d *sync.Daemon, log *slog.Logger) (*email.Scheduler, error) {
	ec := cfg.Report.Email
	sender, err := mailSender(ec)
	if err != nil {
		return nil, err
	}
	day, hour, minute := ec.Schedule()
	return &email.Scheduler{
		Facts: st.Facts(store.FactsEmailReport), Weekday: day, Hour: hour, Minute: minute, Location: cfg.Location(),
		Build:   weeklyReport(cfg, st, d),
		Deliver: func(ctx context.Context, msg []byte) error { return sender.Send(ctx, ec.From, ec.To, msg) },
		From:    ec.From,
		To:      ec.To,
		Log:     log,
	}, nil
}

// newPersonMailer mails each of cfg.Me() (identity.me and the sources'
// subjects and accounts) their own weekly report, at
// their own weekday and time ([[report.email.person]], else
// [report.email]'s).
func newPersonMailer(cfg *config.Config, st *store.Store, d *sync.Daemon, log *slog.Logger) (*email.PerPerson, error) {
	ec := cfg.Report.Email
	sender, err := mailSender(ec)
	if err != nil {
		return nil, err
	}
	var ps []email.Person
	for _, addr := range cfg.Me() {
		day, hour, minute := ec.PersonSchedule(addr)
		ps = append(ps, email.Person{Address: addr, Weekday: day, Hour: hour, Minute: minute})
	}
	return &email.PerPerson{
		Facts:    st.Facts(store.FactsMailSent).Expiring(store.MailSentTTL),
		People:   ps,
		Location: cfg.Location(),
		Build:    weeklyReport(cfg, st, d),
		Send: func(ctx context.Context, to string, msg []byte) error {
			return sender.Send(ctx, ec.From, []string{to}, msg)
		},
		From: ec.From,
		Log:  log,
	}, nil
}

// mailSender is the SMTP client of report.email.
func mailSender(ec config.Email) (email.Sender, error) {
	password, err := ec.Password()
	if err != nil {
		return email.Sender{}, err
	}
	return email.Sender{Addr: ec.SMTP, Username: ec.Username, Password: password, Security: ec.Security, Timeout: time.Minute}, nil
}

// weeklyReport builds a week's report as the weekly mail and the targets
// get it: as of now, with the daemon's stale sources.
func weeklyReport(cfg *config.Config, st *store.Store, d *sync.Daemon) func(context.Context, report.Week) (*report.Report, error) {
	return func(ctx context.Context, week report.Week) (*report.Report, error) {
		now := time.Now()
		in, err := reportInput(cfg, st, now)
		if err != nil {
			return nil, err
		}
		in.Week = week
		in.Stale = d.StaleSources(now)
		return report.Build(in), nil
	}
}

// newRollupMailer schedules the roll-up by e-mail to [report.rollup] to,
// through [report.email]'s server and sender, at its weekday and time; the
// daemon d says which sources are stale.
func newRollupMailer(cfg *config.Config, st *store.Store, d *sync.Daemon, log *slog.Logger) (*email.Scheduler, error) {
	ec, to := cfg.Report.Email, cfg.Report.Rollup.To
	sender, err := mailSender(ec)
	if err != nil {
		return nil, err
	}
	day, hour, minute := ec.Schedule()
	return &email.Scheduler{
		Facts: st.Facts(store.FactsEmailRollup), Weekday: day, Hour: hour, Minute: minute, Location: cfg.Location(),
		What: "roll-up mail",
		Message: func(ctx context.Context, week report.Week, now time.Time) ([]byte, string, error) {
			r, err := rollupOf(ctx, cfg, st, now, week, d.StaleSources(now))
			if err != nil {
				return nil, "", err
			}
			msg, err := email.ComposeRollup(r, ec.From, to, now)
			return msg, email.RollupSubject(r), err
		},
		Deliver: func(ctx context.Context, msg []byte) error { return sender.Send(ctx, ec.From, to, msg) },
		From:    ec.From,
		To:      to,
		Log:     log,
	}, nil
}

// rollupOf is the roll-up of week (zero: the last full week) from the
// store: the report's input (reportBase), over the window and the one
// before it (report.LoadRollup); stale, when not nil, are the stale
// sources the daemon knows (else those of the stored statuses).
func rollupOf(ctx context.Context, cfg *config.Config, st *store.Store, now time.Time, week report.Week, stale []report.StaleSource) (*report.Rollup, error) {
	in, err := reportBase(cfg, st, now, week)
	if err != nil {
		return nil, err
	}
	if stale != nil {
		in.Stale = stale
	}
	in, err = report.LoadRollup(ctx, in, st)
	if err != nil {
		return nil, err
	}
	return report.BuildRollup(in), nil
}

// backupAfter passes each cycle on, then takes the day's backup of the
// state file after a cycle that succeeded (store.BackupDaily: at most one a
// day, store.BackupsKept kept).
type backupAfter struct {
	next sync.Observer
	st   *store.Store
	log  *slog.Logger
}

func (b backupAfter) Cycle(sum sync.Summary, took time.Duration) {
	b.next.Cycle(sum, took)
	if sum.Err == nil {
		dailyBackup(b.st, b.log)
	}
}

// dailyBackup takes the day's backup unless there is one; a failure is a
// log line (the daemon goes on: the state file itself is fine, or the next
// cycle says it is not).
func dailyBackup(st *store.Store, log *slog.Logger) {
	path, err := st.BackupDaily()
	switch {
	case err != nil:
		log.Warn("state backup failed", slog.String("error", err.Error()))
	case path != "":
		log.Info("state backed up", slog.String("backup", path))
	}
}
