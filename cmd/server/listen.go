package main

// Listener security (security anchors T1, T2, T8): which addresses may
// serve plain HTTP, which configurations are refused at start-up, and the
// TLS configuration served everywhere else.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hvport/hvport/internal/secfile"
)

// isLoopback reports whether the host part of a listen address is
// "localhost" or a loopback IP (127.0.0.0/8, ::1). "" (":8080"), 0.0.0.0, ::
// and any other name are not, even one that resolves to 127.0.0.1: what a
// name resolves to can change after the check.
func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// weakTLSSettings are GODEBUG settings that bring back what Go retired from
// crypto/tls: TLS 1.0/1.1 on servers (go.dev/issue/62459: the 1.2 minimum
// since Go 1.22), RSA key exchange, 3DES, SHA-1 handshake signatures,
// exported keying material without extended master secret.
var weakTLSSettings = []string{"tls10server=1", "tlsrsakex=1", "tls3des=1", "tlssha1=1", "tlsunsafeekm=1", "x509sha1=1"}

// aeadSuites are the only TLS 1.2 suites served: ECDHE (forward secrecy)
// with an AEAD (no CBC, whose padding oracles keep coming back). TLS 1.3
// suites are all AEAD and not configurable.
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// checkSecurity refuses an insecure configuration before anything starts,
// the way Docker v27 refuses a plain TCP listener off loopback. Every
// problem names its key; all of them come on one line. It reads the
// certificate, key and CA files but creates nothing.
func checkSecurity(cfg Config, getenv func(string) string) error {
	var bad []string
	add := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	loop := isLoopback(cfg.Listen)
	t := cfg.TLS

	switch t.Mode {
	case "", "auto", "on", "off":
	default:
		add("tls.mode %q: want auto, on or off", t.Mode)
	}
	if _, err := tlsVersion(t.MinVersion); err != nil {
		add("%v", err)
	}
	if weak := weakGODEBUG(getenv("GODEBUG")); len(weak) > 0 {
		add("GODEBUG %s re-enables legacy TLS; unset it", strings.Join(weak, ","))
	}
	if t.Mode == "off" && !loop {
		add("tls.mode off on %s: plain HTTP is served on loopback only; use tls.mode auto or listen on 127.0.0.1", cfg.Listen)
	}
	if t.Mode == "off" && t.ClientCA != "" {
		add("tls.client-ca with tls.mode off: client certificates need TLS")
	}
	if cfg.InsecureNoAuth && !loop {
		add("insecure-no-auth on %s: allowed on loopback only", cfg.Listen)
	}
	if cfg.InsecureNoAuth && t.ClientCA != "" {
		add("insecure-no-auth with tls.client-ca: client certificates would be ignored; drop one")
	}
	subjects := cfg.Auth.ClientSubjects
	if t.ClientCA != "" && len(subjects) == 0 {
		add("tls.client-ca without auth.client-subjects: list the certificate subjects that may connect and their roles")
	}
	if t.ClientCA == "" && len(subjects) > 0 {
		add("auth.client-subjects without tls.client-ca: nothing would verify those certificates")
	}
	seen := map[string]bool{}
	for i, r := range subjects {
		if p := subjectProblem(r.Subject); p != "" {
			add("auth.client-subjects[%d] subject %q: %s", i, r.Subject, p)
		} else if seen[r.Subject] {
			add("auth.client-subjects[%d] subject %q: listed twice", i, r.Subject)
		}
		seen[r.Subject] = true
		switch r.Role {
		case "reader", "operator", "admin":
		default:
			add("auth.client-subjects[%d] role %q: want reader, operator or admin", i, r.Role)
		}
		for _, g := range r.VMs {
			if _, err := path.Match(g, ""); g == "" || err != nil {
				add("auth.client-subjects[%d] vms %q: not a valid glob", i, g)
			}
		}
	}
	switch {
	case (t.Cert == "") != (t.Key == ""):
		add("tls.cert and tls.key go together: give both or neither")
	case t.Cert != "":
		if _, err := loadKeyPair(t.Cert, t.Key, time.Now()); err != nil {
			add("%v", err)
		}
	}
	if t.ClientCA != "" {
		if _, err := loadClientCA(t.ClientCA); err != nil {
			add("%v", err)
		}
	}
	if len(bad) > 0 {
		return errors.New("config: " + strings.Join(bad, "; "))
	}
	return nil
}

// weakGODEBUG returns the settings of GODEBUG (comma-separated, the last
// one of a name wins) that weaken TLS.
func weakGODEBUG(godebug string) []string {
	last := map[string]string{}
	var order []string
	for _, kv := range strings.Split(godebug, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = v
	}
	var weak []string
	for _, k := range order {
		if s := k + "=" + last[k]; slices.Contains(weakTLSSettings, s) {
			weak = append(weak, s)
		}
	}
	return weak
}

// subjectProblem checks that s can equal what pkix.Name.String() prints,
// which the auth middleware compares it with: a subject written another
// way (OpenSSL's /O=x/CN=y, or ", " between names) would never match.
func subjectProblem(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "empty"
	case strings.HasPrefix(s, "/"):
		return `write it as pkix prints it, e.g. "CN=portal,O=Example" (openssl x509 -subject -nameopt RFC2253)`
	case !strings.Contains(s, "="):
		return `not a distinguished name, e.g. "CN=portal,O=Example"`
	}
	for i := 1; i+1 < len(s); i++ {
		if s[i] == ',' && s[i-1] != '\\' && s[i+1] == ' ' {
			return `no space after a comma: pkix prints "CN=portal,O=Example"`
		}
	}
	return ""
}

func tlsVersion(v string) (uint16, error) {
	switch v {
	case "", "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("tls.min-version %q: want 1.2 or 1.3", v)
}

// loadKeyPair loads a certificate and its key, naming the key at fault:
// unreadable, not PEM, not matching, readable by others, or the
// certificate expired or not for servers.
func loadKeyPair(certFile, keyFile string, now time.Time) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls.cert: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls.key: %w", err)
	}
	if err := secfile.CheckPrivate(keyFile); err != nil {
		return tls.Certificate{}, fmt.Errorf("tls.key: %w", err)
	}
	if b, _ := pem.Decode(certPEM); b == nil || b.Type != "CERTIFICATE" {
		return tls.Certificate{}, fmt.Errorf("tls.cert %s: no PEM certificate in it", certFile)
	}
	if b, _ := pem.Decode(keyPEM); b == nil || !strings.HasSuffix(b.Type, "PRIVATE KEY") {
		return tls.Certificate{}, fmt.Errorf("tls.key %s: no PEM private key in it", keyFile)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The PEM blocks are there: the key does not parse or match.
		return tls.Certificate{}, fmt.Errorf("tls.key %s does not fit tls.cert %s: %w", keyFile, certFile, err)
	}
	leaf := cert.Leaf
	switch {
	case now.After(leaf.NotAfter):
		return tls.Certificate{}, fmt.Errorf("tls.cert %s expired on %s", certFile, leaf.NotAfter.UTC().Format(time.DateOnly))
	case now.Before(leaf.NotBefore):
		return tls.Certificate{}, fmt.Errorf("tls.cert %s is not valid before %s", certFile, leaf.NotBefore.UTC().Format(time.DateOnly))
	}
	if len(leaf.ExtKeyUsage) > 0 && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return tls.Certificate{}, fmt.Errorf("tls.cert %s is not for TLS servers (extended key usage lacks serverAuth)", certFile)
	}
	return cert, nil
}

func loadClientCA(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls.client-ca: %w", err)
	}
	pool, n := x509.NewCertPool(), 0
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("tls.client-ca %s: %w", file, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("tls.client-ca %s: no PEM certificate in it", file)
	}
	return pool, nil
}

// serverTLS returns the TLS configuration to serve with, or nil for plain
// HTTP (loopback in auto mode, or mode off on loopback), the SHA-256
// fingerprint of the served certificate (as openssl x509 -fingerprint
// -sha256 prints it, for clients to pin and the log to show at every
// start) and whether the certificate was generated now.
//
// Without tls.cert and tls.key it serves a self-signed certificate kept in
// <data-dir>/tls, as the kubelet does for its serving certificate: clients
// pin it or trust cert.pem, and an operator brings a real one later.
func serverTLS(cfg Config, listenAddr string) (tc *tls.Config, fingerprint string, generated bool, err error) {
	loop := isLoopback(listenAddr)
	switch cfg.TLS.Mode {
	case "off":
		if !loop { // checkSecurity refuses it; fail closed should it be skipped
			return nil, "", false, fmt.Errorf("tls.mode off on %s: plain HTTP is served on loopback only", listenAddr)
		}
		return nil, "", false, nil
	case "", "auto":
		if loop {
			return nil, "", false, nil
		}
	case "on":
	default:
		return nil, "", false, fmt.Errorf("tls.mode %q: want auto, on or off", cfg.TLS.Mode)
	}
	minVersion, err := tlsVersion(cfg.TLS.MinVersion)
	if err != nil {
		return nil, "", false, err
	}
	var cert tls.Certificate
	if cfg.TLS.Cert != "" || cfg.TLS.Key != "" {
		cert, err = loadKeyPair(cfg.TLS.Cert, cfg.TLS.Key, time.Now())
	} else {
		cert, generated, err = selfSigned(filepath.Join(cfg.DataDir, "tls"), listenAddr, time.Now())
	}
	if err != nil {
		return nil, "", false, err
	}
	tc = &tls.Config{
		MinVersion:   minVersion,
		CipherSuites: aeadSuites,
		Certificates: []tls.Certificate{cert},
	}
	if cfg.TLS.ClientCA != "" {
		if tc.ClientCAs, err = loadClientCA(cfg.TLS.ClientCA); err != nil {
			return nil, "", false, err
		}
		// Token-only clients still connect; a certificate that is presented
		// must chain to the CA, and the auth middleware then checks its
		// subject against auth.client-subjects.
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, certFingerprint(cert.Leaf), generated, nil
}

// certFingerprint is the SHA-256 of the certificate's DER in uppercase hex
// pairs joined by colons.
func certFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

// selfSigned returns the certificate in dir/cert.pem and dir/key.pem when it
// is valid for 30 more days and names every address clients may use, and
// otherwise generates one (ECDSA P-256, one year) and stores it there.
func selfSigned(dir, listenAddr string, now time.Time) (tls.Certificate, bool, error) {
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	dnsNames, ips := selfSignedNames(listenAddr)
	if c, err := loadKeyPair(certFile, keyFile, now); err == nil && covers(c.Leaf, dnsNames, ips) && now.Add(30*24*time.Hour).Before(c.Leaf.NotAfter) {
		return c, false, nil
	}
	// Anything else (missing, expiring, unreadable, readable by others, a
	// renamed host) gets a new key: one that may have leaked is not reused.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{ // a nil SerialNumber gets a random one
		Subject:               pkix.Name{CommonName: "hvport " + host, Organization: []string{"hvport self-signed"}},
		NotBefore:             now.Add(-time.Hour), // tolerate clients whose clock is a little behind
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	// The key first: a crash between the two writes leaves a pair that does
	// not match, which the next start replaces.
	if err := secfile.MkdirPrivate(dir); err != nil {
		return tls.Certificate{}, false, fmt.Errorf("tls: %w", err)
	}
	if err := secfile.WritePrivate(keyFile, keyPEM); err != nil {
		return tls.Certificate{}, false, fmt.Errorf("tls: %w", err)
	}
	if err := secfile.WritePrivate(certFile, certPEM); err != nil {
		return tls.Certificate{}, false, fmt.Errorf("tls: %w", err)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	return c, true, err
}

// selfSignedNames are the names a generated certificate carries: loopback,
// this host's name, and the listen address when it names one host.
func selfSignedNames(listenAddr string) (dnsNames []string, ips []net.IP) {
	dnsNames = []string{"localhost"}
	ips = []net.IP{net.IPv4(127, 0, 0, 1).To4(), net.IPv6loopback}
	if h, err := os.Hostname(); err == nil && h != "" && isASCII(h) {
		dnsNames = append(dnsNames, h)
	}
	host, _, _ := net.SplitHostPort(listenAddr)
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip = ip.Unmap().WithZone(""); !ip.IsUnspecified() && !slices.ContainsFunc(ips, func(x net.IP) bool { return x.Equal(ip.AsSlice()) }) {
			ips = append(ips, net.IP(ip.AsSlice()))
		}
	} else if host != "" && isASCII(host) && !slices.ContainsFunc(dnsNames, func(n string) bool { return strings.EqualFold(n, host) }) {
		dnsNames = append(dnsNames, host)
	}
	return dnsNames, ips
}

func covers(c *x509.Certificate, dnsNames []string, ips []net.IP) bool {
	for _, n := range dnsNames {
		if !slices.ContainsFunc(c.DNSNames, func(x string) bool { return strings.EqualFold(x, n) }) {
			return false
		}
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
