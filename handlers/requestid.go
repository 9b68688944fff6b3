package handlers

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"
	"go.uber.org/zap"

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
		ctx := r.Context()
		// Where chi's middleware (and audit records) look for it.
		ctx = context.WithValue(ctx, middleware.RequestIDKey, id)
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

// requestID is the id requestIDs gave r ("" outside the router).
func requestID(r *http.Request) string { return middleware.GetReqID(r.Context()) }
