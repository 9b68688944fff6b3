package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.0.0.2:80": true, "[::1]:80": true, "localhost:80": true, "LOCALHOST:1": true,
		"[::ffff:127.0.0.1]:80": true,
		":80":                   false, "0.0.0.0:80": false, "[::]:80": false, "10.0.0.1:80": false,
		"example.com:80": false, "localhost.example.com:80": false, "127.0.0.1": false, "": false,
		"[::2]:80": false, "128.0.0.1:80": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v", addr, got)
		}
	}
}

// testCert writes a certificate made from tmpl (signed by parent, or
// self-signed when parent is nil) and its private key (mode 0600) to dir.
func testCert(t *testing.T, dir, name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (certFile, keyFile string, cert *x509.Certificate, key *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile, cert, key
}

func certTemplate(subject pkix.Name, usage x509.ExtKeyUsage, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject: subject, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
}

func caTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{
		Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
	}
}

// fixtures are the files the security tests configure.
type fixtures struct {
	cert, key, ca                 string
	otherKey, openKey, garbage    string
	expiredCert, expiredKey       string
	clientOnlyCert, clientOnlyKey string
	missing                       string
	clientCert                    tls.Certificate // from ca
	strangerCert                  tls.Certificate // from another CA
}

func newFixtures(t *testing.T) fixtures {
	t.Helper()
	dir := t.TempDir()
	var f fixtures
	day := 24 * time.Hour
	f.cert, f.key, _, _ = testCert(t, dir, "server", certTemplate(pkix.Name{CommonName: "hvport"}, x509.ExtKeyUsageServerAuth, time.Now().Add(day)), nil, nil)
	_, f.otherKey, _, _ = testCert(t, dir, "other", certTemplate(pkix.Name{CommonName: "other"}, x509.ExtKeyUsageServerAuth, time.Now().Add(day)), nil, nil)
	expired := certTemplate(pkix.Name{CommonName: "old"}, x509.ExtKeyUsageServerAuth, time.Now().Add(-day))
	expired.NotBefore = time.Now().Add(-2 * day)
	f.expiredCert, f.expiredKey, _, _ = testCert(t, dir, "expired", expired, nil, nil)
	f.clientOnlyCert, f.clientOnlyKey, _, _ = testCert(t, dir, "clientonly", certTemplate(pkix.Name{CommonName: "c"}, x509.ExtKeyUsageClientAuth, time.Now().Add(day)), nil, nil)

	f.openKey = filepath.Join(dir, "open-key.pem")
	b, _ := os.ReadFile(f.key)
	os.WriteFile(f.openKey, b, 0o644)
	os.Chmod(f.openKey, 0o644)
	f.garbage = filepath.Join(dir, "garbage.pem")
	os.WriteFile(f.garbage, []byte("not PEM at all\n"), 0o600)
	f.missing = filepath.Join(dir, "missing.pem")

	var ca *x509.Certificate
	var caKey *ecdsa.PrivateKey
	f.ca, _, ca, caKey = testCert(t, dir, "ca", caTemplate("hvport test CA"), nil, nil)
	portal := pkix.Name{CommonName: "portal", Organization: []string{"Example"}}
	cf, kf, _, _ := testCert(t, dir, "portal", certTemplate(portal, x509.ExtKeyUsageClientAuth, time.Now().Add(day)), ca, caKey)
	f.clientCert = mustPair(t, cf, kf)
	_, _, strangerCA, strangerKey := testCert(t, dir, "stranger-ca", caTemplate("someone else's CA"), nil, nil)
	cf, kf, _, _ = testCert(t, dir, "stranger", certTemplate(portal, x509.ExtKeyUsageClientAuth, time.Now().Add(day)), strangerCA, strangerKey)
	f.strangerCert = mustPair(t, cf, kf)
	return f
}

func mustPair(t *testing.T, certFile, keyFile string) tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var portalRule = []SubjectRule{{Subject: "CN=portal,O=Example", Role: "operator"}}

// TestCheckSecurityRefuses: every insecure configuration fails the start
// with an error naming the key at fault (security anchors T1, T2).
func TestCheckSecurityRefuses(t *testing.T) {
	f := newFixtures(t)
	for _, tc := range []struct {
		name    string
		set     func(*Config)
		godebug string
		want    string
	}{
		{"plain HTTP on all addresses", func(c *Config) { c.Listen, c.TLS.Mode = "0.0.0.0:8443", "off" }, "", "tls.mode off on 0.0.0.0:8443"},
		{"plain HTTP on an empty host", func(c *Config) { c.Listen, c.TLS.Mode = ":8443", "off" }, "", "tls.mode off"},
		{"plain HTTP on ::", func(c *Config) { c.Listen, c.TLS.Mode = "[::]:8443", "off" }, "", "tls.mode off"},
		{"plain HTTP on a LAN address", func(c *Config) { c.Listen, c.TLS.Mode = "10.0.0.5:8443", "off" }, "", "tls.mode off"},
		{"plain HTTP on a name", func(c *Config) { c.Listen, c.TLS.Mode = "localhost.example.com:8443", "off" }, "", "tls.mode off"},
		{"no auth off loopback", func(c *Config) { c.Listen, c.InsecureNoAuth = "0.0.0.0:8443", true }, "", "insecure-no-auth on 0.0.0.0:8443"},
		{"no auth with mTLS", func(c *Config) {
			c.InsecureNoAuth, c.TLS.ClientCA, c.Auth.ClientSubjects = true, f.ca, portalRule
		}, "", "insecure-no-auth with tls.client-ca"},
		{"unknown tls mode", func(c *Config) { c.TLS.Mode = "optional" }, "", `tls.mode "optional"`},
		{"TLS 1.0", func(c *Config) { c.TLS.MinVersion = "1.0" }, "", `tls.min-version "1.0"`},
		{"TLS 1.1", func(c *Config) { c.TLS.MinVersion = "1.1" }, "", `tls.min-version "1.1"`},
		{"TLS version spelled tls1.0", func(c *Config) { c.TLS.MinVersion = "tls1.0" }, "", "tls.min-version"},
		{"TLS version garbage", func(c *Config) { c.TLS.MinVersion = "latest" }, "", "tls.min-version"},
		{"tls10server", nil, "tls10server=1", "GODEBUG tls10server=1"},
		{"tlsrsakex among others", nil, "http2client=0,tlsrsakex=1", "GODEBUG tlsrsakex=1"},
		{"tls3des", nil, "tls3des=1", "GODEBUG tls3des=1"},
		{"client CA without allowlist", func(c *Config) { c.TLS.ClientCA = f.ca }, "", "tls.client-ca without auth.client-subjects"},
		{"allowlist without client CA", func(c *Config) { c.Auth.ClientSubjects = portalRule }, "", "auth.client-subjects without tls.client-ca"},
		{"empty subject", func(c *Config) {
			c.TLS.ClientCA, c.Auth.ClientSubjects = f.ca, []SubjectRule{{Subject: " ", Role: "reader"}}
		}, "", "auth.client-subjects[0] subject"},
		{"OpenSSL-style subject", func(c *Config) {
			c.TLS.ClientCA, c.Auth.ClientSubjects = f.ca, []SubjectRule{{Subject: "/O=Example/CN=portal", Role: "reader"}}
		}, "", "auth.client-subjects[0] subject"},
		{"subject with spaces", func(c *Config) {
			c.TLS.ClientCA, c.Auth.ClientSubjects = f.ca, []SubjectRule{{Subject: "CN=portal, O=Example", Role: "reader"}}
		}, "", "no space after a comma"},
		{"subject twice", func(c *Config) {
			c.TLS.ClientCA, c.Auth.ClientSubjects = f.ca, append(slices.Clone(portalRule), SubjectRule{Subject: "CN=portal,O=Example", Role: "admin"})
		}, "", "auth.client-subjects[1] subject \"CN=portal,O=Example\": listed twice"},
		{"unknown role", func(c *Config) {
			c.TLS.ClientCA, c.Auth.ClientSubjects = f.ca, []SubjectRule{{Subject: "CN=portal", Role: "root"}}
		}, "", `auth.client-subjects[0] role "root"`},
		{"no role", func(c *Config) {
			c.TLS.ClientCA, c.Auth.ClientSubjects = f.ca, []SubjectRule{{Subject: "CN=portal"}}
		}, "", `auth.client-subjects[0] role ""`},
		{"bad VM glob", func(c *Config) {
			c.TLS.ClientCA, c.Auth.ClientSubjects = f.ca, []SubjectRule{{Subject: "CN=portal", Role: "reader", VMs: []string{"web-["}}}
		}, "", "auth.client-subjects[0] vms"},
		{"cert without key", func(c *Config) { c.TLS.Cert = f.cert }, "", "tls.cert and tls.key"},
		{"key without cert", func(c *Config) { c.TLS.Key = f.key }, "", "tls.cert and tls.key"},
		{"missing cert", func(c *Config) { c.TLS.Cert, c.TLS.Key = f.missing, f.key }, "", "tls.cert: open"},
		{"garbage cert", func(c *Config) { c.TLS.Cert, c.TLS.Key = f.garbage, f.key }, "", "tls.cert " + f.garbage + ": no PEM certificate"},
		{"missing key", func(c *Config) { c.TLS.Cert, c.TLS.Key = f.cert, f.missing }, "", "tls.key: open"},
		{"garbage key", func(c *Config) { c.TLS.Cert, c.TLS.Key = f.cert, f.garbage }, "", "tls.key " + f.garbage + ": no PEM private key"},
		{"key of another cert", func(c *Config) { c.TLS.Cert, c.TLS.Key = f.cert, f.otherKey }, "", "tls.key " + f.otherKey + " does not fit tls.cert"},
		{"expired cert", func(c *Config) { c.TLS.Cert, c.TLS.Key = f.expiredCert, f.expiredKey }, "", "tls.cert " + f.expiredCert + " expired on"},
		{"client-only cert", func(c *Config) { c.TLS.Cert, c.TLS.Key = f.clientOnlyCert, f.clientOnlyKey }, "", "lacks serverAuth"},
		{"missing client CA", func(c *Config) { c.TLS.ClientCA, c.Auth.ClientSubjects = f.missing, portalRule }, "", "tls.client-ca: open"},
		{"garbage client CA", func(c *Config) { c.TLS.ClientCA, c.Auth.ClientSubjects = f.garbage, portalRule }, "", "tls.client-ca " + f.garbage + ": no PEM certificate"},
		{"mTLS without TLS", func(c *Config) {
			c.TLS.Mode, c.TLS.ClientCA, c.Auth.ClientSubjects = "off", f.ca, portalRule
		}, "", "tls.client-ca with tls.mode off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.DataDir = t.TempDir()
			if tc.set != nil {
				tc.set(&cfg)
			}
			err := checkSecurity(cfg, func(k string) string {
				if k == "GODEBUG" {
					return tc.godebug
				}
				return ""
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("checkSecurity = %v; want an error containing %q", err, tc.want)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || strings.HasSuffix(msg, ".") {
				t.Errorf("not one line without a final period: %q", msg)
			}
			if entries, _ := os.ReadDir(cfg.DataDir); len(entries) > 0 {
				t.Errorf("checkSecurity created %v", entries)
			}
		})
	}
}

func TestCheckSecurityKeyReadableByOthers(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes; secfile tests the Windows DACL check")
	}
	f := newFixtures(t)
	cfg := defaultConfig()
	cfg.Listen, cfg.TLS.Cert, cfg.TLS.Key = "0.0.0.0:8443", f.cert, f.openKey
	err := checkSecurity(cfg, os.Getenv)
	if err == nil || !strings.Contains(err.Error(), "tls.key: "+f.openKey+" is readable by others") {
		t.Fatalf("checkSecurity = %v", err)
	}
}

func TestCheckSecurityAccepts(t *testing.T) {
	f := newFixtures(t)
	for _, tc := range []struct {
		name    string
		set     func(*Config)
		godebug string
		tls     bool // serverTLS serves TLS
	}{
		{"defaults: plain HTTP on loopback", nil, "", false},
		{"plain HTTP on ::1", func(c *Config) { c.Listen, c.TLS.Mode = "[::1]:8080", "off" }, "", false},
		{"no-auth demo on localhost", func(c *Config) { c.Listen, c.InsecureNoAuth = "localhost:8080", true }, "", false},
		{"TLS on loopback, 1.3 only", func(c *Config) { c.TLS.Mode, c.TLS.MinVersion = "on", "1.3" }, "", true},
		{"all addresses, generated certificate", func(c *Config) { c.Listen = "0.0.0.0:8443" }, "", true},
		{"all addresses, given certificate", func(c *Config) { c.Listen, c.TLS.Cert, c.TLS.Key = ":8443", f.cert, f.key }, "", true},
		{"mTLS with subjects", func(c *Config) {
			c.Listen, c.TLS.ClientCA = "10.0.0.5:8443", f.ca
			c.Auth.ClientSubjects = []SubjectRule{{Subject: "CN=portal,O=Example", Role: "operator", VMs: []string{"web-*"}}, {Subject: `CN=x\, y,O=Example`, Role: "reader"}}
		}, "", true},
		{"a harmless GODEBUG", func(c *Config) { c.Listen = "0.0.0.0:8443" }, "tls10server=1,tls10server=0,http2debug=1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.DataDir = t.TempDir()
			if tc.set != nil {
				tc.set(&cfg)
			}
			if err := checkSecurity(cfg, func(string) string { return tc.godebug }); err != nil {
				t.Fatal(err)
			}
			srv, fp, generated, err := serverTLS(cfg, cfg.Listen)
			if err != nil || (srv != nil) != tc.tls {
				t.Fatalf("serverTLS = %v, %v; want TLS %v", srv, err, tc.tls)
			}
			if tc.tls && (fp == "" || generated != (cfg.TLS.Cert == "")) {
				t.Fatalf("fingerprint %q, generated %v", fp, generated)
			}
		})
	}
}

func TestServerTLSFailsClosed(t *testing.T) {
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.TLS.Mode = "off"
	if _, _, _, err := serverTLS(cfg, "0.0.0.0:8443"); err == nil || !strings.Contains(err.Error(), "tls.mode off") {
		t.Fatalf("plain HTTP off loopback: %v", err)
	}
	cfg.TLS.Mode = "sometimes"
	if _, _, _, err := serverTLS(cfg, "0.0.0.0:8443"); err == nil {
		t.Fatal("unknown mode accepted")
	}
}

func TestServerTLSGeneratedCertificate(t *testing.T) {
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	const listen = "0.0.0.0:8443"
	_, fp, generated, err := serverTLS(cfg, listen)
	if err != nil || !generated {
		t.Fatalf("first start: generated %v, %v", generated, err)
	}
	_, fp2, generated, err := serverTLS(cfg, listen)
	if err != nil || generated || fp2 != fp {
		t.Fatalf("second start: generated %v, fingerprint %s (was %s), %v", generated, fp2, fp, err)
	}

	dir := filepath.Join(cfg.DataDir, "tls")
	keyFile, certFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	if runtime.GOOS != "windows" {
		for file, want := range map[string]os.FileMode{keyFile: 0o600, dir: 0o700} {
			if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, %v; want %04o", file, fi.Mode(), err, want)
			}
		}
	}
	certPEM, _ := os.ReadFile(certFile)
	block, _ := pem.Decode(certPEM)
	sum := sha256.Sum256(block.Bytes)
	var pairs []string
	for _, b := range sum {
		pairs = append(pairs, strings.ToUpper(hex.EncodeToString([]byte{b})))
	}
	if want := strings.Join(pairs, ":"); fp != want {
		t.Fatalf("fingerprint %s; want %s", fp, want)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for _, name := range []string{"localhost", "127.0.0.1", "::1", host} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("generated certificate: %v", err)
		}
	}
	if _, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || leaf.NotAfter.Sub(leaf.NotBefore) < 365*24*time.Hour {
		t.Errorf("generated certificate: %T key, valid %s", leaf.PublicKey, leaf.NotAfter.Sub(leaf.NotBefore))
	}

	// A listen address the certificate does not name: a new one that does.
	_, fp3, generated, err := serverTLS(cfg, "10.1.2.3:8443")
	if err != nil || !generated || fp3 == fp {
		t.Fatalf("new listen IP: generated %v, %v", generated, err)
	}
	c, _, err := selfSigned(dir, "10.1.2.3:8443", time.Now())
	if err != nil || c.Leaf.VerifyHostname("10.1.2.3") != nil {
		t.Fatalf("the listen IP is not covered: %v", err)
	}
	// 29 days before it expires: renewed; 31 days before: kept.
	if _, generated, _ := selfSigned(dir, "10.1.2.3:8443", c.Leaf.NotAfter.Add(-31*24*time.Hour)); generated {
		t.Error("renewed 31 days before expiry")
	}
	if _, generated, _ := selfSigned(dir, "10.1.2.3:8443", c.Leaf.NotAfter.Add(-29*24*time.Hour)); !generated {
		t.Error("not renewed 29 days before expiry")
	}
	// A damaged pair (a crash between the two writes) is replaced.
	os.WriteFile(certFile, []byte("torn"), 0o600)
	if _, generated, err := selfSigned(dir, listen, time.Now()); err != nil || !generated {
		t.Errorf("damaged certificate: generated %v, %v", generated, err)
	}
}

// handshake connects a client configured by client to a server using srv
// over loopback TCP and returns both sides' handshake errors and what the
// server saw.
func handshake(t *testing.T, srv *tls.Config, client *tls.Config) (clientErr, serverErr error, state tls.ConnectionState) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		err   error
		state tls.ConnectionState
	}
	done := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer c.Close()
		tc := tls.Server(c, srv)
		err = tc.Handshake()
		done <- result{err, tc.ConnectionState()}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cc := tls.Client(raw, client)
	clientErr = cc.Handshake()
	raw.Close() // a server still waiting for the client gives up
	r := <-done
	return clientErr, r.err, r.state
}

func TestServerTLSHandshakes(t *testing.T) {
	f := newFixtures(t)
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "0.0.0.0:8443"
	srv, _, _, err := serverTLS(cfg, cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificates[0].Leaf)
	client := func(min, max uint16, suites ...uint16) *tls.Config {
		return &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: min, MaxVersion: max, CipherSuites: suites}
	}
	cbc := []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256}
	for _, tc := range []struct {
		name   string
		client *tls.Config
		ok     bool
	}{
		{"TLS 1.0", client(tls.VersionTLS10, tls.VersionTLS10), false},
		{"TLS 1.1", client(tls.VersionTLS10, tls.VersionTLS11), false},
		{"TLS 1.2 CBC and RSA key exchange only", client(tls.VersionTLS12, tls.VersionTLS12, cbc...), false},
		{"TLS 1.2 AES-GCM", client(tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), true},
		{"TLS 1.2 ChaCha20", client(tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256), true},
		{"TLS 1.3", client(tls.VersionTLS13, tls.VersionTLS13), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cerr, serr, state := handshake(t, srv, tc.client)
			if ok := cerr == nil && serr == nil; ok != tc.ok {
				t.Fatalf("client %v, server %v; want success %v", cerr, serr, tc.ok)
			}
			if tc.ok && state.Version == tls.VersionTLS12 && !slices.Contains(aeadSuites, state.CipherSuite) {
				t.Errorf("suite %s", tls.CipherSuiteName(state.CipherSuite))
			}
		})
	}

	// tls.min-version 1.3 turns TLS 1.2 away.
	cfg.TLS.MinVersion = "1.3"
	srv13, _, _, err := serverTLS(cfg, cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	if cerr, serr, _ := handshake(t, srv13, client(tls.VersionTLS12, tls.VersionTLS12)); cerr == nil || serr == nil {
		t.Errorf("TLS 1.2 against min-version 1.3: client %v, server %v", cerr, serr)
	}

	// mTLS: a certificate from the CA is verified, one from another CA fails
	// the handshake, none at all is left to the token check.
	cfg.TLS.MinVersion = "1.2"
	cfg.TLS.ClientCA, cfg.Auth.ClientSubjects = f.ca, portalRule
	srvM, _, _, err := serverTLS(cfg, cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		cert    *tls.Certificate
		ok      bool
		subject string
	}{
		{"certificate from the CA", &f.clientCert, true, "CN=portal,O=Example"},
		{"certificate from another CA", &f.strangerCert, false, ""},
		{"no certificate", nil, true, ""},
	} {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(tc.name+" "+tls.VersionName(v), func(t *testing.T) {
				c := client(v, v)
				// Sent whatever CAs the server names, as an attacker would.
				c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
					if tc.cert == nil {
						return &tls.Certificate{}, nil
					}
					return tc.cert, nil
				}
				_, serr, state := handshake(t, srvM, c)
				if (serr == nil) != tc.ok {
					t.Fatalf("server %v; want success %v", serr, tc.ok)
				}
				var got string
				if len(state.PeerCertificates) > 0 {
					got = state.PeerCertificates[0].Subject.String()
				}
				if tc.ok && got != tc.subject {
					t.Errorf("client subject %q; want %q", got, tc.subject)
				}
			})
		}
	}
}

// TestSecurityFlags: the new keys load from a file, and the flags win.
func TestSecurityFlags(t *testing.T) {
	dir := t.TempDir()
	file, vms, audit := filepath.Join(dir, "hvport.yaml"), filepath.Join(dir, "vms"), filepath.Join(dir, "audit.log")
	os.WriteFile(file, []byte(fmt.Sprintf(`
listen: 0.0.0.0:8443
import-roots: [%q]
audit-log: %q
tls: {mode: on, cert: /file/cert.pem, key: /file/key.pem, min-version: 1.3} # unquoted: still strings
auth:
  client-subjects:
    - {subject: "CN=portal,O=Example", role: operator, vms: ["web-*", "1a2b"]}
`, vms, audit)), 0o600)
	cfg, err := loadConfig([]string{"--config", file, "--tls-cert", "/flag/cert.pem", "--tls-key=/flag/key.pem", "--tls-client-ca", "/flag/ca.pem", "--insecure-no-auth"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := TLSConfig{Mode: "on", Cert: "/flag/cert.pem", Key: "/flag/key.pem", ClientCA: "/flag/ca.pem", MinVersion: "1.3"}
	if cfg.TLS != want || !cfg.InsecureNoAuth || cfg.AuditLog != audit ||
		!slices.Equal(cfg.ImportRoots, []string{vms}) || len(cfg.Auth.ClientSubjects) != 1 ||
		cfg.Auth.ClientSubjects[0].Role != "operator" || !slices.Equal(cfg.Auth.ClientSubjects[0].VMs, []string{"web-*", "1a2b"}) {
		t.Fatalf("cfg = %+v", cfg)
	}
	if _, err := loadConfig([]string{"--config", file, "--insecure-no-auth=false"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, []byte("import-roots: [relative/dir]\n"), 0o600)
	if _, err := loadConfig([]string{"--config", file}, io.Discard); err == nil || !strings.Contains(err.Error(), "import-roots") {
		t.Fatalf("relative import root: %v", err)
	}
	def := defaultConfig()
	if def.TLS.Mode != "auto" || def.TLS.MinVersion != "1.2" || def.InsecureNoAuth {
		t.Fatalf("defaults %+v", def.TLS)
	}
}
