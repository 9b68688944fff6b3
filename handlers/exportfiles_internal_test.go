package handlers

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvport/hvport/exports"
)

// sparseExport writes an export by hand under a new export root: one
// sparse file of 8 MiB with 4 KiB of data in its middle, and a manifest
// listing it. It returns the file route and the file's bytes.
func sparseExport(t *testing.T) (http.Handler, []byte) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "exports")
	store, err := exports.NewStore(exports.StoreOptions{Roots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "vm-1")
	if err := os.MkdirAll(filepath.Join(dir, "Virtual Hard Disks"), 0o755); err != nil {
		t.Fatal(err)
	}
	const size, at = 8 << 20, 4 << 20
	data := bytes.Repeat([]byte("hvport"), 700)[:4096]
	f, err := os.Create(filepath.Join(dir, "Virtual Hard Disks", "disk.vhdx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, at); err != nil {
		t.Fatal(err)
	}
	f.Close()
	whole := make([]byte, size)
	copy(whole[at:], data)
	sum := sha256.Sum256(whole)
	m := exports.Manifest{Format: 1, ID: "exp-1", VM: exports.VMRef{ID: "vm-1", Name: "vm"}, Host: "h", APIVersion: "v2", Settings: map[string]any{},
		StartedAt: time.Unix(0, 0).UTC(), FinishedAt: time.Unix(1, 0).UTC(), TotalBytes: size,
		Files: []exports.File{{Path: "Virtual Hard Disks/disk.vhdx", Size: size, SHA256: hex.EncodeToString(sum[:])}}}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, exports.ManifestName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	// The whole router, as cmd/server builds it (an admin for everyone, so
	// no token store is needed): its middleware sits between the handler
	// and the connection.
	return NewRouter(Deps{Exports: &exports.Service{Store: store}, Security: Security{InsecureNoAuth: true}}), whole
}

// readFromRecorder is a ResponseWriter that, like net/http's for HTTP/1,
// flushes, hijacks and can read from a reader itself (io.ReaderFrom: where
// sendfile happens). It keeps what it was handed.
type readFromRecorder struct {
	*httptest.ResponseRecorder
	got []io.Reader
}

func (r *readFromRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("not hijackable")
}

func (r *readFromRecorder) ReadFrom(src io.Reader) (int64, error) {
	r.got = append(r.got, src)
	return io.Copy(struct{ io.Writer }{r.ResponseRecorder}, src)
}

// The body goes to the connection as an io.LimitedReader of the *os.File
// itself — what net/http hands to sendfile on a plain TCP connection —
// through every middleware of the router, never through a buffer of ours.
func TestFileBodyIsCopiedFromTheOSFile(t *testing.T) {
	h, whole := sparseExport(t)
	for _, c := range []struct {
		rng      string
		from, to int
	}{{"", 0, len(whole)}, {"bytes=4194000-4194999", 4194000, 4195000}} {
		rec := &readFromRecorder{ResponseRecorder: httptest.NewRecorder()}
		req := httptest.NewRequest("GET", "/v1/exports/exp-1/files/Virtual%20Hard%20Disks/disk.vhdx", nil)
		if c.rng != "" {
			req.Header.Set("Range", c.rng)
		}
		h.ServeHTTP(rec, req)
		if !bytes.Equal(rec.Body.Bytes(), whole[c.from:c.to]) {
			t.Fatalf("%q: %d %d bytes", c.rng, rec.Code, rec.Body.Len())
		}
		if len(rec.got) != 1 {
			t.Fatalf("%q: ReadFrom called %d times", c.rng, len(rec.got))
		}
		lr, ok := rec.got[0].(*io.LimitedReader)
		if !ok {
			t.Fatalf("%q: the body came from a %T, not an io.LimitedReader", c.rng, rec.got[0])
		}
		if _, ok := lr.R.(*os.File); !ok {
			t.Fatalf("%q: the body came from a %T, not the *os.File", c.rng, lr.R)
		}
	}
}

// A sparse file arrives whole, holes as zeros, over plain HTTP (sendfile)
// and over TLS (read and encrypted in user space).
func TestSparseFileOverHTTPAndTLS(t *testing.T) {
	h, whole := sparseExport(t)
	for _, srv := range []*httptest.Server{httptest.NewServer(h), httptest.NewTLSServer(h)} {
		defer srv.Close()
		resp, err := srv.Client().Get(srv.URL + "/v1/exports/exp-1/files/Virtual%20Hard%20Disks%2Fdisk.vhdx")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, whole) {
			t.Fatalf("%s: %d, %d bytes, %v", srv.URL, resp.StatusCode, len(got), err)
		}
	}
}
