package metrics

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/jobs"
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// scrape serves the metrics once and returns the exposition.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("metrics = %d", rec.Code)
	}
	return rec.Body.String()
}

// The WMI wrapper counts a method call by method and return code, reads
// by operation and result, and reads of a Hyper-V job as polls with the
// state read; the calls themselves go through unchanged.
func TestWMIIsMeasured(t *testing.T) {
	host, err := sim.New(sim.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	raw, err := host.Services(wmi.NamespaceV2)
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	svc := m.WMI(raw)
	if svc.Namespace() != raw.Namespace() {
		t.Fatal("namespace changed")
	}
	drv, err := hyperv.New(svc, hyperv.Options{PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := drv.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Get(ctx, `\\HOST\root\virtualization\v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="nope"`); !wmi.IsNotFound(err) {
		t.Fatalf("get of a missing VM: %v", err)
	}
	if _, err := svc.Get(ctx, `\\HOST\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="nope"`); err == nil {
		t.Fatal("a missing job was found")
	}
	vsms, err := svc.ExecQuery(ctx, "SELECT * FROM "+wmi.ClassManagementService)
	if err != nil || len(vsms) == 0 {
		t.Fatal(err)
	}
	// A method that fails: the simulator's answer to a bad argument.
	out, err := svc.ExecMethod(ctx, vsms[0].Path, "DestroySystem", wmi.Params{"AffectedSystem": `\\HOST\root\virtualization\v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="nope"`})
	code := "wmi_error"
	if err == nil {
		code = returnCode(wmi.ReturnValue(out))
	}
	text := scrape(t, m)
	for _, want := range []string{
		`hvport_wmi_queries_total{namespace="root\\virtualization\\v2",operation="ExecQuery",result="ok"} 2`,
		`hvport_wmi_queries_total{namespace="root\\virtualization\\v2",operation="Get",result="not_found"} 2`,
		`hvport_hyperv_job_polls_total{job_state="error",namespace="root\\virtualization\\v2"} 1`,
		`hvport_wmi_method_calls_total{method="DestroySystem",namespace="root\\virtualization\\v2",return_code="` + code + `"} 1`,
		`hvport_wmi_method_duration_seconds_count{method="DestroySystem",namespace="root\\virtualization\\v2"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
}

// A transport that writes embedded instances itself keeps doing so
// through the wrapper (wmi.Embed looks for it); one that does not, does
// not seem to.
func TestWMIKeepsTheInstanceTexter(t *testing.T) {
	m := New()
	if _, ok := m.WMI(fakeServices{}).(wmi.InstanceTexter); ok {
		t.Fatal("the wrapper claims a texter the transport lacks")
	}
	w := m.WMI(texter{})
	tx, ok := w.(wmi.InstanceTexter)
	if !ok {
		t.Fatal("the wrapper hides the transport's texter")
	}
	if s, err := tx.InstanceText(context.Background(), &wmi.Object{}); s != "text" || err != nil {
		t.Fatalf("InstanceText = %q %v", s, err)
	}
	var nilM *Metrics
	if nilM.WMI(fakeServices{}) != (fakeServices{}) {
		t.Fatal("a nil Metrics wraps")
	}
}

type fakeServices struct{}

func (fakeServices) Namespace() string { return wmi.NamespaceV2 }
func (fakeServices) ExecQuery(context.Context, string) ([]*wmi.Object, error) {
	return nil, nil
}
func (fakeServices) Get(context.Context, string) (*wmi.Object, error) { return nil, nil }
func (fakeServices) ExecMethod(context.Context, string, string, wmi.Params) (*wmi.Object, error) {
	return nil, nil
}

type texter struct{ fakeServices }

func (texter) InstanceText(context.Context, *wmi.Object) (string, error) { return "text", nil }

// Unknown label values become "other": nothing a caller or a stored
// record holds becomes a label of its own.
func TestLabelValuesAreClosed(t *testing.T) {
	m := New()
	m.AuthFailed("something new")
	m.AuditWriteFailed("")
	m.ObserveRequest("/v1/vms", "BREW", 999, time.Millisecond)
	m.JobSubmitted("mystery")
	now := time.Now()
	m.JobFinished(jobs.Snapshot{Kind: "mystery", State: "odd", StartedAt: &now, FinishedAt: &now})
	m.JobBytes("export", "exporting", 100) // Hyper-V's own bytes: not counted
	for _, c := range []struct{ in, want string }{{"Export_System2", "Export_System2"}, {"2bad", "other"}, {"a b", "other"}, {"", "other"}} {
		if got := methodName(c.in); got != c.want {
			t.Errorf("methodName(%q) = %q", c.in, got)
		}
	}
	for _, c := range []struct {
		in   uint32
		want string
	}{{0, "0"}, {4096, "4096"}, {32775, "32775"}, {7, "other"}, {123456, "other"}} {
		if got := returnCode(c.in); got != c.want {
			t.Errorf("returnCode(%d) = %q", c.in, got)
		}
	}
	if jobState(wmi.JobCompletedWithWarnings) != "completed_with_warnings" || jobState(99) != "other" {
		t.Error("job states")
	}
	text := scrape(t, m)
	for _, want := range []string{
		`hvport_auth_failures_total{reason="other"} 1`,
		`hvport_audit_write_failures_total{stage="other"} 1`,
		`hvport_http_requests_total{code="other",method="other",route="/v1/vms"} 1`,
		`hvport_jobs_submitted_total{kind="other"} 1`,
		`hvport_jobs_finished_total{kind="other",state="other"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(text, "hvport_copied_bytes_total{") || strings.Contains(text, "mystery") || strings.Contains(text, "BREW") {
		t.Error("an unbounded value became a label")
	}
	// A nil Metrics measures nothing and does not panic.
	var nilM *Metrics
	nilM.AuthFailed("x")
	nilM.ObserveRequest("/", "GET", 200, 0)
	nilM.JobFinished(jobs.Snapshot{})
	nilM.SetReady("wmi", true)
	nilM.InFlight(1)
}

// Every metric, observed once, passes promlint (what promtool check
// metrics runs); the gauges of the job registry read it at each scrape.
func TestExpositionPassesPromlint(t *testing.T) {
	m := New()
	m.ObserveRequest("/v1/vms", "GET", 200, time.Millisecond)
	m.InFlight(1)
	m.JobSubmitted(jobs.KindExport)
	now := time.Now()
	m.JobFinished(jobs.Snapshot{Kind: jobs.KindExport, State: jobs.Completed, StartedAt: &now, FinishedAt: &now})
	for _, p := range []string{"copying", "verifying", "transferring"} {
		m.JobBytes(jobs.KindImport, p, 10)
	}
	m.AuthFailed("missing")
	m.AuditWriteFailed("request")
	m.SetReady("wmi", true)
	w := m.WMI(fakeServices{})
	ctx := context.Background()
	w.ExecQuery(ctx, "SELECT * FROM Msvm_ComputerSystem")
	w.Get(ctx, `\\H\root\virtualization\v2:Msvm_ConcreteJob.InstanceID="j"`)
	w.ExecMethod(ctx, "x", "RequestStateChange", nil)
	reg := jobs.New(jobs.Options{})
	defer reg.Shutdown(context.Background())
	m.WatchJobs(reg)
	release := make(chan struct{})
	started := make(chan struct{})
	s, _ := reg.Submit(jobs.Spec{Kind: jobs.KindVerify}, func(ctx context.Context, r jobs.Reporter) error { close(started); <-release; return nil })
	<-started
	text := scrape(t, m)
	close(release)
	reg.Wait(context.Background(), s.ID)
	if !strings.Contains(text, `hvport_jobs_running{kind="verify"} 1`) || !strings.Contains(text, `hvport_jobs_queued{kind="export"} 0`) {
		t.Errorf("job gauges:\n%s", grep(text, "hvport_jobs_"))
	}
	problems, err := promlint.New(strings.NewReader(text)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	for _, name := range m.Names() {
		if !strings.Contains(text, "# TYPE "+name+" ") {
			t.Errorf("%s is not exposed once observed", name)
		}
	}
}

func grep(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The sample Grafana dashboard uses only metrics this server serves: each
// metric name in a panel's query is one of hvport's (a histogram through
// its _bucket, _sum or _count series) or one the Go and process
// collectors expose here.
func TestDashboardUsesOnlyServedMetrics(t *testing.T) {
	b, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	m := New()
	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, n := range m.Names() {
		served[n] = true
	}
	for _, f := range fams {
		served[f.GetName()] = true
	}
	histograms := map[string]bool{}
	for _, n := range m.Names() {
		if strings.HasSuffix(n, "_seconds") {
			histograms[n] = true
		}
	}
	name := regexp.MustCompile(`\b(?:hvport|go|process)_[a-z0-9_]+\b`)
	var exprs []string
	panels := 0
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		panels++
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	used := map[string]bool{}
	for _, e := range exprs {
		for _, n := range name.FindAllString(e, -1) {
			base := n
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(n, suffix); ok && histograms[b] {
					base = b
				}
			}
			if !served[base] {
				t.Errorf("the dashboard uses %s, which this server does not serve", n)
			}
			used[base] = true
		}
	}
	if panels < 10 {
		t.Fatalf("only %d panels", panels)
	}
	// Each of hvport's own metrics has a panel.
	for _, n := range m.Names() {
		if !used[n] {
			t.Errorf("no panel shows %s", n)
		}
	}
}
