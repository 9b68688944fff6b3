package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hvport/hvport/client"
	"github.com/hvport/hvport/internal/testserver"
)

// countingTransport counts the bytes of export files the client read
// from the server's answers (what a download fetched).
type countingTransport struct{ n atomic.Int64 }

func (tr *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && strings.Contains(req.URL.Path, "/files/") {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &tr.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// downloadProgress records what a download reports, and can stop it.
type downloadProgress struct {
	mu          sync.Mutex
	first, done int64
	calls       int
	warnings    []string
	stopAt      int64 // cancel once this many bytes are here
	stop        context.CancelFunc
}

func (p *downloadProgress) Bytes(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.calls == 0 {
		p.first = done
	}
	p.calls++
	p.done = done
	if p.stop != nil && done >= p.stopAt {
		p.stop()
	}
}
func (p *downloadProgress) Progress(int) {}
func (p *downloadProgress) Warn(msg string) {
	p.mu.Lock()
	p.warnings = append(p.warnings, msg)
	p.mu.Unlock()
}

// exportWeb01 exports web-01 (a directory the server picks) and returns
// the export's id and the server's admin client.
func exportWeb01(t *testing.T, ctx context.Context, srv *testserver.Server) (string, *client.Client) {
	t.Helper()
	c, err := client.New(srv.URL, client.WithTokenFile(srv.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.StartExport(ctx, "web-01", client.ExportRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if job, err = c.WaitJob(ctx, job.ID, nil); err != nil || job.State != client.JobCompleted {
		t.Fatalf("export: %v %+v", err, job.Error)
	}
	res, err := job.Result.AsExportResult()
	if err != nil {
		t.Fatal(err)
	}
	return res.ExportID, c
}

// checkDownload checks dir against the manifest m and the server's
// manifest bytes: every file with the manifest's size and SHA-256, the
// manifest verbatim, no checkpoint, nothing else.
func checkDownload(t *testing.T, ctx context.Context, c *client.Client, dir string, m client.Manifest) {
	t.Helper()
	_, raw, err := c.ExportManifest(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, client.ManifestFileName))
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("the manifest in the directory (%v) is not the server's bytes", err)
	}
	want := map[string]bool{client.ManifestFileName: true}
	for _, f := range m.Files {
		want[filepath.FromSlash(f.Path)] = true
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if int64(len(b)) != f.Size || !strings.EqualFold(hex.EncodeToString(sum[:]), f.Sha256) {
			t.Errorf("%s: %d bytes, SHA-256 %x; the manifest says %d, %s", f.Path, len(b), sum, f.Size, f.Sha256)
		}
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !want[rel] {
			t.Errorf("the download left %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// downloadSetup starts a server with web-01 exported: the export's id, an
// admin client, and a client whose transport counts the bytes it fetches.
// ctx is a hang guard only; both end with the test.
func downloadSetup(t *testing.T) (context.Context, string, *client.Client, *client.Client, *countingTransport) {
	t.Helper()
	srv, err := startServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	id, admin := exportWeb01(t, ctx, srv)
	tr := &countingTransport{}
	c, err := client.New(srv.URL, client.WithTokenFile(srv.TokenFile), client.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	return ctx, id, admin, c, tr
}

func TestDownloadExport(t *testing.T) {
	ctx, id, admin, c, tr := downloadSetup(t)
	dir := filepath.Join(t.TempDir(), "web-01")
	pr := &downloadProgress{}
	m, err := c.DownloadExport(ctx, id, dir, client.DownloadOptions{Progress: pr})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != id || len(m.Files) < 3 || m.VM.Name != "web-01" {
		t.Fatalf("manifest %+v", m)
	}
	checkDownload(t, ctx, admin, dir, m)
	if pr.done != m.TotalBytes || pr.first != 0 || tr.n.Load() != m.TotalBytes {
		t.Errorf("reported %d (first %d), fetched %d of %d bytes", pr.done, pr.first, tr.n.Load(), m.TotalBytes)
	}

	// Again into the same directory: it holds the export, nothing moves.
	tr.n.Store(0)
	if _, err := c.DownloadExport(ctx, id, dir, client.DownloadOptions{}); err != nil || tr.n.Load() != 0 {
		t.Fatalf("a second download of a complete directory: %v, %d bytes fetched", err, tr.n.Load())
	}
	checkDownload(t, ctx, admin, dir, m)
	// A file cut short: the export is fetched again, whole.
	var small client.ManifestFile
	for _, f := range m.Files {
		if small.Path == "" || f.Size < small.Size {
			small = f
		}
	}
	if err := os.Truncate(filepath.Join(dir, filepath.FromSlash(small.Path)), small.Size/2); err != nil {
		t.Fatal(err)
	}
	pr = &downloadProgress{}
	if _, err := c.DownloadExport(ctx, id, dir, client.DownloadOptions{Progress: pr}); err != nil {
		t.Fatal(err)
	}
	checkDownload(t, ctx, admin, dir, m)
	if len(pr.warnings) != 1 || !strings.Contains(pr.warnings[0], "fetching it again") {
		t.Errorf("warnings %q", pr.warnings)
	}
}

// A download stopped half-way (the context cancelled, as by ^C) goes on
// from its checkpoint when run again: less than 1.2 times the export is
// fetched in all.
func TestDownloadExportResumes(t *testing.T) {
	ctx, id, admin, c, tr := downloadSetup(t)
	m, _, err := c.ExportManifest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	pr := &downloadProgress{stopAt: m.TotalBytes / 2, stop: stop}
	opts := client.DownloadOptions{Pull: client.PullOptions{CheckpointEvery: 1 << 20}}
	opts.Progress = pr
	_, err = c.DownloadExport(stopCtx, id, dir, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped download: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, client.DownloadCheckpointName)); err != nil {
		t.Fatalf("no checkpoint after the stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, client.ManifestFileName)); !os.IsNotExist(err) {
		t.Fatalf("a stopped download wrote the manifest: %v", err)
	}
	first := tr.n.Load()

	pr = &downloadProgress{}
	opts.Progress = pr
	if _, err := c.DownloadExport(ctx, id, dir, opts); err != nil {
		t.Fatal(err)
	}
	checkDownload(t, ctx, admin, dir, m)
	if all := tr.n.Load(); first < m.TotalBytes/2 || all >= m.TotalBytes*12/10 {
		t.Fatalf("fetched %d bytes before the stop and %d in all, for an export of %d: want a resume", first, all, m.TotalBytes)
	}
	if pr.first < m.TotalBytes/3 {
		t.Errorf("the resumed download began at %d bytes of %d", pr.first, m.TotalBytes)
	}
}

// A grant reads its export: a download with it is whole.
func TestDownloadExportWithAGrant(t *testing.T) {
	srv, err := startServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a hang guard only
	defer cancel()
	id, admin := exportWeb01(t, ctx, srv)
	g, err := admin.CreateGrant(ctx, id, client.GrantRequest{ExpiresIn: new("5m")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(srv.URL, client.WithToken(g.Token))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "via-grant")
	m, err := c.DownloadExport(ctx, id, dir, client.DownloadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkDownload(t, ctx, admin, dir, m)
}

// A directory that holds anything but this export's download is refused,
// and left as it was.
func TestDownloadExportRefusesAnotherDirectory(t *testing.T) {
	srv, err := startServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a hang guard only
	defer cancel()
	id, c := exportWeb01(t, ctx, srv)
	other := "00000000-0000-4000-8000-0000000000aa"
	cases := map[string]map[string]string{
		"another export's checkpoint": {client.DownloadCheckpointName: `{"format":1,"exportId":"` + other + `","manifestSha256":"x","pull":{"files":{}}}`},
		"another export":              {client.ManifestFileName: `{"id":"` + other + `"}`, "Virtual Machines/x.vmcx": "x"},
		"other files":                 {"notes.txt": "mine"},
	}
	for name, files := range cases {
		dir := t.TempDir()
		for p, content := range files {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := c.DownloadExport(ctx, id, dir, client.DownloadOptions{})
		if !errors.Is(err, client.ErrDirectoryInUse) {
			t.Errorf("%s: err = %v", name, err)
			continue
		}
		for p, content := range files {
			if b, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(b) != content {
				t.Errorf("%s: %s changed: %q, %v", name, p, b, err)
			}
		}
		entries, _ := os.ReadDir(dir)
		if n := len(entries); n > len(files) {
			t.Errorf("%s: the refused download wrote into the directory: %d entries", name, n)
		}
	}
}
