package handlers

import (
	"net/http"

	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/errs"
)

// A token or certificate limited to some VMs sees only those: lists are
// filtered, and anything about another VM answers exactly as if it did not
// exist (404 with the same message), so VM names and ids do not leak.

// identityOf is who sent r: as authenticate recorded it, or (a handler
// called without the router, in tests) as the context carries it.
func identityOf(r *http.Request) *auth.Identity {
	if ri := infoOf(r); ri != nil && ri.identity != nil {
		return ri.identity
	}
	return auth.FromContext(r.Context())
}

// canSee reports whether the caller may see the VM.
func canSee(r *http.Request, id, name string) bool { return identityOf(r).CanSeeVM(id, name) }

// vmNotFound is the driver's answer for a VM that does not exist.
func vmNotFound(ref string) error {
	return &errs.Error{Kind: errs.NotFound, Msg: "no VM with id or name " + quote(ref)}
}

// requireRole refuses with 403 unless the caller's role includes role; what says
// which part of the request needs it (e.g. "overwrite": true).
func requireRole(r *http.Request, role auth.Role, what string) error {
	id := identityOf(r)
	if id.Can(role) {
		return nil
	}
	have := "no role"
	if id != nil {
		have = "the " + string(id.Role) + " role"
	}
	return &errs.Error{Kind: errs.Forbidden, Msg: what + " needs the " + string(role) + " role; these credentials have " + have,
		Extra: map[string]any{"requiredRole": string(role)}}
}
