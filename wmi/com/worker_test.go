package com

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hvport/hvport/wmi"
)

// newTestWorker starts a worker whose teardown is counted.
func newTestWorker(t *testing.T) (*worker, *atomic.Int32) {
	t.Helper()
	var teardowns atomic.Int32
	w, err := startWorker(context.Background(), "Connect", "ns", func() (func(), error) {
		return func() { teardowns.Add(1) }, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w, &teardowns
}

func wantWMIError(t *testing.T, err error, hr uint32, cause error) {
	t.Helper()
	var we *wmi.Error
	if !errors.As(err, &we) || we.HResult != hr {
		t.Fatalf("err = %v, want a *wmi.Error with HResult %#x", err, hr)
	}
	if cause != nil && !errors.Is(err, cause) {
		t.Fatalf("err = %v, want it to wrap %v", err, cause)
	}
}

func TestWorkerRunsOneAtATime(t *testing.T) {
	defer goleak.VerifyNone(t)
	w, teardowns := newTestWorker(t)
	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := call(w, context.Background(), "Get", "p", func() (int, error) {
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				return i, nil
			})
			if err != nil || got != i {
				t.Errorf("call %d = %d, %v", i, got, err)
			}
		}()
	}
	wg.Wait()
	if overlaps.Load() != 0 {
		t.Errorf("%d calls overlapped", overlaps.Load())
	}
	w.close()
	w.close() // twice is fine
	if teardowns.Load() != 1 {
		t.Errorf("teardown ran %d times", teardowns.Load())
	}
}

func TestWorkerContextDoneBeforeStart(t *testing.T) {
	defer goleak.VerifyNone(t)
	w, _ := newTestWorker(t)
	defer w.close()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	_, err := w.do(ctx, "Get", "p", func() (any, error) { ran = true; return nil, nil })
	wantWMIError(t, err, wmi.WBEMCallCancelled, context.Canceled)

	// A request still waiting behind a busy worker is not run either.
	release := make(chan struct{})
	busy := make(chan struct{})
	go w.do(context.Background(), "Get", "busy", func() (any, error) {
		close(busy)
		<-release
		return nil, nil
	})
	<-busy
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = w.do(ctx, "Get", "p", func() (any, error) { ran = true; return nil, nil })
	wantWMIError(t, err, wmi.WBEMTimedOut, context.DeadlineExceeded)
	close(release)
	if _, err := w.do(context.Background(), "Get", "p", func() (any, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Error("a request whose context was done ran")
	}

	// serve itself checks too, for a context that ends while queued.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	res := serve(&request{ctx: ctx, op: "Get", path: "p", fn: func() (any, error) { ran = true; return nil, nil }})
	wantWMIError(t, res.err, wmi.WBEMCallCancelled, context.Canceled)
	if ran {
		t.Error("serve ran a request whose context was done")
	}
}

func TestWorkerContextDoneWhileRunning(t *testing.T) {
	defer goleak.VerifyNone(t)
	w, _ := newTestWorker(t)
	defer w.close()

	ctx, cancel := context.WithCancel(context.Background())
	started, release := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		_, err := w.do(ctx, "ExecMethod", "p", func() (any, error) {
			close(started)
			<-release
			return "late", nil
		})
		errc <- err
	}()
	<-started
	cancel()
	select {
	case err := <-errc:
		wantWMIError(t, err, wmi.WBEMCallCancelled, context.Canceled)
	case <-time.After(2 * time.Minute):
		t.Fatal("caller did not return when its context was cancelled")
	}
	close(release)
	// The worker finishes the abandoned call and goes on serving.
	got, err := call(w, context.Background(), "Get", "p", func() (string, error) { return "next", nil })
	if err != nil || got != "next" {
		t.Fatalf("next call = %q, %v", got, err)
	}
}

func TestWorkerClose(t *testing.T) {
	defer goleak.VerifyNone(t)
	w, teardowns := newTestWorker(t)
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := w.do(context.Background(), "Get", "p", func() (any, error) {
			close(started)
			<-release
			return nil, nil
		})
		done <- err
	}()
	<-started
	closed := make(chan struct{})
	go func() { w.close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("close returned while a call was running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-closed
	if err := <-done; err != nil {
		t.Errorf("running call: %v", err)
	}
	if teardowns.Load() != 1 {
		t.Errorf("teardown ran %d times", teardowns.Load())
	}
	_, err := w.do(context.Background(), "Get", "p", func() (any, error) { return nil, nil })
	wantWMIError(t, err, wmi.WBEMTransportFailure, ErrClosed)
}

func TestWorkerPanic(t *testing.T) {
	defer goleak.VerifyNone(t)
	w, _ := newTestWorker(t)
	defer w.close()
	_, err := w.do(context.Background(), "Get", "p", func() (any, error) { panic("unknown type") })
	wantWMIError(t, err, wmi.WBEMFailed, nil)
	if _, err := w.do(context.Background(), "Get", "p", func() (any, error) { return 1, nil }); err != nil {
		t.Fatalf("after a panic: %v", err)
	}
}

func TestStartWorkerSetupFails(t *testing.T) {
	defer goleak.VerifyNone(t)
	boom := &wmi.Error{Op: "Connect", HResult: wmi.WBEMInvalidNamespace}
	w, err := startWorker(context.Background(), "Connect", "ns", func() (func(), error) { return nil, boom })
	if w != nil || err != boom {
		t.Fatalf("startWorker = %v, %v", w, err)
	}
	_, err = startWorker(context.Background(), "Connect", "ns", func() (func(), error) { panic("x") })
	wantWMIError(t, err, wmi.WBEMFailed, nil)
}

func TestStartWorkerContextEndsDuringSetup(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	inSetup, release, tornDown := make(chan struct{}), make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		_, err := startWorker(ctx, "Connect", "ns", func() (func(), error) {
			close(inSetup)
			<-release
			return func() { close(tornDown) }, nil
		})
		errc <- err
	}()
	<-inSetup
	cancel()
	wantWMIError(t, <-errc, wmi.WBEMCallCancelled, context.Canceled)
	close(release)
	select {
	case <-tornDown: // the abandoned connection is closed once set up
	case <-time.After(2 * time.Minute):
		t.Fatal("abandoned worker was not torn down")
	}
	time.Sleep(10 * time.Millisecond) // let the goroutines finish exiting for goleak
}
