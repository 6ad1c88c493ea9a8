package web

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"oneonone/sync"
)

// Metrics are the daemon's Prometheus metrics, per source. *Metrics is the
// daemon's observer of cycles.
type Metrics struct {
	cycleSeconds  *prometheus.HistogramVec
	requests      *prometheus.CounterVec
	errors        *prometheus.CounterVec
	blocksWritten *prometheus.CounterVec
	conflicts     *prometheus.CounterVec
	series        *prometheus.GaugeVec
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
			Help: "1:1 series recognised in a source by its last cycle.",
		}, src),
	}
	reg.MustRegister(m.cycleSeconds, m.requests, m.errors, m.blocksWritten, m.conflicts, m.series)
	return m
}

// Cycle records one source's cycle; the daemon calls it after each. Every
// series of the source appears from its first cycle on, zeros included.
// The series gauge keeps its value when a cycle failed before it could
// count (no calendars listed).
func (m *Metrics) Cycle(sum sync.Summary, took time.Duration) {
	l := prometheus.Labels{"source": sum.Source}
	m.cycleSeconds.With(l).Observe(took.Seconds())
	m.requests.With(l).Add(float64(sum.Requests))
	errs := m.errors.With(l)
	if sum.Err != nil {
		errs.Inc()
	}
	m.blocksWritten.With(l).Add(float64(sum.Blocks.Written))
	m.conflicts.With(l).Add(float64(sum.Blocks.Conflicts))
	g := m.series.With(l)
	if sum.Err == nil || sum.Series > 0 || sum.Calendars > 0 {
		g.Set(float64(sum.Series))
	}
}
