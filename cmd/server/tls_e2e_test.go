package main

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/auth"
)

// The real server with TLS and client certificates: the self-signed
// certificate is served and can be pinned, a client certificate whose
// subject is listed gets its role, one from the same CA with another
// subject gets 403, and a token still works without a certificate.
func TestTLSAndClientCertificatesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	day := 24 * time.Hour
	caFile, _, ca, caKey := testCert(t, dir, "ca", caTemplate("hvport e2e CA"), nil, nil)
	client := func(name string) tls.Certificate {
		cf, kf, _, _ := testCert(t, dir, name, certTemplate(pkix.Name{CommonName: name, Organization: []string{"Example"}}, x509.ExtKeyUsageClientAuth, time.Now().Add(day)), ca, caKey)
		return mustPair(t, cf, kf)
	}
	portal, intruder := client("portal"), client("intruder")

	base, dataDir := startServer(t, fmt.Sprintf("tls:\n  mode: \"on\"\n  client-ca: %q\nauth:\n  client-subjects:\n    - subject: \"CN=portal,O=Example\"\n      role: reader\n", caFile))
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("tls.mode on serves %s", base)
	}
	pem, err := os.ReadFile(filepath.Join(dataDir, "tls", "cert.pem"))
	if err != nil {
		t.Fatalf("no self-signed certificate in the data directory: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	as := func(cert *tls.Certificate, token, method, path string) int {
		tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		if cert != nil {
			tc.Certificates = []tls.Certificate{*cert}
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
		req, _ := http.NewRequest(method, base+path, strings.NewReader(`{"name": "x", "role": "reader"}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	admin := adminToken(t, dataDir)
	for _, c := range []struct {
		name         string
		cert         *tls.Certificate
		token        string
		method, path string
		want         int
	}{
		{"nothing", nil, "", "GET", "/v1/vms", 401},
		{"token over TLS", nil, admin, "GET", "/v1/vms", 200},
		{"listed certificate", &portal, "", "GET", "/v1/vms", 200},
		{"listed certificate, role too low", &portal, "", "POST", "/v1/tokens", 403},
		{"certificate not on the allowlist", &intruder, "", "GET", "/v1/vms", 403},
		{"certificate not on the allowlist, with a token", &intruder, admin, "GET", "/v1/vms", 403},
		{"listed certificate with an admin token", &portal, admin, "POST", "/v1/tokens", 201},
	} {
		if got := as(c.cert, c.token, c.method, c.path); got != c.want {
			t.Errorf("%s: %s %s = %d, want %d", c.name, c.method, c.path, got, c.want)
		}
	}
	// Plain HTTP on the TLS port gets nothing useful.
	resp, err := http.Get("http://" + strings.TrimPrefix(base, "https://") + "/v1/health")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP answered 200 on the TLS listener")
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, auth.AdminTokenFile)); err != nil {
		t.Fatal(err)
	}
}
