// Package auth decides who a request comes from and what it may do:
// bearer tokens (hvp_<id>_<secret>, stored only as a SHA-256 hash in
// <data-dir>/tokens.json), client-certificate subjects mapped to roles
// (libvirt's tls_allowed_dn_list), three roles, and per-identity VM
// limits. It knows no HTTP: the middleware that applies it lives in
// handlers/security.go, which maps its errors to 401/403 problems.
//
// Roles (security-anchors Z1/Z2: deny by default, dangerous grants apart):
//
//	reader    every GET
//	operator  reader + start exports, read import settings, start copy and
//	          restore imports, verify exports, cancel its own jobs
//	admin     everything: overwrite exports, delete exports, register-in-place
//	          imports, discard planned VMs, manage tokens, cancel any job
//
// A token or subject may be limited to VMs by name glob or id; a limited
// identity sees only those VMs everywhere (lists are filtered, and a VM it
// may not see answers 404 rather than 403, so names do not leak).
package auth
