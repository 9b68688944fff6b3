package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"go.yaml.in/yaml/v3"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/handlers"
	"github.com/hvport/hvport/internal/readiness"
	"github.com/hvport/hvport/wmi"
)

// failingWMI fails every query while fail is set: a host whose WMI
// service stopped answering.
type failingWMI struct {
	wmi.Services
	fail *atomic.Bool
}

func (f failingWMI) ExecQuery(ctx context.Context, wql string) ([]*wmi.Object, error) {
	if f.fail.Load() {
		return nil, &wmi.Error{Op: "ExecQuery", Path: wql, HResult: wmi.WBEMTransportFailure, Msg: "the RPC server is unavailable"}
	}
	return f.Services.ExecQuery(ctx, wql)
}

type probe struct {
	Status string `json:"status"`
	Checks []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"checks"`
}

// readyz asks GET /readyz?verbose as token ("" = none) and returns the
// status code and the answer.
func (e *env) readyz(token string) (int, probe) {
	e.t.Helper()
	status, _, body := e.sendAs(token, "GET", "/readyz?verbose", "")
	var p probe
	if err := json.Unmarshal(body, &p); err != nil {
		e.t.Fatalf("readyz = %d %s: %v", status, body, err)
	}
	return status, p
}

// failedChecks lists the checks a verbose probe says failed.
func failedChecks(p probe) []string {
	var out []string
	for _, c := range p.Checks {
		if c.Status != "ok" {
			out = append(out, c.Name)
		}
	}
	return out
}

// GET /readyz fails with each dependency failing in turn — the WMI
// backend, the data directory, the audit log, the job store — and passes
// again when it recovers (all but the job store, which does not reopen).
// Without credentials it says only ok or unavailable; ?verbose lists the
// checks for a reader, never why they failed; GET /healthz stays 200.
func TestReadinessWithEachDependencyFailing(t *testing.T) {
	t.Parallel()
	var wmiDown atomic.Bool
	e := newEnv(t, envOptions{wrapWMI: func(s wmi.Services) wmi.Services { return failingWMI{s, &wmiDown} }})
	reader := e.token("probe-reader", auth.Reader)
	grant, _ := func() (string, error) {
		_, tok, err := e.tokens.CreateGrant(auth.GrantRequest{Export: "x", ExpiresIn: 3600e9})
		return tok, err
	}()

	expect := func(step string, failed ...string) {
		t.Helper()
		status, p := e.readyz(reader)
		wantStatus, wantWord := http.StatusOK, "ok"
		if len(failed) > 0 {
			wantStatus, wantWord = http.StatusServiceUnavailable, "unavailable"
		}
		got := failedChecks(p)
		if status != wantStatus || p.Status != wantWord || len(p.Checks) != 4 || strings.Join(got, ",") != strings.Join(failed, ",") {
			t.Fatalf("%s: readyz = %d %+v, want %d with %v failing", step, status, p, wantStatus, failed)
		}
		// A stranger, and a grant, learn the status only.
		for _, who := range []string{"", grant} {
			s, anon := e.readyz(who)
			if s != wantStatus || anon.Status != wantWord || anon.Checks != nil {
				t.Fatalf("%s: readyz without reader credentials = %d %+v", step, s, anon)
			}
		}
		status, _, body := e.sendAs("", "GET", "/healthz?verbose", "")
		if status != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
			t.Fatalf("%s: healthz = %d %s", step, status, body)
		}
	}
	expect("all well")

	wmiDown.Store(true)
	expect("WMI down", "wmi")
	wmiDown.Store(false)
	expect("WMI back")

	if err := os.Remove(e.readyDir); err != nil {
		t.Fatal(err)
	}
	expect("data directory gone", "data-dir")
	if err := os.Mkdir(e.readyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	expect("data directory back")

	// The audit log replaced by a directory: unwritable, even for root.
	if err := os.Remove(e.audit); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(e.audit, 0o700); err != nil {
		t.Fatal(err)
	}
	expect("audit log unwritable", "audit-log")
	if err := os.Remove(e.audit); err != nil {
		t.Fatal(err)
	}
	expect("audit log back")

	if err := e.jobs.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	expect("job registry shut down", "job-store")

	// Everything failing at once, and no detail leaks: no error text, no
	// path, no host.
	wmiDown.Store(true)
	os.Remove(e.readyDir)
	_, _, body := e.sendAs(reader, "GET", "/readyz?verbose", "")
	for _, leak := range []string{e.dataDir, e.readyDir, "RPC", "0x8", "shut down", "Hyper-V"} {
		if strings.Contains(string(body), leak) {
			t.Fatalf("readyz says %q: %s", leak, body)
		}
	}
}

// Every answer carries its own X-Request-Id (a client's is not taken),
// the request's log line and audit records carry it, and a job names the
// request that created it.
func TestRequestIDsLinkAnswersLogsAuditAndJobs(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.DebugLevel)
	e := newEnv(t, envOptions{logger: zap.New(core)})
	seen := map[string]bool{}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	for _, c := range []struct{ token, path string }{{e.admin, "/v1/vms"}, {"", "/v1/vms"}, {e.admin, "/v1/nope"}, {"", "/healthz"}} {
		req, _ := http.NewRequest("GET", e.srv.URL+c.path, nil)
		req.Header.Set("X-Request-Id", "client-chosen")
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get(handlers.RequestIDHeader)
		if !uuid.MatchString(id) || seen[id] {
			t.Fatalf("%s: X-Request-Id %q (a fresh UUIDv7 expected)", c.path, id)
		}
		seen[id] = true
	}

	dir := filepath.Join(e.root, "traced")
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/vms/web-01/exports", strings.NewReader(fmt.Sprintf(`{"directory": %q}`, dir)))
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var j api.Job
	json.NewDecoder(resp.Body).Decode(&j)
	resp.Body.Close()
	rid := resp.Header.Get(handlers.RequestIDHeader)
	if resp.StatusCode != 202 || j.RequestID == nil || *j.RequestID != rid {
		t.Fatalf("job %+v (status %d) does not name its request %q", j, resp.StatusCode, rid)
	}
	final := finalJob(e, j.ID)
	if final.RequestID == nil || *final.RequestID != rid {
		t.Fatalf("finished job's requestId = %v, want %s", final.RequestID, rid)
	}
	records := readAudit(t, e.audit)
	n := 0
	for _, r := range records {
		if r.RequestID == rid {
			n++
		}
	}
	if n != 3 { // request, effect, outcome
		t.Fatalf("%d audit records with the request's id %s: %+v", n, rid, records)
	}
	lines := logs.FilterMessage("request").FilterField(zap.String("request_id", rid)).All()
	if len(lines) != 1 || lines[0].ContextMap()["route"] != "/v1/vms/{vm}/exports" {
		t.Fatalf("request lines with id %s: %v", rid, lines)
	}
}

// Every line logged on a job's behalf — by the registry, the export and
// import rooms, the driver — names the job (job_id) and the request that
// created it (request_id); every other line of those rooms here was
// logged for a request and names it. So `grep job_id=<id>` tells one
// job's story.
func TestEveryJobLogLineNamesItsJob(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.DebugLevel)
	e := newEnv(t, envOptions{logger: zap.New(core)})
	dir := exportVM(t, e, "web-01", "web")
	vmRoot, vhdRoot := filepath.Join(e.root, "..", "vms"), filepath.Join(e.root, "..", "vhds")
	imp := finalJob(e, startImport(t, e, fmt.Sprintf(`{"directory": %q, "settings": {"generateNewId": true, "createCopy": true, "name": "web-01-copy", "targetVmDataRoot": %q, "targetSnapshotDataRoot": %q, "targetVhdDataRoot": %q}}`,
		dir, vmRoot, vmRoot, vhdRoot)).ID)
	e.host.SetDiskQuota(0)
	slow := e.startExport("db-01", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, "db")))
	e.do("POST", "/v1/jobs/"+slow.ID+"/cancel", "", "")
	finalJob(e, slow.ID)

	var jobs api.List[api.JobSummary]
	e.getJSON("/v1/jobs", 200, &jobs)
	requestOf := map[string]string{}
	for _, s := range jobs.Items {
		var j api.Job
		e.getJSON("/v1/jobs/"+s.ID, 200, &j)
		if j.RequestID == nil {
			t.Fatalf("job %s has no requestId", j.ID)
		}
		requestOf[j.ID] = *j.RequestID
	}
	perJob := map[string]int{}
	for _, entry := range logs.All() {
		room, _, _ := strings.Cut(entry.LoggerName, ".")
		switch room {
		case "jobs", "exports", "imports", "hyperv", "http", "security":
		default:
			continue // the simulated host is not hvport
		}
		m := entry.ContextMap()
		id, _ := m["job_id"].(string)
		rid, _ := m["request_id"].(string)
		switch {
		case id != "":
			perJob[id]++
			if requestOf[id] == "" || rid != requestOf[id] {
				t.Errorf("%s %q names job %s but request %q, want %q", entry.LoggerName, entry.Message, id, rid, requestOf[id])
			}
		case rid == "":
			t.Errorf("%s %q names neither a job nor a request: %v", entry.LoggerName, entry.Message, m)
		}
	}
	for _, id := range []string{imp.ID, slow.ID} {
		if perJob[id] < 3 {
			t.Errorf("job %s: only %d lines name it", id, perJob[id])
		}
	}
}

// GET /docs is a self-contained page: every script and style comes from
// the server (no other origin, not even in the CSP), each file it names
// is served, with an ETag that answers 304, and the page holds no spec —
// it fetches GET /v1/openapi.yaml as JSON, which stays reader-only.
func TestDocsPageIsSelfContained(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	status, h, page := e.sendAs("", "GET", "/docs", "")
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs = %d %s", status, h.Get("Content-Type"))
	}
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "http") || strings.Contains(csp, "unsafe-eval") {
		t.Fatalf("CSP = %q", csp)
	}
	if strings.Contains(string(page), "startExport") || strings.Contains(string(page), "openapi: ") {
		t.Fatal("the page holds the spec")
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) < 3 {
		t.Fatalf("the page names %d files: %s", len(refs), page)
	}
	for _, ref := range refs {
		u := ref[1]
		if u == "data:," {
			continue
		}
		if !strings.HasPrefix(u, "/docs/") {
			t.Errorf("the page loads %q from elsewhere", u)
			continue
		}
		s, h, b := e.sendAs("", "GET", u, "")
		if s != 200 || len(b) == 0 || h.Get("ETag") == "" {
			t.Errorf("GET %s = %d (%d bytes, ETag %q)", u, s, len(b), h.Get("ETag"))
			continue
		}
		for _, external := range []string{"cdn.", "googleapis", "unpkg", "jsdelivr"} {
			if strings.Contains(string(b), "src=\"http") && strings.Contains(string(b), external) {
				t.Errorf("%s loads from %s", u, external)
			}
		}
		req, _ := http.NewRequest("GET", e.srv.URL+u, nil)
		req.Header.Set("If-None-Match", h.Get("ETag"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag = %d, want 304", u, resp.StatusCode)
		}
	}
	if s, _, _ := e.sendAs("", "GET", "/docs/nope.js", ""); s != 404 {
		t.Errorf("an unknown file = %d", s)
	}
	// The spec the page fetches: JSON when asked, the same document as the
	// YAML, and still not for strangers.
	get := func(token, accept string) (int, string, []byte) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/v1/openapi.yaml", nil)
		req.Header.Set("Accept", accept)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := e.clientAs("").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	if s, _, _ := get("", "application/json"); s != 401 {
		t.Fatalf("the spec without credentials = %d", s)
	}
	s, ct, b := get(e.token("docs-reader", auth.Reader), "application/json")
	var fromJSON, fromYAML any
	if err := json.Unmarshal(b, &fromJSON); s != 200 || ct != "application/json" || err != nil {
		t.Fatalf("the spec as JSON = %d %s: %v", s, ct, err)
	}
	if err := yaml.Unmarshal(api.OpenAPI, &fromYAML); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(fromJSON)
	y, _ := json.Marshal(fromYAML)
	if string(a) != string(y) {
		t.Fatal("the JSON spec differs from the YAML one")
	}
	// In the document's order, as a reader expects the paths.
	if i, j := strings.Index(string(b), `"/v1/health"`), strings.Index(string(b), `"/docs"`); i < 0 || j < 0 || i > j {
		t.Fatal("the JSON spec does not keep the document's order")
	}
	if s, ct, _ := get(e.admin, "application/yaml, application/json;q=0.5"); s != 200 || ct != "application/yaml" {
		t.Fatalf("the spec asking YAML first = %d %s", s, ct)
	}
}

// With a maximum age, anonymous probes within it share one run of the
// checks: a flood of public probes costs one WMI query and one file
// write. A reader's probe runs them.
func TestReadinessResultIsReusedWithinItsMaxAge(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	checks := []readiness.Check{{Name: "wmi", Run: func(context.Context) error { runs.Add(1); return nil }}}
	// Without authentication every caller who sends credentials is an
	// admin: the reader's probe below.
	srv := httptest.NewServer(handlers.NewRouter(handlers.Deps{Readiness: checks, ReadinessMaxAge: time.Hour, Security: handlers.Security{InsecureNoAuth: true}}))
	defer srv.Close()
	for i := 0; i < 5; i++ {
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("readyz = %d", resp.StatusCode)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("the checks ran %d times for 5 probes within the max age", n)
	}
	// A reader gets a fresh run.
	req, _ := http.NewRequest("GET", srv.URL+"/readyz", nil)
	req.Header.Set("Authorization", "Bearer anyone")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := runs.Load(); n != 2 {
		t.Fatalf("a reader's probe did not run the checks (%d runs)", n)
	}
}
