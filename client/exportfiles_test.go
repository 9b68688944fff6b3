package client_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/client"
	"github.com/hvport/hvport/internal/apitest"
)

// What another agent does with a grant: read the manifest and the files
// (whole, and resumed from an offset), then delete the export; and what
// the grant cannot do. Every answer is checked against api/openapi.yaml.
func TestReadingAnExportWithAGrant(t *testing.T) {
	srv, err := startServer()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	}()
	checked := &http.Client{Transport: apitest.FilesTransport{T: t}}
	c, err := client.New(srv.URL, client.WithTokenFile(srv.TokenFile), client.WithHTTPClient(checked))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a hang guard only
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wantProblem := func(err error, status int) {
		t.Helper()
		var p *client.Problem
		if !errors.As(err, &p) || p.Status != status {
			t.Fatalf("err = %v, want a %d problem", err, status)
		}
	}

	// An export without a directory: the server picks the place.
	job, err := c.StartExport(ctx, "web-01", client.ExportRequest{})
	must(err)
	job, err = c.WaitJob(ctx, job.ID, nil)
	must(err)
	res, err := job.Result.AsExportResult()
	must(err)
	if want := filepath.Join(srv.ExportRoot, "web-01-"+res.ExportID[:8]); job.Directory != want || res.Directory != want {
		t.Fatalf("export in %s / %s, want %s", job.Directory, res.Directory, want)
	}

	g, err := c.CreateGrant(ctx, res.ExportID, client.GrantRequest{ExpiresIn: new("10m"), DeleteExportWhenDone: new(true)})
	must(err)
	if g.ExportID != res.ExportID || !g.DeleteExportWhenDone || g.ExpiresAt.Sub(g.CreatedAt).Minutes() != 10 {
		t.Fatalf("grant = %+v", g)
	}
	dest, err := client.New(srv.URL, client.WithToken(g.Token), client.WithHTTPClient(checked))
	must(err)

	m, raw, err := dest.ExportManifest(ctx, res.ExportID)
	must(err)
	onDisk, err := os.ReadFile(filepath.Join(res.Directory, "hvport-manifest.json"))
	must(err)
	if !bytes.Equal(raw, onDisk) || m.ID != res.ExportID || int64(len(m.Files)) != res.FileCount {
		t.Fatalf("manifest %+v (%d bytes; %d on disk)", m, len(raw), len(onDisk))
	}
	f := m.Files[0]
	for _, x := range m.Files {
		if x.Size > f.Size {
			f = x
		}
	}
	want, err := os.ReadFile(filepath.Join(res.Directory, filepath.FromSlash(f.Path)))
	must(err)
	read := func(offset int64, ifRange string) ([]byte, client.FileInfo) {
		t.Helper()
		body, info, err := dest.DownloadExportFile(ctx, res.ExportID, f.Path, offset, ifRange)
		must(err)
		defer body.Close()
		b, err := io.ReadAll(body)
		must(err)
		return b, info
	}
	etag := `"` + f.Sha256 + `"`
	if b, info := read(0, ""); !bytes.Equal(b, want) || info != (client.FileInfo{Size: f.Size, Offset: 0, ETag: etag}) {
		t.Errorf("whole file: %d bytes, %+v", len(b), info)
	}
	for _, ifRange := range []string{"", etag, f.Sha256} {
		if b, info := read(1000, ifRange); !bytes.Equal(b, want[1000:]) || info != (client.FileInfo{Size: f.Size, Offset: 1000, ETag: etag}) {
			t.Errorf("from 1000 (If-Range %q): %d bytes, %+v", ifRange, len(b), info)
		}
	}
	// The caller's bytes are of another file: the server sends this one
	// whole, and says so.
	if b, info := read(1000, strings.Repeat("0", 64)); !bytes.Equal(b, want) || info.Offset != 0 || info.Size != f.Size {
		t.Errorf("another file's ETag: %d bytes, %+v", len(b), info)
	}
	_, _, err = dest.DownloadExportFile(ctx, res.ExportID, f.Path, f.Size, etag)
	wantProblem(err, http.StatusRequestedRangeNotSatisfiable)
	_, _, err = dest.DownloadExportFile(ctx, res.ExportID, "../"+f.Path, 0, "")
	wantProblem(err, http.StatusNotFound)
	_, _, err = dest.DownloadExportFile(ctx, res.ExportID, f.Path, -1, "")
	if err == nil {
		t.Fatal("a negative offset was sent")
	}

	// The grant reads that export only.
	_, err = dest.ListExports(ctx)
	wantProblem(err, http.StatusForbidden)
	_, err = dest.ListVMs(ctx)
	wantProblem(err, http.StatusForbidden)
	_, err = dest.CreateGrant(ctx, res.ExportID, client.GrantRequest{})
	wantProblem(err, http.StatusForbidden)

	// The maker lists and revokes grants; a revoked one reads nothing.
	other, err := c.CreateGrant(ctx, res.ExportID, client.GrantRequest{})
	must(err)
	gs, err := c.ListGrants(ctx, res.ExportID)
	must(err)
	if len(gs) != 2 || gs[1].ID != other.ID || gs[1].DeleteExportWhenDone {
		t.Fatalf("grants = %+v", gs)
	}
	revoked, err := c.RevokeGrant(ctx, res.ExportID, other.ID)
	must(err)
	if revoked.ID != other.ID {
		t.Fatalf("revoked %+v", revoked)
	}
	gone, err := client.New(srv.URL, client.WithToken(other.Token), client.WithHTTPClient(checked))
	must(err)
	_, _, err = gone.ExportManifest(ctx, res.ExportID)
	wantProblem(err, http.StatusUnauthorized)

	// Done: the destination deletes the export, as its grant allows.
	_, err = dest.DeleteExport(ctx, res.ExportID)
	must(err)
	_, err = c.GetExport(ctx, res.ExportID)
	wantProblem(err, http.StatusNotFound)
	if _, err := os.Stat(res.Directory); !os.IsNotExist(err) {
		t.Fatalf("the export's directory: %v", err)
	}
}

// WithCAPEM trusts the certificates it is given, and only those.
func TestWithCAPEM(t *testing.T) {
	srv := healthServer(t)
	c, err := client.New(srv.URL, client.WithCAPEM(pemOf(srv.Certificate().Raw)), client.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	if h, err := c.Health(context.Background()); err != nil || h.Status != "ok" {
		t.Fatalf("health = %+v, %v", h, err)
	}
	c, err = client.New(srv.URL, client.WithCAPEM(pemOf(selfSigned(t))), client.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Health(context.Background()); err == nil {
		t.Fatal("a server whose certificate the given CA did not sign was trusted")
	}
	for _, opts := range [][]client.Option{
		{client.WithCAPEM([]byte("not a certificate"))},
		{client.WithCAPEM(nil)},
		{client.WithCAPEM(pemOf(srv.Certificate().Raw)), client.WithCAFile(filepath.Join(t.TempDir(), "ca.pem"))},
		{client.WithCAPEM(pemOf(srv.Certificate().Raw)), client.WithHTTPClient(http.DefaultClient)},
	} {
		if _, err := client.New(srv.URL, opts...); err == nil {
			t.Errorf("New accepted %d options that do not go together", len(opts))
		}
	}
}

// selfSigned is the DER of a new self-signed CA certificate (httptest's
// servers all share one).
func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
