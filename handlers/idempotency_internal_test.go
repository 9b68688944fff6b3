package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/jobs"
)

// idemRig is the idempotency wrapper around a handler that submits a job
// that finishes at once, on a registry of its own.
type idemRig struct {
	t    *testing.T
	reg  *jobs.Registry
	idem *idempotency
}

func newIdemRig(t *testing.T, opts jobs.Options) *idemRig {
	opts.Logger = zaptest.NewLogger(t)
	reg := jobs.New(opts)
	t.Cleanup(func() {
		if err := reg.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return &idemRig{t: t, reg: reg, idem: &idempotency{jobs: reg}}
}

func (g *idemRig) submit(w http.ResponseWriter, r *http.Request) (any, error) {
	s, err := g.reg.Submit(withIdempotency(r, jobs.Spec{Kind: jobs.KindExport}), func(context.Context, jobs.Reporter) error { return nil })
	if err != nil {
		return nil, err
	}
	return accepted{location: jobLocation(s.ID), body: toJob(s)}, nil
}

// post sends a request with key and body as who through h wrapped.
func (g *idemRig) post(h handlerFunc, who *auth.Identity, key, body string) (any, error, http.Header) {
	r := httptest.NewRequest("POST", "/v1/vms/web/exports", strings.NewReader(body))
	r = r.WithContext(auth.WithIdentity(r.Context(), who))
	r.Header.Set(IdempotencyHeader, key)
	w := httptest.NewRecorder()
	v, err := g.idem.wrap(h)(w, r)
	return v, err, w.Header()
}

func (g *idemRig) inFlight() int {
	g.idem.mu.Lock()
	defer g.idem.mu.Unlock()
	return len(g.idem.inflight)
}

var (
	alice = &auth.Identity{Kind: auth.KindToken, TokenID: "alice", Name: "alice", Role: auth.Operator}
	bob   = &auth.Identity{Kind: auth.KindToken, TokenID: "bob", Name: "bob", Role: auth.Operator}
)

// accepted posts and returns the job's location, failing on anything but
// a 202.
func (g *idemRig) accepted(h handlerFunc, who *auth.Identity, key, body string) string {
	g.t.Helper()
	v, err, _ := g.post(h, who, key, body)
	a, ok := v.(accepted)
	if err != nil || !ok {
		g.t.Fatalf("want 202, got %#v %v", v, err)
	}
	return a.location
}

// A request whose key is still being processed answers 409 at once (with
// Retry-After), without waiting for the first; afterwards the key gives
// the first request's job. Another identity's same key is not held up.
func TestIdempotencyDuplicateInFlightIs409(t *testing.T) {
	g := newIdemRig(t, jobs.Options{})
	entered, release := make(chan struct{}), make(chan struct{})
	slow := func(w http.ResponseWriter, r *http.Request) (any, error) {
		close(entered)
		<-release
		return g.submit(w, r)
	}
	type answer struct {
		v   any
		err error
	}
	first := make(chan answer)
	go func() {
		v, err, _ := g.post(slow, alice, "k", `{"a":1}`)
		first <- answer{v, err}
	}()
	<-entered
	_, err, h := g.post(g.submit, alice, "k", `{"a":1}`)
	if !errs.Is(err, errs.Conflict) || h.Get("Retry-After") != "1" || !strings.Contains(errs.Message(err), "still being processed") {
		t.Fatalf("duplicate in flight: %v (Retry-After %q)", err, h.Get("Retry-After"))
	}
	if n := g.inFlight(); n != 1 {
		t.Fatalf("%d keys in flight, want 1", n)
	}
	other := g.accepted(g.submit, bob, "k", `{"a":1}`)
	close(release)
	a := <-first
	fa, ok := a.v.(accepted)
	if a.err != nil || !ok {
		t.Fatalf("the first request: %#v %v", a.v, a.err)
	}
	loc := fa.location
	again := g.accepted(g.submit, alice, "k", `{"a":1}`)
	if again != loc || other == loc {
		t.Fatalf("first %s, retry %s, bob's %s", loc, again, other)
	}
}

// The same key with another body is 422 (the IETF draft's answer), naming
// the header and the first request's job.
func TestIdempotencyKeyReusedForAnotherRequestIs422(t *testing.T) {
	g := newIdemRig(t, jobs.Options{})
	loc := g.accepted(g.submit, alice, "k", `{"a":1}`)
	_, err, _ := g.post(g.submit, alice, "k", `{"a":2}`)
	var e *errs.Error
	if !errs.Is(err, errs.Invalid) || !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != IdempotencyHeader ||
		e.Extra["job"] != loc || StatusOf(e.Kind) != http.StatusUnprocessableEntity {
		t.Fatalf("key reused with another body: %#v", err)
	}
}

// A key whose job was pruned (here by Retain) still refuses to start a
// second job until it is jobs.KeyRetention old: the same request gets a
// 409 naming the pruned job, another request the 422.
func TestIdempotencyKeyOfAPrunedJob(t *testing.T) {
	clk := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	g := newIdemRig(t, jobs.Options{Retain: 1, Now: func() time.Time { return clk }})
	loc := g.accepted(g.submit, alice, "k", `{"a":1}`)
	id := strings.TrimPrefix(loc, "/v1/jobs/")
	for i := 0; i < 2; i++ {
		if _, err := g.reg.Wait(context.Background(), id); err != nil && !errs.Is(err, errs.NotFound) {
			t.Fatal(err)
		}
		next := g.accepted(g.submit, alice, "", `{}`)
		id = strings.TrimPrefix(next, "/v1/jobs/")
	}
	if _, err := g.reg.Get(strings.TrimPrefix(loc, "/v1/jobs/")); !errs.Is(err, errs.NotFound) {
		t.Fatal("the first job was not pruned")
	}
	_, err, _ := g.post(g.submit, alice, "k", `{"a":1}`)
	var e *errs.Error
	if !errs.Is(err, errs.Conflict) || !errors.As(err, &e) || e.Extra["job"] != loc || e.Extra["pruned"] != true ||
		!strings.Contains(e.Msg, "no longer kept") {
		t.Fatalf("retry after the job was pruned: %#v", err)
	}
	if _, err, _ := g.post(g.submit, alice, "k", `{"a":2}`); !errs.Is(err, errs.Invalid) {
		t.Fatalf("another request with the key of a pruned job: %v", err)
	}
}

// The in-flight set holds a key only while its request runs: whatever the
// outcome (a job, a refusal, a duplicate), it is empty afterwards.
func TestIdempotencyInFlightSetDoesNotGrow(t *testing.T) {
	g := newIdemRig(t, jobs.Options{MaxQueued: 10_000})
	refuse := func(http.ResponseWriter, *http.Request) (any, error) { return nil, errs.E(errs.Invalid, "no") }
	for i := 0; i < 200; i++ {
		key := "key-" + strconv.Itoa(i)
		g.post(g.submit, alice, key, `{}`)
		g.post(g.submit, alice, key, `{}`)      // the same job again
		g.post(g.submit, alice, key, `{"x":1}`) // 422
		g.post(refuse, bob, key, `{}`)          // the handler's own error
		if n := g.inFlight(); n != 0 {
			t.Fatalf("after %d keys, %d are still held", i+1, n)
		}
	}
}
