package auth

import (
	"crypto/x509"

	"github.com/hvport/hvport/errs"
)

// SubjectRule maps a client certificate's subject, as
// pkix.Name.String() prints it ("CN=portal,O=Example"), to a role.
type SubjectRule struct {
	Subject string
	Role    Role
	VMs     []string
}

// CertIdentity returns the identity of a verified client certificate: the
// rule whose subject equals the certificate's exactly. A certificate the
// CA signed but the allowlist does not name is Forbidden: the transport
// proved who it is, and that one is not allowed in (libvirt's
// tls_allowed_dn_list; security-anchors T3).
func CertIdentity(rules []SubjectRule, cert *x509.Certificate) (*Identity, error) {
	subject := cert.Subject.String()
	for _, r := range rules {
		if r.Subject == subject {
			return &Identity{Kind: KindCertificate, Name: subject, Role: r.Role, VMs: append([]string(nil), r.VMs...)}, nil
		}
	}
	return nil, errs.E(errs.Forbidden, "the client certificate's subject is not on this server's allowlist")
}
