package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/audit"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/handlers"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/imports"
	"github.com/hvport/hvport/internal/apitest"
	"github.com/hvport/hvport/internal/readiness"
	"github.com/hvport/hvport/jobs"
	"github.com/hvport/hvport/metrics"
	"github.com/hvport/hvport/roots"
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// env is one running service: router, registry, driver, simulated host.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	client  *http.Client
	host    *sim.Host
	dataDir string
	root    string // the export root
	store   *exports.Store
	imports *imports.Service
	tokens  *auth.Store
	audit   string // the audit log's path
	admin   string // an admin token; e.client sends it
	metrics *metrics.Metrics
	jobs    *jobs.Registry
	// readyDir is the directory the data-dir readiness check writes in
	// (its own, so a test can break it without breaking the rest).
	readyDir string
}

type envOptions struct {
	seed      *sim.Seed
	copyRate  int64 // bytes/s; 0 = unlimited
	workers   int
	maxQueued int
	freeSpace func(string) (uint64, error)
	v1        bool   // talk to the simulator's root\virtualization (v1) namespace
	auditPath string // default <data-dir>/audit.log
	// validationFailsJob: the simulator's ValidatePlannedSystem job fails
	// when it finds incompatibilities, instead of completing with them as
	// a real host does.
	validationFailsJob bool
	// outParametersWithJobs: the simulator names imported and realized
	// systems only in the methods' out-parameters, not through the jobs.
	outParametersWithJobs bool
	// importRoots are added to the import roots (e.g. another env's
	// export root, to import what it exported).
	importRoots []string
	// wrapWMI, when set, wraps the simulator's connection (before
	// metrics measure it): a test's failing transport.
	wrapWMI func(wmi.Services) wmi.Services
	// logger replaces the test's logger (an observer, to read the lines).
	logger *zap.Logger
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	log := zaptest.NewLogger(t)
	if o.logger != nil {
		log = o.logger
	}
	dataDir := t.TempDir()
	host, err := sim.New(sim.Options{DataDir: dataDir, Seed: o.seed, CopyBytesPerSecond: o.copyRate, Logger: log.Named("sim"),
		ValidationFailsJob: o.validationFailsJob, OutParametersWithJobs: o.outParametersWithJobs})
	if err != nil {
		t.Fatal(err)
	}
	ns := wmi.NamespaceV2
	if o.v1 {
		ns = wmi.NamespaceV1
	}
	svc, err := host.Services(ns)
	if err != nil {
		t.Fatal(err)
	}
	if o.wrapWMI != nil {
		svc = o.wrapWMI(svc)
	}
	m := metrics.New()
	svc = m.WMI(svc)
	drv, err := hyperv.New(svc, hyperv.Options{PollInterval: 10 * time.Millisecond, Logger: log.Named("hyperv")})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "exports")
	store, err := exports.NewStore(exports.StoreOptions{Roots: []string{root}, FreeSpace: o.freeSpace, Logger: log.Named("exports")})
	if err != nil {
		t.Fatal(err)
	}
	expSvc := &exports.Service{Driver: drv, Store: store, Log: log.Named("exports"), Host: sim.DefaultHostName}
	importDirs, err := imports.DefaultRoots(context.Background(), drv, store.Roots())
	if err != nil {
		t.Fatal(err)
	}
	// The folder around the export root is an import root too: tests copy
	// to places next to it, and other hosts' export roots can be added.
	importDirs = append(append(importDirs, filepath.Dir(root)), o.importRoots...)
	impRoots, err := roots.New("import", importDirs)
	if err != nil {
		t.Fatal(err)
	}
	impSvc := &imports.Service{Driver: drv, Exports: store, Roots: impRoots, Log: log.Named("imports")}
	reg := jobs.New(jobs.Options{Workers: o.workers, MaxQueued: o.maxQueued, Logger: log.Named("jobs"), Observer: m})
	m.WatchJobs(reg)
	tokens, err := auth.OpenStore(filepath.Join(dataDir, auth.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	_, admin, err := tokens.Create(auth.CreateRequest{Name: "test-admin", Role: auth.Admin})
	if err != nil {
		t.Fatal(err)
	}
	auditPath := filepath.Join(dataDir, "audit.log")
	if o.auditPath != "" {
		auditPath = o.auditPath
	}
	auditLog := audit.Open(auditPath, audit.Options{WriteFailed: m.AuditWriteFailed})
	sec := handlers.Security{Tokens: tokens, Audit: auditLog}
	readyDir := t.TempDir()
	checks := readiness.Standard(drv.Ping, readyDir, auditLog.Ready, reg.Check)
	srv := httptest.NewServer(handlers.NewRouter(handlers.Deps{Driver: drv, Exports: expSvc, Imports: impSvc, Jobs: reg, Logger: log, Backend: "sim", Security: sec,
		Metrics: m, Readiness: checks}))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := reg.Shutdown(ctx); err != nil {
			t.Errorf("registry shutdown: %v", err)
		}
		if err := host.Close(); err != nil {
			t.Errorf("sim close: %v", err)
		}
		auditLog.Close()
	})
	e := &env{t: t, srv: srv, host: host, dataDir: dataDir, root: root, store: store, imports: impSvc, tokens: tokens, audit: auditPath, admin: admin,
		metrics: m, jobs: reg, readyDir: readyDir}
	e.client = e.clientAs(admin)
	return e
}

// clientAs is a client that sends token (none if "") and checks every
// response against the OpenAPI document.
func (e *env) clientAs(token string) *http.Client {
	return &http.Client{Transport: bearer{token: token, next: apitest.Transport{T: e.t}}, Timeout: 10 * time.Second}
}

// plain is a client that sends the admin token but does not check
// responses against the OpenAPI document (for routes it does not list).
func (e *env) plain() *http.Client {
	return &http.Client{Transport: bearer{token: e.admin, next: http.DefaultTransport}, Timeout: 10 * time.Second}
}

// token creates a token and returns its secret.
func (e *env) token(name string, role auth.Role, vms ...string) string {
	e.t.Helper()
	_, tok, err := e.tokens.Create(auth.CreateRequest{Name: name, Role: role, VMs: vms})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// bearer adds an Authorization header.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.token != "" && r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(r)
}

// do sends a request and returns the status and body; every response is
// checked against api/openapi.yaml by the client's transport.
func (e *env) do(method, path, contentType, body string) (int, http.Header, []byte) {
	e.t.Helper()
	return e.send(e.client, method, path, contentType, body)
}

// send is do with another client (another token).
func (e *env) send(c *http.Client, method, path, contentType, body string) (int, http.Header, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (e *env) getJSON(path string, want int, v any) {
	e.t.Helper()
	status, _, body := e.do("GET", path, "", "")
	if status != want {
		e.t.Fatalf("GET %s = %d, want %d: %s", path, status, want, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			e.t.Fatalf("GET %s: %v: %s", path, err, body)
		}
	}
}

func (e *env) postJSON(path, body string, want int, v any) http.Header {
	e.t.Helper()
	status, h, b := e.do("POST", path, "application/json", body)
	if status != want {
		e.t.Fatalf("POST %s %s = %d, want %d: %s", path, body, status, want, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			e.t.Fatalf("POST %s: %v: %s", path, err, b)
		}
	}
	return h
}

// startExport posts an export and returns the queued job.
func (e *env) startExport(vm, body string) api.Job {
	e.t.Helper()
	var j api.Job
	h := e.postJSON("/v1/vms/"+vm+"/exports", body, http.StatusAccepted, &j)
	if loc := h.Get("Location"); loc != "/v1/jobs/"+j.ID {
		e.t.Fatalf("Location = %q, want /v1/jobs/%s", loc, j.ID)
	}
	return j
}

// waitJob polls a job until it is finished and returns every snapshot
// seen, the last one final. The jobs run on the simulator's real clock, so
// the wait ends when the job does; the guard is minutes, far beyond any
// job here on a loaded machine, only to report a hang with where the job
// stood.
func (e *env) waitJob(id string) []api.Job {
	e.t.Helper()
	const hangGuard = 5 * time.Minute
	var seen []api.Job
	deadline := time.Now().Add(hangGuard)
	for {
		var j api.Job
		e.getJSON("/v1/jobs/"+id, http.StatusOK, &j)
		seen = append(seen, j)
		switch j.State {
		case "completed", "failed", "cancelled":
			return seen
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s still %s at %d%% after %v", id, j.State, j.PercentComplete, hangGuard)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// problem decodes a problem+json body.
func problem(t *testing.T, h http.Header, body []byte) map[string]any {
	t.Helper()
	if ct := h.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json: %s", ct, body)
	}
	var p map[string]any
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return p
}
