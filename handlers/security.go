package handlers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.uber.org/zap"

	"github.com/hvport/hvport/audit"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/metrics"
)

// Security is how the router authenticates, authorizes and audits.
// The zero value denies every request but GET /v1/health: no token store
// means no valid token, and no audit log means no mutation (fail closed).
type Security struct {
	Tokens *auth.Store
	// Subjects map verified client-certificate subjects to roles (mTLS).
	Subjects []auth.SubjectRule
	// InsecureNoAuth makes every caller an admin. cmd/server allows it
	// only on loopback, for demos, and says so loudly.
	InsecureNoAuth bool
	Audit          *audit.Log
}

// public marks the one route that needs no credentials.
const public auth.Role = ""

// guard applies Security: authenticate (middleware, before routing, so an
// unknown route answers 401 to a stranger rather than revealing which
// routes exist), then per route the permission and the audit trail.
type guard struct {
	sec   Security
	a     adapter
	log   *zap.Logger
	rules map[string]auth.Role // "METHOD /pattern" → role needed; public = none
	// metrics counts authentication failures by reason; nil counts none.
	metrics *metrics.Metrics
}

// isPublic reports whether a request may skip authentication: health and
// the probes reveal no version, paths or host data; the reference page
// (/docs and its scripts) holds no spec, which it fetches with the
// caller's own credentials.
func isPublic(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	switch p := r.URL.Path; p {
	case "/v1/health", "/healthz", "/readyz", "/docs":
		return true
	default:
		return strings.HasPrefix(p, "/docs/")
	}
}

// authenticate puts the caller's identity into the request context or
// answers 401 (no or invalid credentials) / 403 (a client certificate
// not on the allowlist).
func (g *guard) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isPublic(r) {
			// Valid credentials, if sent, let health say more; invalid
			// ones are ignored there.
			if id, _, err := g.identify(r); err == nil && r.Header.Get("Authorization") != "" {
				r = withIdentity(r, id)
			}
			next.ServeHTTP(w, r)
			return
		}
		id, reason, err := g.identify(r)
		if err != nil {
			status := StatusOf(errs.KindOf(err))
			g.metrics.AuthFailed(failureReason(reason))
			g.deny(r, nil, status, reason)
			if status == http.StatusUnauthorized {
				challenge := `Bearer realm="hvport"`
				if reason != auth.ReasonMissing {
					challenge += `, error="invalid_token"`
				}
				w.Header().Set("WWW-Authenticate", challenge)
			}
			g.a.problem(w, r, err)
			return
		}
		next.ServeHTTP(w, withIdentity(r, id))
	})
}

// withIdentity records who sent r, in its requestInfo when it has one.
func withIdentity(r *http.Request, id *auth.Identity) *http.Request {
	if ri := infoOf(r); ri != nil {
		ri.identity = id
		return r
	}
	return r.WithContext(auth.WithIdentity(r.Context(), id))
}

// identify finds who sent r. The reason is for the audit log only.
func (g *guard) identify(r *http.Request) (*auth.Identity, string, error) {
	if g.sec.InsecureNoAuth {
		return &auth.Identity{Kind: auth.KindInsecure, Name: "anonymous", Role: auth.Admin}, "", nil
	}
	var byCert *auth.Identity
	if cert := verifiedClientCert(r.TLS); cert != nil {
		id, err := auth.CertIdentity(g.sec.Subjects, cert)
		if err != nil {
			return nil, "certificate subject not allowed: " + cert.Subject.String(), err
		}
		byCert = id
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		if byCert != nil {
			return byCert, "", nil
		}
		return nil, auth.ReasonMissing, errs.E(errs.Unauthenticated, "this request needs credentials: send Authorization: Bearer <token>")
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return nil, auth.ReasonMalformed, errs.E(errs.Unauthenticated, "the Authorization header must be \"Bearer <token>\"")
	}
	if g.sec.Tokens == nil {
		return nil, auth.ReasonUnknown, errs.E(errs.Unauthenticated, "the bearer token is not valid")
	}
	id, err := g.sec.Tokens.Authenticate(strings.TrimSpace(tok))
	var ae *auth.AuthError
	switch {
	case errors.As(err, &ae):
		reason := ae.Reason
		if ae.TokenID != "" {
			reason += " (token id " + ae.TokenID + ")"
		}
		// One answer for unknown, revoked, wrong and expired tokens.
		return nil, reason, errs.E(errs.Unauthenticated, "the bearer token is not valid (unknown, revoked or expired)")
	case err != nil:
		return nil, "token store unreadable", errs.Wrap(errs.Internal, err, "read the token store")
	}
	return id, "", nil
}

// failureReason is identify's reason as a bounded label: the first word
// of auth's reasons ("mismatch (token id …)" → "mismatch"), "certificate"
// for a subject not on the allowlist, "store_error" for an unreadable
// token store.
func failureReason(reason string) string {
	switch {
	case strings.HasPrefix(reason, "certificate"):
		return "certificate"
	case strings.HasPrefix(reason, "token store"):
		return "store_error"
	}
	word, _, _ := strings.Cut(reason, " ")
	return word
}

// verifiedClientCert is the client's certificate when the TLS layer
// verified it against the configured client CA (VerifyClientCertIfGiven:
// a certificate from another CA fails the handshake).
func verifiedClientCert(cs *tls.ConnectionState) *x509.Certificate {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return nil
	}
	return cs.VerifiedChains[0][0]
}

// on returns the route table's one verb: register a route with the role
// it needs. Every route goes through it, so every route has a rule (a test
// walks the router to prove it).
func (g *guard) on(r chi.Router) func(method, pattern string, need auth.Role, h handlerFunc) {
	return func(method, pattern string, need auth.Role, h handlerFunc) {
		g.rules[method+" "+pattern] = need
		r.Method(method, pattern, g.permit(method, pattern, need, g.a.wrap(h)))
	}
}

// permit checks the role a route needs and, for a mutating route, writes
// the audit record before the handler runs (refusing with 503 when it
// cannot) and the outcome after.
func (g *guard) permit(method, pattern string, role auth.Role, h http.HandlerFunc) http.HandlerFunc {
	mutating := method != http.MethodGet && method != http.MethodHead && !readOnlyPOST[pattern]
	return func(w http.ResponseWriter, r *http.Request) {
		if role == public {
			h(w, r)
			return
		}
		id := identityOf(r)
		if err := authorize(r, id, method, pattern, role); err != nil {
			g.deny(r, id, http.StatusForbidden, "needs "+string(role))
			g.a.problem(w, r, err)
			return
		}
		if !mutating {
			h(w, r)
			return
		}
		t := &trail{log: g.sec.Audit, rec: audit.Record{RequestID: requestID(r), Source: clientIP(r), Identity: who(id),
			Method: method, Route: pattern, Path: r.URL.Path, VM: chi.URLParam(r, "vm"), IdempotencyKey: r.Header.Get(IdempotencyHeader), Decision: "allow"}}
		if err := t.write(audit.StageRequest); err != nil {
			g.log.Error("audit log unwritable: mutating request refused", zap.String("request_id", t.rec.RequestID), zap.Error(err))
			g.a.problem(w, r, auditDown())
			return
		}
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		h(ww, r.WithContext(context.WithValue(r.Context(), trailKey{}, t)))
		t.rec.Status = ww.Status()
		if loc := ww.Header().Get("Location"); strings.HasPrefix(loc, "/v1/jobs/") {
			t.rec.Job = strings.TrimPrefix(loc, "/v1/jobs/")
		}
		if err := t.write(audit.StageOutcome); err != nil {
			// The request took effect already; the server log keeps what
			// the audit log could not.
			g.log.Error("audit log unwritable: outcome not recorded", zap.String("request_id", t.rec.RequestID),
				zap.String("route", pattern), zap.Int("status", t.rec.Status), zap.String("job", t.rec.Job), zap.Error(err))
		}
	}
}

// authorize checks the role a route needs; an export grant is decided by
// grantPermits (its export, its routes) instead of the role order.
func authorize(r *http.Request, id *auth.Identity, method, pattern string, need auth.Role) error {
	if id != nil && (id.Role == auth.Grant || id.Grant != nil) {
		return grantPermits(r, id, method, pattern, need)
	}
	return requireRole(r, need, method+" "+pattern)
}

// readOnlyPOST lists the POST routes that change nothing (a body instead
// of a long query string): they are reads for the audit log, and go on
// when it cannot be written.
var readOnlyPOST = map[string]bool{"/v1/import-settings": true}

// deny records a refused request (rate-limited per source).
func (g *guard) deny(r *http.Request, id *auth.Identity, status int, reason string) {
	if g.sec.Audit == nil {
		return
	}
	g.sec.Audit.Denied(audit.Record{RequestID: requestID(r), Source: clientIP(r), Identity: who(id),
		Method: r.Method, Path: r.URL.Path, Reason: reason, Status: status})
}

func auditDown() *errs.Error {
	return errs.E(errs.AuditUnavailable, "the audit log cannot be written, so this server refuses changes; nothing was done. Reads still work")
}

func who(id *auth.Identity) *audit.Who {
	if id == nil {
		return nil
	}
	return &audit.Who{Kind: id.Kind, TokenID: id.TokenID, Name: id.Name, Role: string(id.Role)}
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// trail is a mutating request's audit record in the making.
type trail struct {
	log *audit.Log
	rec audit.Record
}

type trailKey struct{}

func (t *trail) write(stage string) error {
	if t.log == nil {
		return errors.New("no audit log configured")
	}
	rec := t.rec
	rec.Stage = stage
	return t.log.Write(rec)
}

// effect describes what a mutating request is about to do, once validated.
type effect struct {
	VM     string            // the VM id
	Target string            // export id, token name, planned VM id
	Paths  map[string]string // request field → normalised path
}

// auditOutcomeTarget names what a mutating request made, once it exists
// (a new grant), in its outcome record.
func auditOutcomeTarget(r *http.Request, target string) {
	if t, _ := r.Context().Value(trailKey{}).(*trail); t != nil {
		t.rec.Target = target
	}
}

// auditEffect records, before it happens, what a validated mutating
// request will do. When the record cannot be written the handler must
// return the error and do nothing (fail closed).
func auditEffect(r *http.Request, e effect) error {
	t, _ := r.Context().Value(trailKey{}).(*trail)
	if t == nil {
		return nil // not a mutating route
	}
	if e.VM != "" {
		t.rec.VM = e.VM
	}
	t.rec.Target, t.rec.Paths = e.Target, e.Paths
	if err := t.write(audit.StageEffect); err != nil {
		e := auditDown()
		e.Err = err
		return e
	}
	return nil
}
