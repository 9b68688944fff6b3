package handlers_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/handlers"
	"github.com/hvport/hvport/internal/apitest"
)

// published exports vm into <root>/name and returns the export with its
// files (the largest first).
func published(t *testing.T, e *env, vm, name string) api.ExportDetail {
	t.Helper()
	dir := exportVM(t, e, vm, name)
	var d api.ExportDetail
	e.getJSON("/v1/exports/"+exportIDOf(t, e, dir), http.StatusOK, &d)
	if len(d.Files) == 0 {
		t.Fatalf("export %s has no files", d.ID)
	}
	largest := 0
	for i, f := range d.Files {
		if f.Size > d.Files[largest].Size {
			largest = i
		}
	}
	d.Files[0], d.Files[largest] = d.Files[largest], d.Files[0]
	return d
}

// fetch sends one request with token and extra headers (the file route's
// {path} may hold slashes: see apitest.FilesTransport) and returns status,
// headers and body.
func (e *env) fetch(token, method, rawPath string, hdr ...string) (int, http.Header, []byte) {
	e.t.Helper()
	return fetchFrom(e.t, e.srv.URL, token, method, rawPath, hdr...)
}

func fetchFrom(t *testing.T, base, token, method, rawPath string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+rawPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{Transport: bearer{token: token, next: apitest.FilesTransport{T: t}}, Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func fileURL(id, path string) string {
	return "/v1/exports/" + id + "/files/" + strings.ReplaceAll(path, " ", "%20")
}

func TestExportManifestIsTheBytesOnDisk(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	x := published(t, e, "web-01", "web")
	onDisk, err := os.ReadFile(filepath.Join(x.Directory, exports.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(onDisk)
	etag := `"sha256:` + hex.EncodeToString(sum[:]) + `"`
	status, h, body := e.fetch(e.admin, "GET", "/v1/exports/"+x.ID+"/manifest")
	if status != 200 || !bytes.Equal(body, onDisk) || h.Get("ETag") != etag || h.Get("Content-Type") != "application/json" {
		t.Fatalf("manifest = %d, ETag %q (want %q), %d bytes of %d", status, h.Get("ETag"), etag, len(body), len(onDisk))
	}
	status, h, body = e.fetch(e.admin, "HEAD", "/v1/exports/"+x.ID+"/manifest")
	if status != 200 || len(body) != 0 || h.Get("ETag") != etag || h.Get("Content-Length") != strconv.Itoa(len(onDisk)) {
		t.Fatalf("HEAD manifest = %d %v %q", status, h, body)
	}
	if status, _, _ := e.fetch(e.admin, "GET", "/v1/exports/no-such-export/manifest"); status != 404 {
		t.Fatalf("manifest of a missing export = %d", status)
	}
}

func TestExportFileRanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	x := published(t, e, "web-01", "web")
	f := x.Files[0]
	whole, err := os.ReadFile(filepath.Join(x.Directory, filepath.FromSlash(f.Path)))
	if err != nil {
		t.Fatal(err)
	}
	size := int64(len(whole))
	if size != f.Size || size < 1000 {
		t.Fatalf("%s: %d bytes on disk, %d in the manifest", f.Path, size, f.Size)
	}
	etag := `"` + f.SHA256 + `"`
	n := strconv.FormatInt
	cases := []struct {
		name, method string
		hdr          []string
		status       int
		from, to     int64 // the bytes expected, [from, to)
	}{
		{"whole", "GET", nil, 200, 0, size},
		{"first 100", "GET", []string{"Range", "bytes=0-99"}, 206, 0, 100},
		{"from 100", "GET", []string{"Range", "bytes=100-"}, 206, 100, size},
		{"last 10", "GET", []string{"Range", "bytes=-10"}, 206, size - 10, size},
		{"suffix longer than the file", "GET", []string{"Range", "bytes=-" + n(size+5, 10)}, 206, 0, size},
		{"end past the file", "GET", []string{"Range", "bytes=" + n(size-3, 10) + "-" + n(size+100, 10)}, 206, size - 3, size},
		{"last byte", "GET", []string{"Range", "bytes=" + n(size-1, 10) + "-"}, 206, size - 1, size},
		{"spaces and case", "GET", []string{"Range", "Bytes = 5 - 9"}, 206, 5, 10},
		{"from the end", "GET", []string{"Range", "bytes=" + n(size, 10) + "-"}, 416, 0, 0},
		{"far past the end", "GET", []string{"Range", "bytes=" + n(size+10, 10) + "-" + n(size+20, 10)}, 416, 0, 0},
		{"empty suffix", "GET", []string{"Range", "bytes=-0"}, 416, 0, 0},
		{"several ranges: the whole file", "GET", []string{"Range", "bytes=0-9,20-29"}, 200, 0, size},
		{"another unit: ignored", "GET", []string{"Range", "items=0-9"}, 200, 0, size},
		{"not a range: ignored", "GET", []string{"Range", "bytes=abc"}, 200, 0, size},
		{"backwards: ignored", "GET", []string{"Range", "bytes=9-1"}, 200, 0, size},
		{"signed: ignored", "GET", []string{"Range", "bytes=+5-9"}, 200, 0, size},
		{"If-Range that matches", "GET", []string{"Range", "bytes=100-", "If-Range", etag}, 206, 100, size},
		{"If-Range of another file", "GET", []string{"Range", "bytes=100-", "If-Range", `"` + strings.Repeat("0", 64) + `"`}, 200, 0, size},
		{"If-Range weak", "GET", []string{"Range", "bytes=100-", "If-Range", "W/" + etag}, 200, 0, size},
		{"If-Range a date", "GET", []string{"Range", "bytes=100-", "If-Range", "Wed, 21 Oct 2015 07:28:00 GMT"}, 200, 0, size},
		{"If-Range without Range", "GET", []string{"If-Range", etag}, 200, 0, size},
		{"HEAD", "HEAD", nil, 200, 0, size},
		{"HEAD with a range", "HEAD", []string{"Range", "bytes=10-19"}, 206, 10, 20},
		{"HEAD past the end", "HEAD", []string{"Range", "bytes=" + n(size, 10) + "-"}, 416, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := fetchFrom(t, e.srv.URL, e.admin, c.method, fileURL(x.ID, f.Path), c.hdr...)
			if status != c.status {
				t.Fatalf("status %d, want %d: %.200s", status, c.status, body)
			}
			if status == 416 {
				if h.Get("Content-Range") != "bytes */"+n(size, 10) {
					t.Errorf("416 Content-Range = %q", h.Get("Content-Range"))
				}
				if c.method == "GET" && problem(t, h, body)["type"] != "urn:hvport:problem:range-not-satisfiable" {
					t.Errorf("416 body %s", body)
				}
				return
			}
			want := whole[c.from:c.to]
			if h.Get("ETag") != etag || h.Get("Accept-Ranges") != "bytes" || h.Get("Content-Length") != n(int64(len(want)), 10) ||
				h.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("headers %v", h)
			}
			wantRange := ""
			if status == 206 {
				wantRange = fmt.Sprintf("bytes %d-%d/%d", c.from, c.to-1, size)
			}
			if h.Get("Content-Range") != wantRange {
				t.Errorf("Content-Range %q, want %q", h.Get("Content-Range"), wantRange)
			}
			if c.method == "HEAD" {
				want = nil
			}
			if !bytes.Equal(body, want) {
				t.Errorf("body: %d bytes, want bytes %d-%d (%d)", len(body), c.from, c.to, len(want))
			}
		})
	}
}

// Paths are looked up in the manifest, never joined: nothing but the
// manifest's own files can be read, and every other path gets the same
// answer.
func TestExportFilePathsComeOnlyFromTheManifest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	x := published(t, e, "web-01", "web")
	// A file next to the export's, one in the export directory that the
	// manifest does not list, and a secret outside the export.
	secret := []byte("outside the export")
	if err := os.WriteFile(filepath.Join(e.root, "secret.txt"), secret, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(x.Directory, "planted.bin"), secret, 0o600); err != nil {
		t.Fatal(err)
	}
	nested := ""
	for _, f := range x.Files {
		if strings.Contains(f.Path, "/") {
			nested = f.Path
		}
	}
	if nested == "" {
		t.Fatal("no file in a subdirectory")
	}
	dir, name, _ := strings.Cut(nested, "/")
	esc := strings.ReplaceAll(dir, " ", "%20")
	base := "/v1/exports/" + x.ID + "/files/"
	var first map[string]any
	for _, p := range []string{
		"..%2Fsecret.txt", "../secret.txt", "%2e%2e/secret.txt", "%2e%2e%2fsecret.txt", "%252e%252e%252fsecret.txt",
		"..%5Csecret.txt", esc + "%5C" + name, "/" + nested, "%2F" + strings.ReplaceAll(nested, "/", "%2F"),
		esc + "/../" + esc + "/" + name, "./" + nested, esc + "//" + name, strings.ToUpper(esc) + "/" + name,
		strings.ReplaceAll(filepath.Join(e.root, "secret.txt"), "/", "%2F"), "planted.bin", exports.ManifestName,
		esc, esc + "/", "..", "%00", "hvport-manifest.json%00",
	} {
		status, h, body := e.fetch(e.admin, "GET", base+p)
		if status != 404 {
			t.Errorf("%s = %d, want 404: %.200s", p, status, body)
			continue
		}
		got := problem(t, h, body)
		delete(got, "instance")
		if bytes.Contains(body, secret) || strings.Contains(got["detail"].(string), "secret") {
			t.Errorf("%s: the answer tells about it: %s", p, body)
		}
		if first == nil {
			first = got
		} else if fmt.Sprint(got) != fmt.Sprint(first) {
			t.Errorf("%s answers %v, another path %v", p, got, first)
		}
	}
	// Positive controls: the real path, with its slash as it is or
	// escaped, as the generated client sends it.
	want, _ := os.ReadFile(filepath.Join(x.Directory, filepath.FromSlash(nested)))
	for _, p := range []string{esc + "/" + name, esc + "%2F" + name} {
		if status, _, body := e.fetch(e.admin, "GET", base+p); status != 200 || !bytes.Equal(body, want) {
			t.Errorf("%s = %d (%d bytes), want the file", p, status, len(body))
		}
	}
}

// A file that does not match its manifest entry any more is not served.
func TestExportFileThatChangedIsNotServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	x := published(t, e, "web-01", "web")
	grown := x.Files[0]
	f, err := os.OpenFile(filepath.Join(x.Directory, filepath.FromSlash(grown.Path)), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x"))
	f.Close()
	for _, m := range []string{"GET", "HEAD"} {
		status, h, body := e.fetch(e.admin, m, fileURL(x.ID, grown.Path))
		if status != 409 || len(body) > 2000 {
			t.Fatalf("%s of a grown file = %d (%d bytes)", m, status, len(body))
		}
		if m == "GET" && problem(t, h, body)["type"] != "urn:hvport:problem:conflict" {
			t.Fatalf("grown file: %s", body)
		}
	}
	// A file replaced by a link (even one of the same size) is not
	// followed, and a missing file is a conflict too.
	linked := x.Files[1]
	target := filepath.Join(e.root, "elsewhere")
	if err := os.WriteFile(target, make([]byte, linked.Size), 0o600); err != nil {
		t.Fatal(err)
	}
	lp := filepath.Join(x.Directory, filepath.FromSlash(linked.Path))
	if err := os.Remove(lp); err != nil {
		t.Fatal(err)
	}
	if status, _, body := e.fetch(e.admin, "GET", fileURL(x.ID, linked.Path)); status != 409 {
		t.Fatalf("a missing file = %d %s", status, body)
	}
	if err := os.Symlink(target, lp); err != nil {
		t.Fatal(err)
	}
	if status, _, body := e.fetch(e.admin, "GET", fileURL(x.ID, linked.Path)); status != 409 {
		t.Fatalf("a file replaced by a link = %d %s", status, body)
	}
}

// The ServeFault test hook flips the byte it names, in the answers that
// cover it, and nothing else.
func TestServeFaultFlipsOneByte(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	x := published(t, e, "web-01", "web")
	bad, good := x.Files[0], x.Files[1]
	const at = 700
	srv := httptest.NewServer(handlers.NewRouter(handlers.Deps{Exports: &exports.Service{Store: e.store}, Security: handlers.Security{Tokens: e.tokens},
		ServeFault: func(exportID, path string) (int64, bool) { return at, exportID == x.ID && path == bad.Path }}))
	defer srv.Close()
	disk := func(f api.ExportFile) []byte {
		b, err := os.ReadFile(filepath.Join(x.Directory, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := disk(bad)
	flipped := bytes.Clone(want)
	flipped[at] ^= 0xff
	for _, c := range []struct {
		name string
		f    api.ExportFile
		hdr  []string
		want []byte
	}{
		{"whole", bad, nil, flipped},
		{"a range over it", bad, []string{"Range", "bytes=600-799"}, flipped[600:800]},
		{"a range after it", bad, []string{"Range", fmt.Sprintf("bytes=%d-", at+1)}, want[at+1:]},
		{"another file", good, nil, disk(good)},
	} {
		_, _, body := fetchFrom(t, srv.URL, e.admin, "GET", fileURL(x.ID, c.f.Path), c.hdr...)
		if !bytes.Equal(body, c.want) {
			t.Errorf("%s: %d bytes, not the expected ones", c.name, len(body))
		}
	}
	// The whole answer is what a destination would reject.
	_, _, body := fetchFrom(t, srv.URL, e.admin, "GET", fileURL(x.ID, bad.Path))
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) == bad.SHA256 {
		t.Fatal("the faulty answer still has the manifest's SHA-256")
	}
}

// Without a directory an export goes to a new place under the first
// export root, named after the VM and the export's id.
func TestExportWithoutDirectoryGoesToAFreshPlace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var dirs []string
	for _, body := range []string{`{}`, `{"directory": ""}`} {
		j := finalJob(e, e.startExport("web-01", body).ID)
		res := exportResult(t, j)
		id := res["exportId"].(string)
		want := filepath.Join(e.root, "web-01-"+id[:8])
		if j.Directory != want || res["directory"] != want {
			t.Fatalf("%s: job directory %q, result %v, want %s", body, j.Directory, res, want)
		}
		if _, err := os.Stat(filepath.Join(want, exports.ManifestName)); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, want)
	}
	if dirs[0] == dirs[1] {
		t.Fatal("two exports in one place")
	}
	var l api.List[api.Export]
	e.getJSON("/v1/exports", 200, &l)
	if len(l.Items) != 2 {
		t.Fatalf("exports = %+v", l.Items)
	}
	raw, _ := json.Marshal(l)
	if !strings.Contains(string(raw), dirs[0]) || !strings.Contains(string(raw), dirs[1]) {
		t.Fatalf("the list does not show %v: %s", dirs, raw)
	}
}
