package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/audit"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/handlers"
	"github.com/hvport/hvport/internal/apitest"
	"github.com/hvport/hvport/jobs"
)

// TestDrain: once Deps.Draining is closed, every route that starts a job
// answers 503 with Retry-After before planning anything, while reads are
// served; an event stream in flight ends, and a long poll answers at once.
// The job keeps running: draining is not cancelling.
func TestDrain(t *testing.T) {
	log := zaptest.NewLogger(t)
	dir := t.TempDir()
	reg := jobs.New(jobs.Options{Logger: log.Named("jobs")})
	// Work that runs until it is told to stop, and says how.
	stopped := make(chan error, 1)
	job, err := reg.Submit(jobs.Spec{Kind: jobs.KindExport, VM: jobs.VMRef{ID: "C0FFEE01-0000-4000-8000-000000000001", Name: "web-01"}},
		func(ctx context.Context, r jobs.Reporter) error {
			r.Phase("exporting")
			<-ctx.Done()
			stopped <- context.Cause(ctx)
			return context.Cause(ctx)
		})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.OpenStore(filepath.Join(dir, auth.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	_, admin, err := tokens.Create(auth.CreateRequest{Name: "test-admin", Role: auth.Admin})
	if err != nil {
		t.Fatal(err)
	}
	auditLog := audit.Open(filepath.Join(dir, "audit.log"), audit.Options{})
	draining := make(chan struct{})
	// No driver: a refused submission must not get as far as Hyper-V.
	srv := httptest.NewServer(handlers.NewRouter(handlers.Deps{Jobs: reg, Logger: log, Backend: "sim",
		Security: handlers.Security{Tokens: tokens, Audit: auditLog}, Draining: draining}))
	defer func() {
		srv.Close()
		reg.Shutdown(context.Background())
		auditLog.Close()
	}()
	// Hang guards only: nothing here waits for time to pass.
	checked := &http.Client{Transport: bearer{token: admin, next: apitest.Transport{T: t}}, Timeout: 2 * time.Minute}
	plain := &http.Client{Transport: bearer{token: admin, next: http.DefaultTransport}, Timeout: 2 * time.Minute}

	// Running, followed by an event stream.
	stream, err := plain.Get(srv.URL + "/v1/jobs/" + job.ID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	events := bufio.NewReader(stream.Body)
	var first api.Job
	for first.State != "running" {
		first = nextEvent(t, events)
	}

	close(draining)

	// The stream in flight ends without the job having finished, asking
	// to reconnect later.
	rest, err := io.ReadAll(events)
	if err != nil {
		t.Fatalf("the event stream broke instead of ending: %v", err)
	}
	if !strings.Contains(string(rest), "retry: 5000") || strings.Contains(string(rest), `"state":"completed"`) {
		t.Errorf("the end of the stream = %q", rest)
	}

	for _, sub := range []struct{ path, body string }{
		{"/v1/vms/web-01/exports", `{"directory": "/nowhere/web"}`},
		{"/v1/exports/C0FFEE01-0000-4000-8000-0000000000AA/verify", ""},
		{"/v1/imports", `{"directory": "/nowhere/web"}`},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+sub.path, strings.NewReader(sub.body))
		if sub.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := checked.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p api.Problem
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" ||
			resp.Header.Get("Content-Type") != "application/problem+json" ||
			p.Type != handlers.ProblemTypeBase+errs.ShuttingDown.String() || !strings.Contains(p.Detail, "shutting down") {
			t.Errorf("POST %s while draining: %d, Retry-After %q, %+v", sub.path, resp.StatusCode, resp.Header.Get("Retry-After"), p)
		}
	}

	// Reads are served (the health route too, in cmd/server's drain test:
	// here there is no driver); the job is still running.
	for _, path := range []string{"/v1/jobs/" + job.ID, "/v1/jobs/" + job.ID + "?wait=55s", "/v1/jobs"} {
		asked := time.Now()
		resp, err := checked.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		// The long poll answers at once instead of holding the shutdown
		// up for its 55 s (nothing about the job changes meanwhile).
		if waited := time.Since(asked); waited > 45*time.Second {
			t.Errorf("GET %s while draining took %s", path, waited)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s while draining: %d %s", path, resp.StatusCode, b)
		}
		if strings.HasPrefix(path, "/v1/jobs/") && !strings.Contains(string(b), `"state":"running"`) {
			t.Errorf("GET %s while draining: %s", path, b)
		}
	}
	// A new event stream gives the current state and ends.
	resp, err := plain.Get(srv.URL + "/v1/jobs/" + job.ID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !strings.Contains(string(b), `"state":"running"`) || !strings.Contains(string(b), "retry: 5000") {
		t.Errorf("event stream while draining: %v %q", err, b)
	}

	select {
	case cause := <-stopped:
		t.Fatalf("the drain stopped the job: %v", cause)
	default:
	}
	// The registry's own shutdown is what detaches the job, not cancels it.
	if err := reg.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if cause := <-stopped; !errors.Is(cause, errs.ErrShutdown) {
		t.Errorf("the job was stopped with %v, want errs.ErrShutdown", cause)
	}
	if s, _ := reg.Get(job.ID); s.State == jobs.Cancelled || s.State == jobs.Cancelling {
		t.Errorf("after the shutdown the job is %s", s.State)
	}
}

// nextEvent reads the next "job" event of a server-sent event stream.
func nextEvent(t *testing.T, rd *bufio.Reader) api.Job {
	t.Helper()
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("the event stream ended: %v", err)
		}
		if data, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "data: "); ok {
			var j api.Job
			if err := json.Unmarshal([]byte(data), &j); err != nil {
				t.Fatal(err)
			}
			return j
		}
	}
}
