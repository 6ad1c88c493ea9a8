package web

import (
	"math"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"oneonone/sync"
)

// Metrics are the daemon's Prometheus metrics, per source. *Metrics is the
// daemon's observer of cycles. Start makes every series of every configured
// source appear before its first cycle.
type Metrics struct {
	// Now is the clock of the last-success timestamps; nil means time.Now.
	Now func() time.Time

	cycleSeconds  *prometheus.HistogramVec
	requests      *prometheus.CounterVec
	errors        *prometheus.CounterVec
	blocksWritten *prometheus.CounterVec
	conflicts     *prometheus.CounterVec
	series        *prometheus.GaugeVec
	lastSuccess   *prometheus.GaugeVec

	mu    gosync.Mutex
	known map[string]bool // sources whose series exist
}

// NewMetrics makes the metrics and registers them with reg; registering
// twice with one registry panics.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	src := []string{"source"}
	m := &Metrics{
		cycleSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "oneonone_sync_cycle_seconds",
			Help:    "How long one sync cycle of a source took.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12), // 50ms … ~100s
		}, src),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oneonone_sync_requests_total",
			Help: "Requests made to a source's server by sync cycles.",
		}, src),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oneonone_sync_errors_total",
			Help: "Sync cycles of a source that ended with an error.",
		}, src),
		blocksWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oneonone_agenda_blocks_written_total",
			Help: "Agenda blocks written into events of a source.",
		}, src),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oneonone_agenda_conflicts_total",
			Help: "Agenda writes that met a changed event (412) and were retried.",
		}, src),
		series: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "oneonone_series_tracked",
			Help: "1:1 series recognised in a source by its last cycle (NaN until a cycle counts them).",
		}, src),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "oneonone_source_last_success_timestamp_seconds",
			Help: "When a source last synced successfully, in Unix seconds; 0 when it never did.",
		}, src),
		known: map[string]bool{},
	}
	reg.MustRegister(m.cycleSeconds, m.requests, m.errors, m.blocksWritten, m.conflicts, m.series, m.lastSuccess)
	return m
}

// Start makes every series exist for each source of statuses (the daemon's
// Status at start, which holds the stored last successes): the counters and
// the histogram at zero, the series gauge NaN (not counted yet), the last
// success from the status (0: never). A source already known keeps its
// values (a reload); one no longer listed loses its series.
func (m *Metrics) Start(statuses []sync.SourceStatus) {
	m.mu.Lock()
	defer m.mu.Unlock()
	listed := map[string]bool{}
	for _, s := range statuses {
		listed[s.Source] = true
		if m.known[s.Source] {
			continue
		}
		m.known[s.Source] = true
		l := prometheus.Labels{"source": s.Source}
		m.cycleSeconds.With(l)
		m.requests.With(l)
		m.errors.With(l)
		m.blocksWritten.With(l)
		m.conflicts.With(l)
		m.series.With(l).Set(math.NaN())
		m.lastSuccess.With(l).Set(unixSeconds(s.LastSuccess))
	}
	for name := range m.known {
		if listed[name] {
			continue
		}
		delete(m.known, name)
		l := prometheus.Labels{"source": name}
		m.cycleSeconds.Delete(l)
		m.requests.Delete(l)
		m.errors.Delete(l)
		m.blocksWritten.Delete(l)
		m.conflicts.Delete(l)
		m.series.Delete(l)
		m.lastSuccess.Delete(l)
	}
}

// unixSeconds is t in Unix seconds, 0 for the zero time.
func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func (m *Metrics) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Cycle records one source's cycle; the daemon calls it after each. Every
// series of the source exists from its first cycle on, zeros included (from
// Start on for the configured sources); a success sets the last success to
// Now. A failed cycle leaves the last success as it was.
// The series gauge keeps its value when a cycle failed before it could
// count (no calendars listed).
func (m *Metrics) Cycle(sum sync.Summary, took time.Duration) {
	l := prometheus.Labels{"source": sum.Source}
	m.mu.Lock()
	m.known[sum.Source] = true
	m.mu.Unlock()
	m.cycleSeconds.With(l).Observe(took.Seconds())
	m.requests.With(l).Add(float64(sum.Requests))
	errs := m.errors.With(l)
	last := m.lastSuccess.With(l)
	if sum.Err != nil {
		errs.Inc()
	} else {
		last.Set(unixSeconds(m.now()))
	}
	m.blocksWritten.With(l).Add(float64(sum.Blocks.Written))
	m.conflicts.With(l).Add(float64(sum.Blocks.Conflicts))
	g := m.series.With(l)
	if sum.Err == nil || sum.Series > 0 || sum.Calendars > 0 {
		g.Set(float64(sum.Series))
	}
}
