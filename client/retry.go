package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"
)

// Retryable reports whether err is a connection error after which a
// request that is safe to repeat may be sent again: the connection was
// refused, reset or closed before the answer was read. An answer (a
// *Problem), a TLS verification failure, a pinned fingerprint that does
// not match, and the context's cancellation or deadline are not.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var (
		p     *Problem
		pin   *FingerprintError
		cv    *tls.CertificateVerificationError
		ua    x509.UnknownAuthorityError
		hn    x509.HostnameError
		ci    x509.CertificateInvalidError
		alert tls.AlertError
		rh    tls.RecordHeaderError
	)
	if errors.As(err, &p) || errors.As(err, &pin) || errors.As(err, &cv) || errors.As(err, &ua) ||
		errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &alert) || errors.As(err, &rh) {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false // a name that does not resolve will not start to
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true // dial, read or write on the connection failed
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}
