package client

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// FingerprintError is a TLS connection refused because the server's
// certificate is not the pinned one (WithFingerprint).
type FingerprintError struct {
	Want, Got string // uppercase hex pairs joined by colons, as the server logs them
}

func (e *FingerprintError) Error() string {
	if e.Got == "" {
		return "hvport client: the server presented no certificate (pinned SHA-256 " + e.Want + ")"
	}
	return "hvport client: the server's certificate has SHA-256 fingerprint " + e.Got + ", not the pinned " + e.Want
}

// ParseFingerprint reads a SHA-256 certificate fingerprint: 64 hex
// digits, in pairs joined by colons or not, either case, with or without
// a "sha256:" prefix.
func ParseFingerprint(s string) ([]byte, error) {
	t := strings.TrimSpace(s)
	if len(t) >= 7 && strings.EqualFold(t[:7], "sha256:") {
		t = t[7:]
	}
	t = strings.ReplaceAll(t, ":", "")
	b, err := hex.DecodeString(t)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("hvport client: fingerprint %q: want the certificate's SHA-256 as 64 hex digits (AB:CD:… as the server logs it)", s)
	}
	return b, nil
}

// FormatFingerprint writes a SHA-256 fingerprint as the server logs it.
func FormatFingerprint(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(parts, ":")
}

// CertificateFingerprint is the SHA-256 of a certificate's DER, the
// value WithFingerprint pins.
func CertificateFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return FormatFingerprint(sum[:])
}

// transport is http.DefaultTransport's settings with the TLS trust the
// options ask for.
func transport(caFile string, caPEM, fingerprint []byte) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("hvport client: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("hvport client: CA file %s holds no PEM certificate", caFile)
		}
		tc.RootCAs = pool
	}
	if caPEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("hvport client: WithCAPEM: no PEM certificate in it")
		}
		tc.RootCAs = pool
	}
	if fingerprint != nil {
		// The pin is the trust: without a CA the usual chain and host
		// name checks are skipped (a self-signed certificate has no
		// chain and may not name the address used), and the connection
		// stands or falls with the certificate's hash. With a CA both
		// must hold.
		tc.InsecureSkipVerify = caFile == "" && caPEM == nil
		tc.VerifyConnection = pin(append([]byte(nil), fingerprint...))
	}
	tr.TLSClientConfig = tc
	return tr, nil
}

// pin accepts a connection only when the leaf certificate's SHA-256 is
// want. It runs on every handshake, resumed ones included.
func pin(want []byte) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return &FingerprintError{Want: FormatFingerprint(want)}
		}
		got := sha256.Sum256(cs.PeerCertificates[0].Raw)
		if subtle.ConstantTimeCompare(got[:], want) != 1 {
			return &FingerprintError{Want: FormatFingerprint(want), Got: FormatFingerprint(got[:])}
		}
		return nil
	}
}
