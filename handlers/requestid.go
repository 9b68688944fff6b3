package handlers

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/internal/logctx"
)

// RequestIDHeader carries a request's id in every answer.
const RequestIDHeader = "X-Request-Id"

// requestIDs gives every request an id of its own (a UUIDv7: random, and
// sorted by time): in the X-Request-Id header of the answer, in the
// request's log lines (request_id), in its audit records, and in the
// jobs it creates (requestId). An id a client sends is not taken: the
// audit log's ids must be the server's.
func requestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		w.Header().Set(RequestIDHeader, id)
		ctx := context.WithValue(r.Context(), requestInfoKey{}, &requestInfo{id: id})
		ctx = logctx.With(ctx, zap.String("request_id", id))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func newRequestID() string {
	if u, err := uuid.NewV7(); err == nil {
		return u.String()
	}
	return uuid.NewString()
}

type requestInfoKey struct{}

// requestInfo is what the middleware learns of a request, in one context
// value: its id (requestIDs) and who sent it (authenticate fills it in
// rather than copying the request once more: every request is
// authenticated, and a copy is a quarter of a kilobyte).
type requestInfo struct {
	id       string
	identity *auth.Identity
}

func infoOf(r *http.Request) *requestInfo {
	ri, _ := r.Context().Value(requestInfoKey{}).(*requestInfo)
	return ri
}

// requestID is the id requestIDs gave r ("" outside the router).
func requestID(r *http.Request) string {
	if ri := infoOf(r); ri != nil {
		return ri.id
	}
	return ""
}
