package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hangGuard bounds every wait in these tests; none of them waits for time
// to pass, only for an event.
const hangGuard = 2 * time.Minute

// await returns what ch delivers, or fails the test after hangGuard.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("no %s within %s", what, hangGuard)
		panic("unreachable")
	}
}

// slowServer is the real server (run) on the simulator with a throttled
// copy engine, so that an export stays running, on data.
type slowServer struct {
	base string
	stop context.CancelFunc // begins the shutdown, as SIGTERM does
	done chan error         // run's result
}

func startSlowServer(t *testing.T, data string) *slowServer {
	t.Helper()
	cfg := filepath.Join(filepath.Dir(data), "slow.yaml")
	// 64 KiB/s: web-01's disks take minutes, far longer than any test.
	if err := os.WriteFile(cfg, []byte("log-level: error\npoll-interval: 20ms\nsim:\n  copy-bytes-per-second: 65536\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &slowServer{stop: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		s.done <- run(ctx, []string{"--config", cfg, "--listen", "127.0.0.1:0", "--backend", "sim", "--data-dir", data}, io.Discard, ready)
	}()
	select {
	case s.base = <-ready:
	case err := <-s.done:
		cancel()
		t.Fatalf("the server did not start: %v", err)
	case <-time.After(hangGuard):
		cancel()
		t.Fatal("the server did not start")
	}
	return s
}

// shutdown stops the server and waits for run to return.
func (s *slowServer) shutdown(t *testing.T) {
	t.Helper()
	s.stop()
	if err := await(t, s.done, "server exit"); err != nil {
		t.Errorf("the server exited with %v", err)
	}
}

// client is an authenticated client whose timeout is only a hang guard
// (event streams stay open).
func (s *slowServer) client(t *testing.T, data string) *http.Client {
	c := bearerClient(adminToken(t, data))
	c.Timeout = hangGuard
	return c
}

// submitExport starts an export of web-01 with an idempotency key and
// returns the response.
func submitExport(t *testing.T, c *http.Client, base, data, key string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/vms/web-01/exports",
		strings.NewReader(fmt.Sprintf(`{"directory": %q}`, filepath.Join(data, "exports", "web"))))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

type jobView struct {
	ID, State, Phase string
	WMIJob           *string
	Error            *struct{ Type, Detail string }
}

// exportRunning submits an export and follows its event stream until
// Hyper-V runs it (its WMI job is recorded). It returns the job and the
// stream, still open.
func exportRunning(t *testing.T, s *slowServer, c *http.Client, data, key string) (jobView, *bufio.Reader, io.Closer) {
	t.Helper()
	resp := submitExport(t, c, s.base, data, key)
	var job jobView
	json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("export: %d", resp.StatusCode)
	}
	stream, err := c.Get(s.base + "/v1/jobs/" + job.ID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(stream.Body)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			stream.Body.Close()
			t.Fatalf("the event stream ended before the export ran: %v", err)
		}
		data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
		if !ok {
			continue
		}
		var j jobView
		if err := json.Unmarshal([]byte(data), &j); err != nil {
			t.Fatal(err)
		}
		if j.State == "running" && j.WMIJob != nil {
			return j, rd, stream.Body
		}
		if j.State != "queued" && j.State != "running" {
			t.Fatalf("the export ended before the test: %+v", j)
		}
	}
}

// TestShutdownDrains stops a server during a slow export: while it drains
// a new submission gets 503 with Retry-After, a retry of the export's own
// submission gets its job, reads are answered and the open event stream
// ends; the export is detached, not cancelled, as the server started
// again on the same data directory shows.
func TestShutdownDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server twice with a slow export")
	}
	data := filepath.Join(t.TempDir(), "data")
	draining, release := make(chan struct{}), make(chan struct{})
	drainHook = func() {
		close(draining)
		select { // a hang guard: the test releases it
		case <-release:
		case <-time.After(hangGuard):
		}
	}
	defer func() { drainHook = nil }()
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()

	s := startSlowServer(t, data)
	c := s.client(t, data)
	job, stream, closeStream := exportRunning(t, s, c, data, "drain-test")
	defer closeStream.Close()

	s.stop()
	// The stream in flight ends (the drain), the job still running.
	rest, err := io.ReadAll(stream)
	if err != nil || strings.Contains(string(rest), `"state":"cancel`) || !strings.Contains(string(rest), "retry: 5000") {
		t.Errorf("the end of the event stream: %v %q", err, rest)
	}
	await(t, draining, "drain")

	// A new submission is refused with 503, Retry-After and a problem.
	resp := submitExport(t, c, s.base, data, "")
	var p struct{ Type, Detail string }
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" ||
		resp.Header.Get("Content-Type") != "application/problem+json" || p.Type != "urn:hvport:problem:shutting-down" {
		t.Errorf("a submission while draining: %d, Retry-After %q, %s, %+v", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"), p)
	}
	// A retry of the first submission finds its job.
	resp = submitExport(t, c, s.base, data, "drain-test")
	var again jobView
	json.NewDecoder(resp.Body).Decode(&again)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || again.ID != job.ID {
		t.Errorf("a retry of the export's submission while draining: %d, job %q, want %q", resp.StatusCode, again.ID, job.ID)
	}
	// Reads are answered: the job (detached, so still running here), the
	// list (no second job) and the health.
	var got jobView
	getJSON(t, c, s.base+"/v1/jobs/"+job.ID, &got)
	if got.State != "running" {
		t.Errorf("the job while draining: %+v", got)
	}
	var list struct{ Items []jobView }
	getJSON(t, c, s.base+"/v1/jobs", &list)
	if len(list.Items) != 1 {
		t.Errorf("%d jobs while draining, want 1", len(list.Items))
	}
	var health struct{ Status string }
	getJSON(t, c, s.base+"/v1/health", &health)
	if health.Status != "ok" {
		t.Errorf("health while draining: %+v", health)
	}

	close(release)
	released = true
	if err := await(t, s.done, "server exit"); err != nil {
		t.Fatalf("the server exited with %v", err)
	}
	drainHook = nil

	// Started again: the export was not cancelled. Depending on how far
	// reattaching goes it runs on, completed or failed as interrupted;
	// never cancelled.
	s = startSlowServer(t, data)
	defer s.shutdown(t)
	getJSON(t, s.client(t, data), s.base+"/v1/jobs/"+job.ID, &got)
	if got.State == "cancelled" || got.State == "cancelling" || got.Error != nil && got.Error.Type == "urn:hvport:problem:cancelled" {
		t.Errorf("after the restart the export is %s: %+v", got.State, got.Error)
	}
	if got.State == "failed" && got.Error.Type != "urn:hvport:problem:interrupted" {
		t.Errorf("after the restart the export failed: %+v", got.Error)
	}
}

// getJSON reads url into v; anything but 200 fails the test.
func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
