package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/client"
)

func healthServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFingerprintPinsTheServerCertificate(t *testing.T) {
	srv := healthServer(t)
	fp := client.CertificateFingerprint(srv.Certificate()) // AB:CD:… as the server logs it
	plain := strings.ToLower(strings.ReplaceAll(fp, ":", ""))
	for _, given := range []string{fp, "sha256:" + fp, "SHA256:" + plain, plain} {
		c, err := client.New(srv.URL, client.WithFingerprint(given), client.WithRetries(0))
		if err != nil {
			t.Fatalf("New with %q: %v", given, err)
		}
		if h, err := c.Health(context.Background()); err != nil || h.Status != "ok" {
			t.Errorf("pinned %q: health = %+v, %v; want ok", given, h, err)
		}
	}
}

func TestWrongFingerprintFails(t *testing.T) {
	srv := healthServer(t)
	wrong := strings.Repeat("AB:", 31) + "AB"
	c, err := client.New(srv.URL, client.WithFingerprint(wrong), client.WithRetries(3))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Health(context.Background())
	var fe *client.FingerprintError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a *FingerprintError", err)
	}
	if fe.Got != client.CertificateFingerprint(srv.Certificate()) || fe.Want != wrong {
		t.Errorf("FingerprintError = %+v, want got the server's and want the pinned", fe)
	}
	if client.Retryable(err) {
		t.Errorf("a fingerprint mismatch is retryable: %v", err)
	}
}

func TestWithoutTrustTheSelfSignedCertificateFails(t *testing.T) {
	srv := healthServer(t)
	c, err := client.New(srv.URL, client.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Health(context.Background()); err == nil {
		t.Fatal("an unknown self-signed certificate was accepted")
	}
}

func TestCAFileTrustsTheServer(t *testing.T) {
	srv := healthServer(t)
	ca := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(ca, pemOf(srv.Certificate().Raw), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(srv.URL, client.WithCAFile(ca))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Health(context.Background()); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
	// CA and pin together: both must hold.
	c, err = client.New(srv.URL, client.WithCAFile(ca), client.WithFingerprint(strings.Repeat("00", 32)), client.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	var fe *client.FingerprintError
	if _, err := c.Health(context.Background()); !errors.As(err, &fe) {
		t.Fatalf("CA and a wrong pin: err = %v, want a *FingerprintError", err)
	}
}

func TestBadOptions(t *testing.T) {
	for name, opts := range map[string][]client.Option{
		"short fingerprint":         {client.WithFingerprint("sha256:AB:CD")},
		"not hex":                   {client.WithFingerprint(strings.Repeat("ZZ", 32))},
		"token and token file":      {client.WithToken("hvp_x_y"), client.WithTokenFile("/nonexistent")},
		"missing token file":        {client.WithTokenFile(filepath.Join(t.TempDir(), "none"))},
		"http client and a CA file": {client.WithHTTPClient(http.DefaultClient), client.WithCAFile("ca.pem")},
		"empty token":               {client.WithToken(" ")},
	} {
		if _, err := client.New("https://127.0.0.1:1", opts...); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	for _, u := range []string{"127.0.0.1:8080", "ftp://host", "http://", "http://h/?x=1"} {
		if _, err := client.New(u); err == nil {
			t.Errorf("New(%q) succeeded", u)
		}
	}
}
