package auth

import (
	"context"
	"path"
	"strings"
)

// Kinds of identity.
const (
	KindToken       = "token"
	KindCertificate = "certificate"
	// KindInsecure is the caller of a server started with
	// --insecure-no-auth (loopback demos only): an admin nobody proved.
	KindInsecure = "insecure-no-auth"
)

// Identity is who a request comes from. It never holds a secret.
type Identity struct {
	Kind    string   // KindToken, KindCertificate or KindInsecure
	TokenID string   // the token's public id (KindToken)
	Name    string   // the token's name, or the certificate's subject
	Role    Role     //
	VMs     []string // VM name globs or ids this identity is limited to; empty = every VM
	// Grant is the export a grant (role Grant) is limited to; nil for
	// every other identity.
	Grant *GrantScope
}

// Principal is the stable name of an identity in job records and audit
// lines: "token:<id>", "certificate:<subject>" or "insecure-no-auth".
func (i *Identity) Principal() string {
	if i == nil {
		return ""
	}
	switch i.Kind {
	case KindToken:
		return KindToken + ":" + i.TokenID
	case KindCertificate:
		return KindCertificate + ":" + i.Name
	}
	return i.Kind
}

// Can reports whether the identity's role includes need.
func (i *Identity) Can(need Role) bool { return i != nil && i.Role.Includes(need) }

// Limited reports whether the identity sees only some VMs.
func (i *Identity) Limited() bool { return i != nil && len(i.VMs) > 0 }

// CanSeeVM reports whether the identity may see the VM with this id and
// name. A pattern matches the id exactly or the name as a glob (path.Match
// syntax); both case-insensitively, as Hyper-V treats names and GUIDs.
func (i *Identity) CanSeeVM(id, name string) bool {
	if i == nil {
		return false
	}
	if len(i.VMs) == 0 {
		return true
	}
	for _, p := range i.VMs {
		lp := strings.ToLower(p)
		if id != "" && lp == strings.ToLower(id) {
			return true
		}
		if name != "" {
			if ok, err := path.Match(lp, strings.ToLower(name)); err == nil && ok {
				return true
			}
		}
	}
	return false
}

// ValidVMPattern reports whether p is a usable VM pattern.
func ValidVMPattern(p string) bool {
	if strings.TrimSpace(p) == "" {
		return false
	}
	_, err := path.Match(strings.ToLower(p), "")
	return err == nil
}

type ctxKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the request's identity, or nil.
func FromContext(ctx context.Context) *Identity {
	id, _ := ctx.Value(ctxKey{}).(*Identity)
	return id
}
