package handlers_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/handlers"
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// scrape reads GET /metrics with token and parses it.
func (e *env) scrape(token string) ([]byte, map[string]*dto.MetricFamily) {
	e.t.Helper()
	status, h, body := e.sendAs(token, "GET", "/metrics", "")
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		e.t.Fatalf("GET /metrics = %d %s: %.300s", status, h.Get("Content-Type"), body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		e.t.Fatalf("the exposition does not parse: %v", err)
	}
	return body, fams
}

// value is the sample of family fam whose labels include want (summed
// over the others; a histogram's count).
func value(fams map[string]*dto.MetricFamily, fam string, want map[string]string) float64 {
	f := fams[fam]
	if f == nil {
		return 0
	}
	total := 0.0
	for _, m := range f.GetMetric() {
		ok := true
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			ok = ok && found
		}
		if !ok {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Histogram != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total
}

// labelRules say, per hvport metric, which labels it has and what each
// label's values may be: a closed set or a pattern, never a VM name or
// id, a path or a job id.
var labelRules = func() map[string]map[string]*regexp.Regexp {
	routes := []string{"unmatched"}
	for k := range handlers.RoutePermissions() {
		_, pattern, _ := strings.Cut(k, " ")
		routes = append(routes, regexp.QuoteMeta(pattern))
	}
	set := func(vs ...string) *regexp.Regexp { return regexp.MustCompile("^(" + strings.Join(vs, "|") + ")$") }
	var (
		route      = set(routes...)
		httpMethod = set("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other")
		code       = regexp.MustCompile(`^[1-5][0-9][0-9]$`)
		kind       = set("export", "import", "verify", "other")
		state      = set("completed", "failed", "cancelled", "other")
		namespace  = set(regexp.QuoteMeta(wmi.NamespaceV2), regexp.QuoteMeta(wmi.NamespaceV1))
		wmiMethod  = regexp.MustCompile(`^([A-Z][A-Za-z]+|other)$`)
		returnCode = regexp.MustCompile(`^([0-9]{1,5}|wmi_error|other)$`)
		operation  = set("ExecQuery", "Get")
		result     = set("ok", "not_found", "error")
		jobState   = set("new", "starting", "running", "suspended", "shutting_down", "completed", "terminated", "killed",
			"exception", "service", "query_pending", "completed_with_warnings", "other", "error")
		reason = set("missing", "malformed", "unknown", "mismatch", "expired", "certificate", "store_error", "other")
		stage  = set("request", "effect", "outcome", "denied", "other")
		check  = set("wmi", "data-dir", "audit-log", "job-store")
	)
	type L = map[string]*regexp.Regexp
	return map[string]L{
		"hvport_http_requests_total":           {"route": route, "method": httpMethod, "code": code},
		"hvport_http_request_duration_seconds": {"route": route, "method": httpMethod},
		"hvport_http_requests_in_flight":       {},
		"hvport_jobs_submitted_total":          {"kind": kind},
		"hvport_jobs_finished_total":           {"kind": kind, "state": state},
		"hvport_job_duration_seconds":          {"kind": kind, "state": state},
		"hvport_jobs_queued":                   {"kind": kind},
		"hvport_jobs_running":                  {"kind": kind},
		"hvport_copied_bytes_total":            {"kind": kind},
		"hvport_hashed_bytes_total":            {"kind": kind},
		"hvport_transferred_bytes_total":       {"kind": kind},
		"hvport_wmi_method_calls_total":        {"namespace": namespace, "method": wmiMethod, "return_code": returnCode},
		"hvport_wmi_method_duration_seconds":   {"namespace": namespace, "method": wmiMethod},
		"hvport_wmi_queries_total":             {"namespace": namespace, "operation": operation, "result": result},
		"hvport_wmi_query_duration_seconds":    {"namespace": namespace, "operation": operation},
		"hvport_hyperv_job_polls_total":        {"namespace": namespace, "job_state": jobState},
		"hvport_auth_failures_total":           {"reason": reason},
		"hvport_audit_write_failures_total":    {"stage": stage},
		"hvport_readiness_check_ok":            {"check": check},
	}
}()

// GET /metrics, after exports, a verify, a copy import, a cancel,
// refused credentials, a refused audit record and probes: every hvport
// metric is there with the labels its rule allows and values from closed
// sets — no VM name or id, job or export id, token id or path in any
// label of any metric — the numbers add up, and the exposition passes
// Prometheus' own checks (promlint always, promtool check metrics when
// installed; HVPORT_REQUIRE_PROMTOOL=1 makes its absence fail).
func TestMetricsLabelSetsAreBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	reader := e.token("prometheus", auth.Reader)

	dir := exportVM(t, e, "web-01", "web")
	vmRoot, vhdRoot := filepath.Join(e.root, "..", "vms"), filepath.Join(e.root, "..", "vhds")
	imp := finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"generateNewId": true, "createCopy": true, "name": "web-01-copy", "targetVmDataRoot": %q, "targetSnapshotDataRoot": %q, "targetVhdDataRoot": %q}}`,
		dir, vmRoot, vmRoot, vhdRoot)).ID)
	if imp.State != "completed" {
		t.Fatalf("import = %+v", imp)
	}
	var exps api.List[api.Export]
	e.getJSON("/v1/exports", 200, &exps)
	var verify api.Job
	e.postJSON("/v1/exports/"+exps.Items[0].ID+"/verify", "", http.StatusAccepted, &verify)
	finalJob(e, verify.ID)
	// A cancelled export.
	e.host.SetDiskQuota(0)
	slow := e.startExport("db-01", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "db")))
	e.do("POST", "/v1/jobs/"+slow.ID+"/cancel", "", "")
	finalJob(e, slow.ID)
	// Refused credentials, on a known route and an unknown one.
	for _, a := range []string{"", "Basic eDp5", "Bearer hvp_aaaaaaaaaa_" + strings.Repeat("b", 52), "Bearer hvp_" + auth.TokenID(e.admin) + "_" + strings.Repeat("c", 52)} {
		for _, path := range []string{"/v1/vms/web-01", "/v1/no-such-route/C0FFEE01"} {
			req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
			if a != "" {
				req.Header.Set("Authorization", a)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	e.do("GET", "/v1/vms/no-such-vm", "", "")
	e.do("GET", "/readyz", "", "")
	// A refused audit record: the log's path becomes a directory (the
	// readiness check notices the open file is gone and lets it go).
	os.Remove(e.audit)
	os.Mkdir(e.audit, 0o700)
	e.do("GET", "/readyz", "", "")
	if s, _, b := e.do("POST", "/v1/tokens", "application/json", `{"name": "x", "role": "reader"}`); s != 503 {
		t.Fatalf("token with a broken audit log = %d %s", s, b)
	}
	e.do("GET", "/readyz", "", "")

	body, fams := e.scrape(reader)

	// Every hvport metric has a rule and every rule a metric.
	for _, name := range e.metrics.Names() {
		if labelRules[name] == nil {
			t.Errorf("metric %s has no label rule in this test: add one", name)
		}
	}
	for name := range labelRules {
		if !slices.Contains(e.metrics.Names(), name) {
			t.Errorf("rule for %s, which metrics does not define", name)
		}
	}
	// Nothing that names a VM, a job, an export, a token or a path.
	forbidden := []string{"web-01", "db-01", "build-agent", strings.ToLower(sim.DemoWeb01ID), sim.DemoWeb01ID, sim.DemoDB01ID, imp.ID, verify.ID, slow.ID,
		exps.Items[0].ID, auth.TokenID(e.admin), auth.TokenID(reader), e.root, e.dataDir, "C0FFEE01"}
	for name, f := range fams {
		rules, ours := labelRules[name]
		if strings.HasPrefix(name, "hvport_") && !ours {
			t.Errorf("metric %s is exposed but has no label rule", name)
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				for _, bad := range forbidden {
					if strings.Contains(l.GetValue(), bad) {
						t.Errorf("%s{%s=%q} names %q", name, l.GetName(), l.GetValue(), bad)
					}
				}
				if !ours {
					continue
				}
				re, allowed := rules[l.GetName()]
				switch {
				case !allowed:
					t.Errorf("%s has label %s, not in its rule", name, l.GetName())
				case !re.MatchString(l.GetValue()):
					t.Errorf("%s{%s=%q}: not an allowed value (%s)", name, l.GetName(), l.GetValue(), re)
				}
			}
		}
	}

	for _, c := range []struct {
		fam  string
		want map[string]string
	}{
		{"hvport_http_requests_total", map[string]string{"route": "/v1/vms/{vm}/exports", "method": "POST", "code": "202"}},
		{"hvport_http_requests_total", map[string]string{"route": "/v1/vms/{vm}", "code": "401"}},
		{"hvport_http_requests_total", map[string]string{"route": "unmatched", "code": "401"}},
		{"hvport_http_requests_total", map[string]string{"route": "/v1/vms/{vm}", "code": "404"}},
		{"hvport_http_request_duration_seconds", map[string]string{"route": "/v1/jobs/{id}", "method": "GET"}},
		{"hvport_jobs_submitted_total", map[string]string{"kind": "export"}},
		{"hvport_jobs_finished_total", map[string]string{"kind": "export", "state": "completed"}},
		{"hvport_jobs_finished_total", map[string]string{"kind": "export", "state": "cancelled"}},
		{"hvport_jobs_finished_total", map[string]string{"kind": "import", "state": "completed"}},
		{"hvport_jobs_finished_total", map[string]string{"kind": "verify", "state": "completed"}},
		{"hvport_job_duration_seconds", map[string]string{"kind": "import", "state": "completed"}},
		{"hvport_copied_bytes_total", map[string]string{"kind": "import"}},
		{"hvport_hashed_bytes_total", map[string]string{"kind": "export"}},
		{"hvport_hashed_bytes_total", map[string]string{"kind": "verify"}},
		{"hvport_wmi_method_calls_total", map[string]string{"method": "ExportSystemDefinition", "return_code": "4096", "namespace": wmi.NamespaceV2}},
		{"hvport_wmi_method_duration_seconds", map[string]string{"method": "ImportSystemDefinition"}},
		{"hvport_wmi_queries_total", map[string]string{"operation": "ExecQuery", "result": "ok"}},
		{"hvport_hyperv_job_polls_total", map[string]string{"job_state": "completed"}},
		{"hvport_auth_failures_total", map[string]string{"reason": "missing"}},
		{"hvport_auth_failures_total", map[string]string{"reason": "malformed"}},
		{"hvport_auth_failures_total", map[string]string{"reason": "unknown"}},
		{"hvport_auth_failures_total", map[string]string{"reason": "mismatch"}},
		{"hvport_audit_write_failures_total", map[string]string{"stage": "request"}},
		{"go_goroutines", nil},
		{"process_cpu_seconds_total", nil},
	} {
		if value(fams, c.fam, c.want) <= 0 {
			t.Errorf("%s%v = 0, want more", c.fam, c.want)
		}
	}
	if n := value(fams, "hvport_auth_failures_total", map[string]string{"reason": "missing"}); n != 2 {
		t.Errorf("missing credentials counted %v times, want 2", n)
	}
	// Hashing an export hashes each of its bytes once; verifying it once more.
	if h, v := value(fams, "hvport_hashed_bytes_total", map[string]string{"kind": "export"}), value(fams, "hvport_hashed_bytes_total", map[string]string{"kind": "verify"}); h < float64(exps.Items[0].TotalBytes) || v != float64(exps.Items[0].TotalBytes) {
		t.Errorf("hashed bytes: export %v, verify %v; the export has %d", h, v, exps.Items[0].TotalBytes)
	}
	if c := value(fams, "hvport_copied_bytes_total", nil); c != float64(imp.BytesTotal) {
		t.Errorf("copied bytes %v, the import copied %d", c, imp.BytesTotal)
	}
	if v := value(fams, "hvport_readiness_check_ok", nil); v != 0 {
		// The handler does not set readiness gauges: cmd/server's watcher does.
		t.Logf("readiness gauges: %v", v)
	}
	if q, r := value(fams, "hvport_jobs_queued", nil), value(fams, "hvport_jobs_running", nil); q != 0 || r != 0 {
		t.Errorf("queued %v, running %v after every job ended", q, r)
	}

	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	promtoolCheck(t, body)
}

// promtoolCheck runs Prometheus' `promtool check metrics` on an
// exposition. Without promtool it says so and skips that check, unless
// HVPORT_REQUIRE_PROMTOOL=1 (CI installs Debian's prometheus package).
func promtoolCheck(t *testing.T, exposition []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("HVPORT_REQUIRE_PROMTOOL") == "1" {
			t.Fatal("promtool is not installed and HVPORT_REQUIRE_PROMTOOL=1: apt-get install prometheus")
		}
		t.Log("promtool not found: `promtool check metrics` skipped (apt-get install prometheus to run it; promlint ran)")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
