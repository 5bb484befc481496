package service

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/permsync/permsync/engine"
	"github.com/permsync/permsync/plan"
	"github.com/permsync/permsync/provider/youdata/apiclient"
)

// Metric names, as /metrics shows them.
const (
	MetricRuns          = "permsync_runs_total"
	MetricRunDuration   = "permsync_run_duration_seconds"
	MetricPlanned       = "permsync_changes_planned_total"
	MetricApplied       = "permsync_changes_applied_total"
	MetricFailed        = "permsync_changes_failed_total"
	MetricAPICalls      = "permsync_api_calls_total"
	MetricDrift         = "permsync_drift_changes"
	MetricRefusals      = "permsync_refusals"
	MetricLastSuccess   = "permsync_last_success_timestamp_seconds"
	MetricLastRun       = "permsync_last_run_timestamp_seconds"
	MetricRunInProgress = "permsync_run_in_progress"
	MetricRunStuck      = "permsync_run_stuck"
)

// Metrics are the service's Prometheus metrics, on a registry of their own
// (never the global default one).
type Metrics struct {
	reg         *prometheus.Registry
	runs        *prometheus.CounterVec
	duration    prometheus.Histogram
	planned     *prometheus.CounterVec
	applied     *prometheus.CounterVec
	failed      *prometheus.CounterVec
	calls       *prometheus.CounterVec
	drift       prometheus.Gauge
	refusals    prometheus.Gauge
	lastSuccess prometheus.Gauge
	lastRun     prometheus.Gauge
	inProgress  prometheus.Gauge
	stuck       prometheus.Gauge

	// callTotal counts API calls, for the per-run count of the summary.
	callTotal atomic.Int64
}

// NewMetrics makes the metrics and their registry, with the Go runtime
// and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRuns,
			Help: "Reconciliation runs by result (success, failed, refused, locked, interrupted, timed_out, skipped_overlap).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    MetricRunDuration,
			Help:    "Duration of the reconciliation runs that started, in seconds.",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800},
		}),
		planned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricPlanned,
			Help: "Changes planned, by kind and action, summed over runs.",
		}, []string{"kind", "action"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricApplied,
			Help: "Changes applied, by kind and action.",
		}, []string{"kind", "action"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricFailed,
			Help: "Changes whose apply failed, by kind and action.",
		}, []string{"kind", "action"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricAPICalls,
			Help: "HTTP attempts to the BI server, by endpoint and result (ok, api_error, http_5xx, timeout, ...).",
		}, []string{"endpoint", "result"}),
		drift: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: MetricDrift,
			Help: "Changes the last run that planned found between the files and the server (0: in sync).",
		}),
		refusals: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: MetricRefusals,
			Help: "Refusals (e.g. maxDeletes exceeded) in the plan of the last run that planned; such a plan waits for a person.",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: MetricLastSuccess,
			Help: "Unix time of the end of the last successful run (0: none yet).",
		}),
		lastRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: MetricLastRun,
			Help: "Unix time of the end of the last run, whatever its result (0: none yet).",
		}),
		inProgress: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: MetricRunInProgress,
			Help: "1 while a run is in progress.",
		}),
		stuck: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: MetricRunStuck,
			Help: "1 while the run in progress has passed its deadline (--run-timeout), was cancelled and has not returned; /readyz fails meanwhile.",
		}),
	}
	m.reg.MustRegister(m.runs, m.duration, m.planned, m.applied, m.failed, m.calls,
		m.drift, m.refusals, m.lastSuccess, m.lastRun, m.inProgress, m.stuck,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every result shows from the start, so rate() and alerts see zeros.
	for _, r := range Results {
		m.runs.WithLabelValues(string(r))
	}
	return m
}

// Registry is the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveCall counts one HTTP attempt; it is meant as apiclient.Config's
// Observe.
func (m *Metrics) ObserveCall(ci apiclient.CallInfo) {
	m.calls.WithLabelValues(ci.Endpoint, ci.Result).Inc()
	m.callTotal.Add(1)
}

// callCount is the number of API calls observed so far.
func (m *Metrics) callCount() int64 { return m.callTotal.Load() }

// skipped counts a run that was not started.
func (m *Metrics) skipped(r Result) { m.runs.WithLabelValues(string(r)).Inc() }

// record records a run that ran.
func (m *Metrics) record(rep *Report, d time.Duration, end time.Time) {
	m.runs.WithLabelValues(string(rep.Result)).Inc()
	m.duration.Observe(d.Seconds())
	m.lastRun.Set(float64(end.Unix()))
	if rep.Result == ResultSuccess {
		m.lastSuccess.Set(float64(end.Unix()))
	}
	m.recordChanges(rep)
}

// recordChanges records what a run planned and applied.
func (m *Metrics) recordChanges(rep *Report) {
	if rep.Plan != nil {
		m.drift.Set(float64(len(rep.Plan.Changes)))
		m.refusals.Set(float64(len(rep.Plan.Refusals)))
		for _, c := range rep.Plan.Changes {
			m.planned.WithLabelValues(string(c.Kind), string(c.Action)).Inc()
		}
	}
	if rep.Apply != nil {
		for _, cr := range rep.Apply.Changes {
			switch cr.Status {
			case engine.StatusApplied:
				m.applied.WithLabelValues(string(cr.Change.Kind), string(cr.Change.Action)).Inc()
			case engine.StatusFailed:
				m.failed.WithLabelValues(string(cr.Change.Kind), string(cr.Change.Action)).Inc()
			}
		}
	}
}

// countByKind counts changes by "kind action", for the summary line.
func countByKind(cs []plan.Change) map[string]int {
	n := map[string]int{}
	for _, c := range cs {
		n[string(c.Kind)+" "+string(c.Action)]++
	}
	return n
}
