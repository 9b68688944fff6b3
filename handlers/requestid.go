package handlers

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"time"

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

// newRequestID returns a UUIDv7 (RFC 9562 §5.7): 48 bits of Unix
// milliseconds, the version, 74 random bits and the variant, so ids sort
// by time. Its random bits come from math/rand/v2 (ChaCha8 seeded by the
// runtime, no system call or lock): a request id is not a secret, and
// every request makes one.
func newRequestID() string {
	var u [16]byte
	binary.BigEndian.PutUint64(u[0:8], uint64(time.Now().UnixMilli())<<16|rand.Uint64()&0x0fff)
	u[6] = 0x70 | u[6]&0x0f // version 7
	binary.BigEndian.PutUint64(u[8:16], rand.Uint64())
	u[8] = 0x80 | u[8]&0x3f // variant 10
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	hex.Encode(s[9:13], u[4:6])
	hex.Encode(s[14:18], u[6:8])
	hex.Encode(s[19:23], u[8:10])
	hex.Encode(s[24:36], u[10:16])
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	return string(s[:])
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
