package sync

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	gosync "sync"
	"time"

	"oneonone/report"
	"oneonone/store"
)

// Observer hears about every cycle of every source (Prometheus metrics).
type Observer interface {
	Cycle(sum Summary, took time.Duration)
}

// SourceStatus is what the daemon knows of one source.
type SourceStatus struct {
	Source      string
	LastAttempt time.Time
	LastSuccess time.Time
	LastError   string
	Failures    int // consecutive failed cycles
	NextRun     time.Time
}

// staleIntervals is how many intervals a source may go without a success
// before it is stale.
const staleIntervals = 3

// Stale reports whether a source is stale at now: it has never synced
// successfully, or its last success is more than three intervals old.
func (d *Daemon) Stale(s SourceStatus, now time.Time) bool {
	return IsStale(s, d.Interval, now)
}

// IsStale is the rule of (*Daemon).Stale for a daemon syncing every
// interval (0 or less: the default, 5 minutes); a one-shot report applies
// it to StoredStatus.
func IsStale(s SourceStatus, interval time.Duration, now time.Time) bool {
	if interval <= 0 {
		interval = defaultInterval
	}
	return s.LastSuccess.IsZero() || now.Sub(s.LastSuccess) > staleIntervals*interval
}

// StoredStatus is what the store knows of a source's syncs, from the state
// of each of its calendars (store.CalendarState): the last attempt is the
// latest of theirs; the last success the earliest of theirs (a source is as
// fresh as its least fresh calendar; zero when one never succeeded or none
// is stored); the last error that of the latest failed attempt. The store
// knows nothing of a cycle that failed before listing calendars.
func StoredStatus(st *store.Store, source string) (SourceStatus, error) {
	states, err := st.CalendarStates(source)
	if err != nil {
		return SourceStatus{}, err
	}
	s := SourceStatus{Source: source}
	var errAt time.Time
	for i, c := range states {
		if c.LastSync.After(s.LastAttempt) {
			s.LastAttempt = c.LastSync
		}
		if i == 0 || c.LastSuccess.Before(s.LastSuccess) {
			s.LastSuccess = c.LastSuccess
		}
		if c.LastError != "" && (s.LastError == "" || c.LastSync.After(errAt)) {
			s.LastError, errAt = c.LastError, c.LastSync
		}
	}
	return s, nil
}

// StaleSources returns, in order, the statuses that stale says are stale,
// as a report lists them.
func StaleSources(statuses []SourceStatus, stale func(SourceStatus) bool) []report.StaleSource {
	var out []report.StaleSource
	for _, s := range statuses {
		if !stale(s) {
			continue
		}
		r := report.StaleSource{Name: s.Source, Error: s.LastError}
		if !s.LastSuccess.IsZero() {
			t := s.LastSuccess
			r.Since = &t
		}
		out = append(out, r)
	}
	return out
}

// StaleSources returns the daemon's stale sources at now, as a report
// lists them.
func (d *Daemon) StaleSources(now time.Time) []report.StaleSource {
	return StaleSources(d.Status(), func(s SourceStatus) bool { return d.Stale(s, now) })
}

// Daemon runs the engine on every source, each on its own schedule: every
// Interval (with jitter), the first wait computed from the source's last
// run kept in the store, a failing source backing off, and a "sync now"
// that runs every source at once.
type Daemon struct {
	Engine   *Engine
	Interval time.Duration
	// Jitter spreads each wait by up to this fraction of Interval, so that
	// sources and daemons do not all hit their servers together. Default 0.1.
	Jitter float64
	// MaxBackoff caps the wait after failures (Interval doubled per
	// consecutive failure). Default: an hour, or Interval when longer.
	MaxBackoff time.Duration
	// Grace is how long cycles already running may finish after Run's
	// context ends, before their requests are abandoned. Default 10s.
	Grace time.Duration
	// Concurrent caps the cycles that run at once, over all sources
	// (DefaultConcurrent when 0): with a source of many users, a thousand
	// sources due together take turns instead of opening a thousand
	// connections and holding a thousand cycles in memory. Each source
	// still has its own schedule and backoff; a failing one gives its turn
	// back as soon as it fails, so it delays the others by no more than
	// its own requests' timeouts.
	Concurrent int
	Observer   Observer

	mu     gosync.Mutex
	status map[string]*SourceStatus
	locks  map[string]*gosync.Mutex // one cycle of a source at a time
	turns  chan struct{}            // Concurrent slots
	// running and maxRunning count the cycles under way, for tests.
	running, maxRunning int
}

// DefaultConcurrent is Daemon.Concurrent's default.
const DefaultConcurrent = 8

func (d *Daemon) init() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.status != nil {
		return
	}
	d.status = make(map[string]*SourceStatus)
	d.locks = make(map[string]*gosync.Mutex)
	n := d.Concurrent
	if n <= 0 {
		n = DefaultConcurrent
	}
	d.turns = make(chan struct{}, n)
	for _, ns := range d.Engine.Sources {
		// From the start, the status is what the store knows, so that a
		// report made before the first cycle knows a stale source.
		st := SourceStatus{Source: ns.Name}
		if d.Engine.Store != nil {
			if stored, err := StoredStatus(d.Engine.Store, ns.Name); err == nil {
				st = stored
			}
		}
		d.status[ns.Name] = &st
		d.locks[ns.Name] = &gosync.Mutex{}
	}
}

// Status returns the state of every source, in the engine's order.
func (d *Daemon) Status() []SourceStatus {
	d.init()
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]SourceStatus, 0, len(d.Engine.Sources))
	for _, ns := range d.Engine.Sources {
		out = append(out, *d.status[ns.Name])
	}
	return out
}

// Run syncs every source on its schedule until ctx ends. Then it starts no
// new cycle, lets running ones finish for up to Grace, and returns nil.
func (d *Daemon) Run(ctx context.Context) error {
	d.init()
	// Cycles run under work, which outlives ctx by Grace, so that a write
	// under way is finished rather than cut in the middle.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var wg gosync.WaitGroup
	for _, ns := range d.Engine.Sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.loop(ctx, work, ns)
		}()
	}
	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d.grace()):
		d.Engine.log().Warn("cycles still running at shutdown, abandoning them", slog.Duration("grace", d.grace()))
		cancelWork()
		<-done
	}
	// What quiet cycles kept in memory only (their times and cursors).
	if err := d.Engine.Flush(); err != nil {
		d.Engine.log().Warn("could not write the sync states at shutdown", slog.String("error", err.Error()))
	}
	return nil
}

// SyncNow runs a cycle of every source now, waiting for cycles already
// under way, and returns their summaries.
func (d *Daemon) SyncNow(ctx context.Context) ([]Summary, error) {
	d.init()
	var sums []Summary
	var errs []error
	for _, ns := range d.Engine.Sources {
		sum := d.cycle(ctx, ns)
		sums = append(sums, sum)
		if sum.Err != nil {
			errs = append(errs, sum.Err)
		}
	}
	return sums, errors.Join(errs...)
}

// PlanNow is SyncNow as a dry run (`oneonone sync --dry-run` while the
// daemon holds the state): a cycle of every source that pulls and
// rebuilds as usual but writes no block, handing each write it would make
// to the returned plan. It takes each source's lock as a cycle does, and
// records no status: the daemon's own cycles stay what /healthz reports.
func (d *Daemon) PlanNow(ctx context.Context) ([]Summary, []Planned, error) {
	d.init()
	e := d.Engine
	var plan []Planned
	dry := &Engine{
		Store: e.Store, Sources: e.Sources, Rules: e.Rules, Relationship: e.Relationship,
		Horizon: e.Horizon, History: e.History, Now: e.Now, Log: e.Log, Agenda: e.Agenda,
		ConfigKey: e.ConfigKey, cache: e.caches(),
		DryRun: true, Plan: func(p Planned) { plan = append(plan, p) },
	}
	var sums []Summary
	var errs []error
	for _, ns := range e.Sources {
		lock := d.locks[ns.Name]
		lock.Lock()
		sum := dry.SyncSource(ctx, ns)
		lock.Unlock()
		sums = append(sums, sum)
		if sum.Err != nil {
			errs = append(errs, sum.Err)
		}
	}
	return sums, plan, errors.Join(errs...)
}

// loop waits and runs one source's cycles until ctx ends.
func (d *Daemon) loop(ctx, work context.Context, ns NamedSource) {
	wait := d.firstWait(ns.Name)
	d.setNext(ns.Name, wait)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		sum := d.cycle(work, ns)
		wait = d.nextWait(ns.Name, sum)
		d.setNext(ns.Name, wait)
		timer.Reset(wait)
	}
}

// cycle runs one source's cycle, one at a time per source.
func (d *Daemon) cycle(ctx context.Context, ns NamedSource) Summary {
	lock := d.locks[ns.Name]
	lock.Lock()
	defer lock.Unlock()
	select {
	case d.turns <- struct{}{}:
	case <-ctx.Done():
		return Summary{Source: ns.Name, Err: ctx.Err()}
	}
	d.mu.Lock()
	d.running++
	d.maxRunning = max(d.maxRunning, d.running)
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.running--
		d.mu.Unlock()
		<-d.turns
	}()
	start := time.Now()
	sum := d.Engine.SyncSource(ctx, ns)
	took := time.Since(start)
	now := d.Engine.now()
	d.mu.Lock()
	st := d.status[ns.Name]
	st.LastAttempt = now
	if sum.Err != nil {
		st.LastError = sum.Err.Error()
		st.Failures++
	} else {
		st.LastSuccess, st.LastError, st.Failures = now, "", 0
	}
	d.mu.Unlock()
	log := d.Engine.log().With(slog.String("source", ns.Name))
	if sum.Err != nil {
		log.Error("sync failed", slog.String("error", sum.Err.Error()), slog.Duration("took", took))
	} else {
		log.Info("synced", slog.Int("changed", sum.Changed), slog.Int("series", sum.Series),
			slog.Int("requests", sum.Requests), slog.Int("blocks_written", sum.Blocks.Written), slog.Duration("took", took))
	}
	if d.Observer != nil {
		d.Observer.Cycle(sum, took)
	}
	return sum
}

// firstWait is the wait before a source's first cycle: what is left of the
// interval since its last run kept in the store, with jitter; none at all
// when the source was never synced or is overdue.
func (d *Daemon) firstWait(source string) time.Duration {
	states, err := d.Engine.Store.CalendarStates(source)
	if err != nil || len(states) == 0 {
		return 0
	}
	var last time.Time
	for _, st := range states {
		if st.LastSync.After(last) {
			last = st.LastSync
		}
	}
	if stored, err := StoredStatus(d.Engine.Store, source); err == nil {
		d.mu.Lock()
		cur := d.status[source]
		if stored.LastAttempt.After(cur.LastAttempt) {
			cur.LastAttempt, cur.LastError = stored.LastAttempt, stored.LastError
		}
		if stored.LastSuccess.After(cur.LastSuccess) {
			cur.LastSuccess = stored.LastSuccess
		}
		d.mu.Unlock()
	}
	left := d.interval() - d.Engine.now().Sub(last)
	if left <= 0 {
		return 0
	}
	return d.jitter(left)
}

// nextWait is the interval after a success; after n failures in a row,
// the interval doubled n-1 times, at most MaxBackoff.
func (d *Daemon) nextWait(source string, sum Summary) time.Duration {
	wait := d.interval()
	if sum.Err != nil {
		d.mu.Lock()
		n := d.status[source].Failures
		d.mu.Unlock()
		for i := 1; i < n && wait < d.maxBackoff(); i++ {
			wait *= 2
		}
		wait = min(wait, d.maxBackoff())
	}
	return d.jitter(wait)
}

func (d *Daemon) setNext(source string, wait time.Duration) {
	d.mu.Lock()
	d.status[source].NextRun = d.Engine.now().Add(wait)
	d.mu.Unlock()
}

// jitter adds up to Jitter×Interval to a wait.
func (d *Daemon) jitter(wait time.Duration) time.Duration {
	j := d.Jitter
	if j == 0 {
		j = 0.1
	}
	if j < 0 {
		return wait
	}
	return wait + time.Duration(rand.Float64()*j*float64(d.interval()))
}

// defaultInterval is the interval when Daemon.Interval is not set.
const defaultInterval = 5 * time.Minute

func (d *Daemon) interval() time.Duration {
	if d.Interval > 0 {
		return d.Interval
	}
	return defaultInterval
}

func (d *Daemon) maxBackoff() time.Duration {
	if d.MaxBackoff > 0 {
		return d.MaxBackoff
	}
	return max(time.Hour, d.interval())
}

func (d *Daemon) grace() time.Duration {
	if d.Grace > 0 {
		return d.Grace
	}
	return 10 * time.Second
}
