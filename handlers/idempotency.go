package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/jobs"
)

// IdempotencyHeader lets a client retry a job-starting POST safely: a
// retry with the same key and the same request gets the job the first one
// started (202, same Location) instead of a second export or import. The
// key lives as long as the registry keeps its job (in memory for now).
const IdempotencyHeader = "Idempotency-Key"

type idemKey struct{}

type idem struct{ key, fingerprint string }

// idempotency wraps a handler that submits one job.
type idempotency struct {
	jobs  *jobs.Registry
	mu    sync.Mutex
	locks map[string]*sync.Mutex // one request per key at a time
}

func (i *idempotency) wrap(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		key := r.Header.Get(IdempotencyHeader)
		if key == "" {
			return h(w, r)
		}
		if len(key) > 255 {
			return nil, errs.E(errs.BadRequest, "%s is longer than 255 characters", IdempotencyHeader)
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errs.E(errs.TooLarge, "the request body is larger than %d bytes", maxBodyBytes)
		} else if err != nil {
			return nil, errs.Wrap(errs.BadRequest, err, "cannot read the request body")
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		// Keys are scoped per identity: another caller's key neither finds
		// nor blocks this caller's job (security-anchors J1).
		given := key
		key = identityOf(r).Principal() + " " + key
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
		fp := hex.EncodeToString(sum[:])

		defer i.lock(key)()
		if snap, first, ok := i.jobs.ByKey(key); ok {
			if first != fp {
				return nil, &errs.Error{Kind: errs.Conflict, Msg: IdempotencyHeader + " " + quote(given) + " was already used for a different request",
					Extra: map[string]any{"job": jobLocation(snap.ID)}}
			}
			return accepted{location: jobLocation(snap.ID), body: toJob(snap)}, nil
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), idemKey{}, idem{key, fp})))
	}
}

func (i *idempotency) lock(key string) func() {
	i.mu.Lock()
	if i.locks == nil {
		i.locks = map[string]*sync.Mutex{}
	}
	m := i.locks[key]
	if m == nil {
		m = &sync.Mutex{}
		i.locks[key] = m
	}
	i.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// withIdempotency copies the request's key into the job spec.
func withIdempotency(r *http.Request, spec jobs.Spec) jobs.Spec {
	if v, ok := r.Context().Value(idemKey{}).(idem); ok {
		spec.IdempotencyKey, spec.Fingerprint = v.key, v.fingerprint
	}
	return spec
}
