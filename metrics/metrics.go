// Package metrics is hvport's Prometheus instrumentation: it owns the
// registry (hvport's own metrics, the Go runtime's and the process's) and
// the collectors, and serves them in the exposition format (GET /metrics,
// routed by handlers). The rooms it measures do not import it: the job
// registry tells it through jobs.Observer, the audit log through
// audit.Options.WriteFailed, the driver's WMI connection is wrapped in a
// wmi.Services that measures each call (WMI), and the handlers call it
// for requests and authentication failures.
//
// Every label value is bounded: route patterns (never paths), methods,
// codes, job kinds and states, WMI method names and return codes, fixed
// reasons. No VM name or id, path or job id is ever a label
// (TestLabelSetsAreBounded).
//
// Every method is safe on a nil *Metrics, which measures nothing.
package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hvport/hvport/jobs"
)

// namespace prefixes every hvport metric.
const namespace = "hvport"

// Buckets, in seconds.
var (
	httpBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	wmiBuckets  = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120}
	// Jobs run from seconds (a verify of a small export) to hours.
	jobBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400}
)

// Metrics holds the registry and hvport's collectors.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler
	names   []string // hvport's own metric names, as exposed (Names)

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	jobsSubmitted *prometheus.CounterVec
	jobsFinished  *prometheus.CounterVec
	jobDuration   *prometheus.HistogramVec
	jobBytes      map[string]*prometheus.CounterVec // phase → copied/hashed/transferred bytes

	wmiMethodCalls    *prometheus.CounterVec
	wmiMethodDuration *prometheus.HistogramVec
	wmiQueries        *prometheus.CounterVec
	wmiQueryDuration  *prometheus.HistogramVec
	hypervJobPolls    *prometheus.CounterVec

	authFailures  *prometheus.CounterVec
	auditFailures *prometheus.CounterVec
	ready         *prometheus.GaugeVec

	mu   sync.Mutex
	load func() (queued, running map[jobs.Kind]int) // guarded by mu; the registry's, collected at scrape
}

// New returns a registry with every hvport metric, the Go runtime's and
// the process's collectors, and build information.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)

	m.httpRequests = m.counter("http_requests_total", "HTTP requests answered, by route pattern (the route table's, never the path; \"unmatched\" for none), method and status code.", "route", "method", "code")
	m.httpDuration = m.histogram("http_request_duration_seconds", "Time to answer an HTTP request, by route pattern and method (event streams and long polls last as long as they follow a job).", httpBuckets, "route", "method")
	m.httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "http_requests_in_flight", Help: "HTTP requests being answered."})
	m.register("http_requests_in_flight", m.httpInFlight)

	m.jobsSubmitted = m.counter("jobs_submitted_total", "Jobs queued, by kind.", "kind")
	m.jobsFinished = m.counter("jobs_finished_total", "Jobs that reached a final state, by kind and state (completed, failed, cancelled).", "kind", "state")
	m.jobDuration = m.histogram("job_duration_seconds", "How long finished jobs ran (from start to end; jobs cancelled while queued are not counted), by kind and final state.", jobBuckets, "kind", "state")
	m.jobBytes = map[string]*prometheus.CounterVec{
		"copying":      m.counter("copied_bytes_total", "Bytes hvport copied (disks an import copies), by job kind.", "kind"),
		"verifying":    m.counter("hashed_bytes_total", "Bytes hvport hashed with SHA-256 (an export's files, verify jobs), by job kind.", "kind"),
		"transferring": m.counter("transferred_bytes_total", "Bytes received from another agent (imports with a source), by job kind.", "kind"),
	}
	m.reg.MustRegister(jobLoad{m})
	m.names = append(m.names, namespace+"_jobs_queued", namespace+"_jobs_running")

	m.wmiMethodCalls = m.counter("wmi_method_calls_total", "WMI method calls (ExecMethod), by namespace, method and return code (\"wmi_error\" when the call itself failed, \"other\" for an undocumented code).", "namespace", "method", "return_code")
	m.wmiMethodDuration = m.histogram("wmi_method_duration_seconds", "Latency of WMI method calls, by namespace and method.", wmiBuckets, "namespace", "method")
	m.wmiQueries = m.counter("wmi_queries_total", "WMI reads, by namespace, operation (ExecQuery, Get) and result (ok, not_found, error).", "namespace", "operation", "result")
	m.wmiQueryDuration = m.histogram("wmi_query_duration_seconds", "Latency of WMI reads, by namespace and operation.", wmiBuckets, "namespace", "operation")
	m.hypervJobPolls = m.counter("hyperv_job_polls_total", "Reads of a Hyper-V job (Msvm_ConcreteJob and other job classes) while following it, by namespace and the JobState read (\"error\" when the read failed).", "namespace", "job_state")

	m.authFailures = m.counter("auth_failures_total", "Requests refused for their credentials, by reason (missing, malformed, unknown, mismatch, expired, certificate, store_error).", "reason")
	m.auditFailures = m.counter("audit_write_failures_total", "Audit records that could not be written, by stage (request, effect, outcome, denied); a failed request or effect record refuses its request.", "stage")
	m.ready = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "readiness_check_ok", Help: "1 when the readiness check passed at its last run, 0 when it failed, by check."}, []string{"check"})
	m.register("readiness_check_ok", m.ready)
	slices.Sort(m.names)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	return m
}

func (m *Metrics) register(name string, c prometheus.Collector) {
	m.reg.MustRegister(c)
	m.names = append(m.names, namespace+"_"+name)
}

func (m *Metrics) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	m.register(name, c)
	return c
}

func (m *Metrics) histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
	m.register(name, h)
	return h
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return m.handler
}

// Gatherer is the registry (tests read it).
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Names lists hvport's own metric names as exposed (a histogram's
// _bucket, _sum and _count series share its name), sorted.
func (m *Metrics) Names() []string { return slices.Clone(m.names) }

// ObserveRequest counts one answered request: route is the route
// table's pattern ("unmatched" for none), never the request's path.
func (m *Metrics) ObserveRequest(route, method string, code int, d time.Duration) {
	if m == nil {
		return
	}
	method = httpMethod(method)
	m.httpRequests.WithLabelValues(route, method, statusCode(code)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

// InFlight adds delta to the requests being answered.
func (m *Metrics) InFlight(delta int) {
	if m != nil {
		m.httpInFlight.Add(float64(delta))
	}
}

// AuthFailed counts a request refused for its credentials.
func (m *Metrics) AuthFailed(reason string) {
	if m != nil {
		m.authFailures.WithLabelValues(oneOf(reason, authReasons)).Inc()
	}
}

// AuditWriteFailed counts an audit record that could not be written
// (audit.Options.WriteFailed).
func (m *Metrics) AuditWriteFailed(stage string) {
	if m != nil {
		m.auditFailures.WithLabelValues(oneOf(stage, auditStages)).Inc()
	}
}

// SetReady records a readiness check's last result.
func (m *Metrics) SetReady(check string, ok bool) {
	if m == nil {
		return
	}
	v := 0.0
	if ok {
		v = 1
	}
	m.ready.WithLabelValues(check).Set(v)
}

// The bounded label values.
var (
	httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	jobKinds    = []string{string(jobs.KindExport), string(jobs.KindImport), string(jobs.KindVerify)}
	finalStates = []string{string(jobs.Completed), string(jobs.Failed), string(jobs.Cancelled)}
	authReasons = []string{"missing", "malformed", "unknown", "mismatch", "expired", "certificate", "store_error"}
	auditStages = []string{"request", "effect", "outcome", "denied"}
)

// oneOf is v when it is one of allowed, else "other".
func oneOf(v string, allowed []string) string {
	if slices.Contains(allowed, v) {
		return v
	}
	return "other"
}

func httpMethod(m string) string { return oneOf(m, httpMethods) }

func statusCode(c int) string {
	if c < 100 || c > 599 {
		return "other"
	}
	return strconv.Itoa(c)
}

// jobLoad collects the running and queued gauges from the job registry
// at scrape time: they cannot drift from what the registry holds.
type jobLoad struct{ m *Metrics }

var (
	jobsQueuedDesc  = prometheus.NewDesc(namespace+"_jobs_queued", "Jobs waiting for a worker or for their VM, by kind.", []string{"kind"}, nil)
	jobsRunningDesc = prometheus.NewDesc(namespace+"_jobs_running", "Jobs running (or cancelling), by kind.", []string{"kind"}, nil)
)

func (l jobLoad) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsQueuedDesc
	ch <- jobsRunningDesc
}

func (l jobLoad) Collect(ch chan<- prometheus.Metric) {
	l.m.mu.Lock()
	load := l.m.load
	l.m.mu.Unlock()
	queued, running := map[jobs.Kind]int{}, map[jobs.Kind]int{}
	if load != nil {
		queued, running = load()
	}
	// Every kind, zero included, so a dashboard's series do not vanish.
	for _, k := range jobKinds {
		ch <- prometheus.MustNewConstMetric(jobsQueuedDesc, prometheus.GaugeValue, float64(queued[jobs.Kind(k)]), k)
		ch <- prometheus.MustNewConstMetric(jobsRunningDesc, prometheus.GaugeValue, float64(running[jobs.Kind(k)]), k)
	}
}
