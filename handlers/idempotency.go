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
	"time"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/jobs"
)

// IdempotencyHeader lets a client retry a job-starting POST safely
// (draft-ietf-httpapi-idempotency-key-header). Keys are scoped to the
// caller's identity and kept as long as the registry keeps their job, and
// at least jobs.KeyRetention (24 h), in the job store, across restarts:
//
//   - the same key and the same request: the job the first one started
//     (202, same Location), finished or not;
//   - the same key and another request (method, path or body): 422;
//   - the same key while a request with it is still being processed: 409,
//     Retry-After: 1 (the retry is not held until the first finishes);
//   - the same key and request after its job was pruned (Retain, MaxAge)
//     but within KeyRetention: 409 naming the job, which is gone: the key
//     must not start a second export, and its result is no longer known.
const IdempotencyHeader = "Idempotency-Key"

type idemKey struct{}

type idem struct{ key, fingerprint string }

// idempotency wraps a handler that submits one job.
type idempotency struct {
	jobs     *jobs.Registry
	mu       sync.Mutex
	inflight map[string]bool // guarded by mu; keys of requests being processed, removed when they end
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

		if !i.begin(key) {
			w.Header().Set("Retry-After", "1")
			return nil, errs.E(errs.Conflict, "a request with %s %s is still being processed; retry when it has been answered", IdempotencyHeader, quote(given))
		}
		defer i.end(key)
		if u, ok := i.jobs.Key(key); ok {
			return keyUsed(given, fp, u)
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), idemKey{}, idem{key, fp})))
	}
}

// keyUsed answers a request whose key was used before.
func keyUsed(given, fp string, u jobs.KeyUse) (any, error) {
	extra := map[string]any{"job": jobLocation(u.JobID)}
	switch {
	case u.Fingerprint != fp:
		return nil, &errs.Error{Kind: errs.Invalid, Msg: IdempotencyHeader + " " + quote(given) + " was already used for a different request",
			Fields: []errs.FieldError{{Field: IdempotencyHeader, Reason: "already used for a different request (method, path or body); use a new key"}}, Extra: extra}
	case u.Job == nil:
		extra["pruned"] = true
		extra["keyExpires"] = u.Expires.UTC().Format(time.RFC3339)
		return nil, &errs.Error{Kind: errs.Conflict, Extra: extra,
			Msg: "the job " + IdempotencyHeader + " " + quote(given) + " started (" + u.JobID + ") is no longer kept (job retention); " +
				"the key cannot start another job before " + u.Expires.UTC().Format(time.RFC3339)}
	}
	return accepted{location: jobLocation(u.JobID), body: toJob(*u.Job)}, nil
}

// begin claims key for one request; false when a request with it is
// already being processed.
func (i *idempotency) begin(key string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.inflight[key] {
		return false
	}
	if i.inflight == nil {
		i.inflight = map[string]bool{}
	}
	i.inflight[key] = true
	return true
}

func (i *idempotency) end(key string) {
	i.mu.Lock()
	delete(i.inflight, key)
	i.mu.Unlock()
}

// withIdempotency copies the request's key, and its id, into the job spec.
func withIdempotency(r *http.Request, spec jobs.Spec) jobs.Spec {
	if v, ok := r.Context().Value(idemKey{}).(idem); ok {
		spec.IdempotencyKey, spec.Fingerprint = v.key, v.fingerprint
	}
	// Every submission passes here: the job links to its request.
	spec.RequestID = requestID(r)
	return spec
}
