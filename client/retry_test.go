package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/hvport/hvport/client"
)

// dropper forwards requests to a server and, for the first n of them,
// drops the connection instead of passing the answer on: the server did
// the work, the client never heard.
type dropper struct {
	t    *testing.T
	next http.Handler
	n    int

	mu   sync.Mutex
	seen []*http.Request // every request, with its body read
	lost [][]byte        // the answers dropped
}

func (d *dropper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	d.next.ServeHTTP(rec, r.Clone(context.Background()))
	d.mu.Lock()
	d.seen = append(d.seen, r)
	drop := len(d.seen) <= d.n
	if drop {
		d.lost = append(d.lost, rec.Body.Bytes())
	}
	d.mu.Unlock()
	if drop {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			d.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (d *dropper) requests() []*http.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*http.Request(nil), d.seen...)
}

func TestStartExportRetriesWithTheSameIdempotencyKey(t *testing.T) {
	srv, err := startServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	d := &dropper{t: t, next: srv.Handler, n: 1}
	proxy := httptest.NewServer(d)
	defer proxy.Close()
	c, err := client.New(proxy.URL, client.WithTokenFile(srv.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	job, err := c.StartExport(ctx, "db-01", client.ExportRequest{Directory: srv.ExportRoot + "/db-01"})
	if err != nil {
		t.Fatalf("StartExport through a dropped connection: %v", err)
	}
	reqs := d.requests()
	if len(reqs) != 2 {
		t.Fatalf("the server saw %d requests, want the first and one repeat", len(reqs))
	}
	k1, k2 := reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key")
	if k1 == "" || k1 != k2 {
		t.Errorf("Idempotency-Key: first %q, repeat %q; want the same, not empty", k1, k2)
	}
	if !bytes.Contains(d.lost[0], []byte(`"id":"`+job.ID+`"`)) {
		t.Errorf("the repeat returned job %s, not the one the first attempt started: %s", job.ID, d.lost[0])
	}
	// One export started, not two.
	jobs, err := c.ListJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].ID != job.ID {
		t.Errorf("jobs = %d (%+v), want the one export", len(jobs), jobs)
	}
	if _, err := c.WaitJob(ctx, job.ID, nil); err != nil {
		t.Fatal(err)
	}

	// Each call has a key of its own.
	d.mu.Lock()
	d.n = 0
	d.mu.Unlock()
	other, err := c.StartExport(ctx, "web-01", client.ExportRequest{Directory: srv.ExportRoot + "/web-01"})
	if err != nil {
		t.Fatal(err)
	}
	reqs = d.requests()
	if k3 := reqs[len(reqs)-1].Header.Get("Idempotency-Key"); k3 == "" || k3 == k1 {
		t.Errorf("the second call's key %q, the first's %q: want a new one", k3, k1)
	}
	if other.ID == job.ID {
		t.Error("the second export returned the first job")
	}
	if _, err := c.WaitJob(ctx, other.ID, nil); err != nil {
		t.Fatal(err)
	}
}

func TestCancelIsNotRepeated(t *testing.T) {
	d := &dropper{t: t, next: http.NotFoundHandler(), n: 10}
	proxy := httptest.NewServer(d)
	defer proxy.Close()
	c, err := client.New(proxy.URL, client.WithToken("hvp_a_b"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CancelJob(context.Background(), "j1")
	if !client.Retryable(err) {
		t.Fatalf("err = %v, want a connection error", err)
	}
	if n := len(d.requests()); n != 1 {
		t.Errorf("cancel was sent %d times, want once", n)
	}
}

func TestRetriesStopAfterTheLimit(t *testing.T) {
	// A port nothing listens on: every attempt is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := client.New("http://"+addr, client.WithRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListVMs(context.Background())
	var p *client.Problem
	if err == nil || errors.As(err, &p) || !client.Retryable(err) {
		t.Fatalf("err = %v, want the connection error", err)
	}
	// A cancelled context is not retried.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ListVMs(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestContextIdempotencyKey(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Idempotency-Key"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{"id":"j1","state":"queued"}`))
	}))
	defer srv.Close()
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := client.ContextWithIdempotencyKey(context.Background(), "my-key-1")
	if _, err := c.VerifyExport(ctx, "x1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartImport(ctx, client.ImportRequest{}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "my-key-1" || got[1] != "my-key-1" {
		t.Errorf("keys sent = %q, want my-key-1 twice", got)
	}
}

// A submission answered "still in progress" (409) or "draining" (503)
// with Retry-After is asked again, with the same key, when the server
// says; a cancel is not.
func TestSubmissionWaitsOutRetryAfter(t *testing.T) {
	for _, status := range []int{http.StatusConflict, http.StatusServiceUnavailable} {
		srv, err := startServer()
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var keys []string
		busy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			first := len(keys) == 1
			mu.Unlock()
			if first || r.Method == http.MethodPost && r.URL.Path == "/v1/jobs/j1/cancel" {
				w.Header().Set("Retry-After", "0")
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(status)
				fmt.Fprintf(w, `{"type":"urn:hvport:problem:busy","title":"busy","status":%d}`, status)
				return
			}
			srv.Handler.ServeHTTP(w, r)
		})
		proxy := httptest.NewServer(busy)
		c, err := client.New(proxy.URL, client.WithTokenFile(srv.TokenFile))
		if err != nil {
			t.Fatal(err)
		}
		job, err := c.StartExport(context.Background(), "db-01", client.ExportRequest{Directory: srv.ExportRoot + "/db-01"})
		if err != nil {
			t.Fatalf("%d then 202: %v", status, err)
		}
		if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
			t.Fatalf("%d: keys %q, want two requests with one key", status, keys)
		}
		if _, err := c.WaitJob(context.Background(), job.ID, nil); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		keys = nil
		mu.Unlock()
		if _, err := c.CancelJob(context.Background(), "j1"); err == nil {
			t.Fatalf("%d to a cancel: no error", status)
		}
		if len(keys) != 1 {
			t.Fatalf("%d: a cancel was sent %d times", status, len(keys))
		}
		proxy.Close()
		srv.Close()
	}
}
