package com

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/hvport/hvport/wmi"
)

// worker runs functions one at a time on a single goroutine that is locked
// to its OS thread: COM state (the apartment, and every interface pointer
// obtained in it) belongs to the thread that initialised it.
type worker struct {
	reqs chan *request
	quit chan struct{} // closed by close: take no more requests
	done chan struct{} // closed when the goroutine has torn down and exited
	stop sync.Once
}

type request struct {
	ctx      context.Context
	op, path string
	fn       func() (any, error)
	out      chan result // buffered, so the worker never waits for a caller that gave up
}

type result struct {
	val any
	err error
}

// startWorker starts the goroutine, which runs setup first; setup returns
// what to undo when the worker stops. startWorker waits for setup or for
// ctx. If ctx ends first the caller gets the context error, and the worker
// stops by itself once setup is over, so nothing is left behind.
func startWorker(ctx context.Context, op, path string, setup func() (teardown func(), err error)) (*worker, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(op, path, err)
	}
	w := &worker{reqs: make(chan *request), quit: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan error, 1)
	go w.run(op, path, setup, ready)
	select {
	case err := <-ready:
		if err != nil {
			<-w.done
			return nil, err
		}
		return w, nil
	case <-ctx.Done():
		go func() {
			if err := <-ready; err == nil {
				w.close()
			}
		}()
		return nil, ctxError(op, path, ctx.Err())
	}
}

func (w *worker) run(op, path string, setup func() (func(), error), ready chan<- error) {
	// The thread is never unlocked: when the goroutine exits, the runtime
	// then discards the thread instead of reusing one that ran COM.
	runtime.LockOSThread()
	defer close(w.done)
	teardown, err := safeSetup(op, path, setup)
	ready <- err
	if err != nil {
		return
	}
	defer teardown()
	for {
		select {
		case r := <-w.reqs:
			r.out <- serve(r)
		case <-w.quit:
			return
		}
	}
}

func safeSetup(op, path string, setup func() (func(), error)) (teardown func(), err error) {
	defer func() {
		if p := recover(); p != nil {
			teardown, err = nil, panicError(op, path, p)
		}
	}()
	teardown, err = setup()
	if err == nil && teardown == nil {
		teardown = func() {}
	}
	return teardown, err
}

// serve runs one request, unless its caller has already given up. A panic
// (go-ole panics on argument types it does not know) becomes an error
// instead of taking the whole service down.
func serve(r *request) (res result) {
	if err := r.ctx.Err(); err != nil {
		return result{err: ctxError(r.op, r.path, err)}
	}
	defer func() {
		if p := recover(); p != nil {
			res = result{err: panicError(r.op, r.path, p)}
		}
	}()
	v, err := r.fn()
	return result{v, err}
}

// do runs fn on the worker and returns its result, or a context error as
// soon as ctx is done, or an ErrClosed error once the worker is closed.
func (w *worker) do(ctx context.Context, op, path string, fn func() (any, error)) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(op, path, err)
	}
	r := &request{ctx: ctx, op: op, path: path, fn: fn, out: make(chan result, 1)}
	select {
	case w.reqs <- r:
	case <-w.quit:
		return nil, closedError(op, path)
	case <-ctx.Done():
		return nil, ctxError(op, path, ctx.Err())
	}
	select {
	case res := <-r.out:
		return res.val, res.err
	case <-ctx.Done():
		return nil, ctxError(op, path, ctx.Err())
	}
}

// call is do with a typed result. Results travel through the request's
// channel, never through variables shared with the caller, so a caller
// that gave up does not race with the worker still finishing its call.
func call[T any](w *worker, ctx context.Context, op, path string, fn func() (T, error)) (T, error) {
	v, err := w.do(ctx, op, path, func() (any, error) { return fn() })
	t, _ := v.(T)
	return t, err
}

// close stops the worker and waits until it has torn down. A request that
// is running finishes first. close may be called more than once.
func (w *worker) close() {
	w.stop.Do(func() { close(w.quit) })
	<-w.done
}

// ctxError reports a call abandoned because its context ended; it
// unwraps to ctx.Err(), so errors.Is(err, context.Canceled) works.
func ctxError(op, path string, err error) error {
	hr := wmi.WBEMCallCancelled
	if errors.Is(err, context.DeadlineExceeded) {
		hr = wmi.WBEMTimedOut
	}
	return &wmi.Error{Op: op, Path: path, HResult: hr, Err: err}
}

func closedError(op, path string) error {
	return &wmi.Error{Op: op, Path: path, HResult: wmi.WBEMTransportFailure, Err: ErrClosed}
}

func panicError(op, path string, p any) error {
	return &wmi.Error{Op: op, Path: path, HResult: wmi.WBEMFailed, Msg: fmt.Sprintf("panic: %v", p)}
}
