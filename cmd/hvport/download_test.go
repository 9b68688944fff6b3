package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hvport/hvport/client"
	"github.com/hvport/hvport/internal/testserver"
)

type exportFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// checkDownloaded compares dir with the export's manifest as the server
// lists it: every file with its size and SHA-256, and the manifest.
func checkDownloaded(t *testing.T, e *env, id, dir string) {
	t.Helper()
	x := decodeJSON[struct {
		Files []exportFile `json:"files"`
	}](t, e.ok("exports", "show", id, "-o", "json").stdout)
	if len(x.Files) < 3 {
		t.Fatalf("export %s lists %d files", id, len(x.Files))
	}
	for _, f := range x.Files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if int64(len(b)) != f.Size || !strings.EqualFold(hex.EncodeToString(sum[:]), f.SHA256) {
			t.Errorf("%s: %d bytes, SHA-256 %x; the manifest says %d, %s", f.Path, len(b), sum, f.Size, f.SHA256)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, client.ManifestFileName)); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, client.DownloadCheckpointName)); !os.IsNotExist(err) {
		t.Errorf("the checkpoint stays after the download: %v", err)
	}
}

// stopAt cancels a download once half of it is here.
type stopAt struct {
	once sync.Once
	stop context.CancelFunc
}

func (s *stopAt) Bytes(done, total int64) {
	if done >= total/2 {
		s.once.Do(s.stop)
	}
}
func (s *stopAt) Progress(int) {}
func (s *stopAt) Warn(string)  {}

func TestExportsDownload(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	e := forServer(t, srv)
	r := e.ok("export", "web-01", "--to", filepath.Join(srv.ExportRoot, "web-01"), "--wait", "-q")
	ids := strings.Fields(e.ok("exports", "list", "-q").stdout)
	if len(ids) != 1 || r.stdout != "" {
		t.Fatalf("exports: %v", ids)
	}
	id := ids[0]

	r = e.ok("exports", "download", id, "--to", "web-01")
	dir := filepath.Join(e.dir, "web-01")
	if !regexp.MustCompile(`^downloaded export ` + id + ` of web-01 to ` + regexp.QuoteMeta(dir) + `: \d+ files, [\d.]+ MiB, each matching the manifest\n$`).MatchString(r.stdout) {
		t.Fatalf("exports download: %v", r)
	}
	label := "download web-01 [" + id[:8] + "]: "
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], label+"downloading 0% (0 B of ") || !regexp.MustCompile(`^`+regexp.QuoteMeta(label)+`completed 100% in \S+$`).MatchString(lines[1]) {
		t.Errorf("progress lines without a terminal:\n%s", r.stderr)
	}
	checkDownloaded(t, e, id, dir)

	// Stopped half-way (as by ^C; here the Go client's own download is
	// stopped), the command goes on from where it stopped.
	c, err := client.New(srv.URL, client.WithTokenFile(srv.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// (Checkpoints every MiB: the stop keeps all but the last MiB of each
	// file, whichever goroutine's checkpoint is written last.)
	_, err = c.DownloadExport(ctx, id, filepath.Join(e.dir, "resumed"),
		client.DownloadOptions{Pull: client.PullOptions{CheckpointEvery: 1 << 20}, Progress: &stopAt{stop: cancel}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped download: %v", err)
	}
	r = e.ok("exports", "download", id, "--to", "resumed")
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(label) + `downloading (\d+)% \(`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("exports download of a stopped download: %v", r)
	}
	if p, _ := strconv.Atoi(m[1]); p < 40 {
		t.Errorf("the download went on from %d%%, not from where it stopped (about half):\n%s", p, r.stderr)
	}
	checkDownloaded(t, e, id, filepath.Join(e.dir, "resumed"))

	// -o json says where; a grant is enough to download.
	g, err := c.CreateGrant(context.Background(), id, client.GrantRequest{})
	if err != nil {
		t.Fatal(err)
	}
	eg := newEnv(t, "HVPORT_URL", srv.URL, "HVPORT_TOKEN", g.Token)
	res := decodeJSON[map[string]any](t, eg.ok("exports", "download", id, "--to", "via-grant", "-o", "json", "--no-progress").stdout)
	if res["exportId"] != id || res["directory"] != filepath.Join(eg.dir, "via-grant") {
		t.Errorf("exports download -o json = %v", res)
	}
	checkDownloaded(t, e, id, filepath.Join(eg.dir, "via-grant"))

	// A directory with other files is refused (usage) and left alone; an
	// export that does not exist is not found.
	if err := os.WriteFile(filepath.Join(e.dir, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = e.fails(exitUsage, "exports", "download", id, "--to", ".")
	contains(t, "a download into a directory in use", r.stderr, "directory in use", "notes.txt", "choose an empty or new directory")
	if b, err := os.ReadFile(filepath.Join(e.dir, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("notes.txt: %q %v", b, err)
	}
	e.fails(exitNotFound, "exports", "download", "00000000-0000-4000-8000-000000000000", "--to", "none")
	e.fails(exitUsage, "exports", "download", id)
}
