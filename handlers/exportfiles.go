package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
)

// exportFilesResource serves a published export to another agent (the
// destination of a copy, with a grant) or to anyone who may read exports:
// GET/HEAD /v1/exports/{id}/manifest and /v1/exports/{id}/files/{path}.
//
// A file is found by its path in the export's manifest, exactly as the
// manifest writes it (forward slashes, case-sensitive), and never by
// joining the URL to a directory: a path the manifest does not list —
// "..", "%2e%2e", a backslash, an absolute path, a file that is on disk
// but not in the manifest, the manifest itself — is 404, and the body says
// the same for all of them.
//
// Ranges (RFC 9110 §14): one range per request ("bytes=a-b", "bytes=a-",
// "bytes=-n") is answered 206 with Content-Range; a range that selects no
// byte is 416 with "Content-Range: bytes */<size>"; a request with
// several ranges is answered 200 with the whole file (no
// multipart/byteranges); a Range with another unit or that does not parse
// is ignored (200). If-Range is compared strongly with the file's ETag (its
// SHA-256 from the manifest, quoted); any other value — a date too, as
// there is no Last-Modified — makes the answer the whole file (200), so a
// client resuming a file that changed starts over.
//
// The body is copied with io.CopyN from the *os.File to the
// ResponseWriter, which on a plain TCP connection hands it to the kernel
// (sendfile on Linux, TransmitFile on Windows): no byte passes through
// user space and nothing is buffered beyond the first 512 bytes net/http
// sniffs. Holes of a sparse file are not read from disk: the file system
// produces their zeros from its extent map for sendfile as for read.
// Over TLS the bytes must be encrypted by this process, so io.Copy reads
// the file in 32 KiB chunks (holes again come from the extent map, not
// the disk) and writes them through the TLS connection; the zeros of
// holes are sent like any bytes — the wire does not know holes.
type exportFilesResource struct {
	exports exportsResource
	// fault is Deps.ServeFault.
	fault func(exportID, path string) (int64, bool)
	log   *zap.Logger
}

// manifest answers the export's hvport-manifest.json exactly as it is on
// disk; its ETag is "sha256:<hex>" of those bytes.
func (f exportFilesResource) manifest(w http.ResponseWriter, r *http.Request) (any, error) {
	x, err := f.exports.visibleExport(r)
	if err != nil {
		return nil, err
	}
	b, _, err := f.exports.svc.Store.ManifestBytes(x)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("ETag", `"sha256:`+hex.EncodeToString(sum[:])+`"`)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
	return streamed{}, nil
}

// file answers one file of the export, or a range of it.
func (f exportFilesResource) file(w http.ResponseWriter, r *http.Request) (any, error) {
	x, err := f.exports.visibleExport(r)
	if err != nil {
		return nil, err
	}
	p, ok := filePath(r)
	if !ok {
		return nil, errs.E(errs.NotFound, "export %s has no file of that path in its manifest", x.Manifest.ID)
	}
	file, entry, err := f.exports.svc.Store.OpenFile(x, p)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	etag := `"` + entry.SHA256 + `"`
	start, length, partial, err := pickRange(r, entry.Size, etag)
	if err != nil {
		w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(entry.Size, 10))
		return nil, err
	}
	if _, err := file.Seek(start, io.SeekStart); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "seek in %s of export %s", entry.Path, x.Manifest.ID)
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Accept-Ranges", "bytes")
	h.Set("ETag", etag)
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, entry.Size))
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead || length == 0 {
		return streamed{}, nil
	}
	var src io.Reader = file // io.CopyN → *io.LimitedReader of the *os.File: sendfile
	if f.fault != nil {
		if off, ok := f.fault(x.Manifest.ID, entry.Path); ok && off >= start && off < start+length {
			src = &flipByte{r: file, at: off - start}
		}
	}
	if n, err := io.CopyN(w, src, length); err != nil {
		// The status is sent; a short body with its Content-Length makes
		// net/http close the connection, which the client notices.
		f.log.Info("a file transfer ended early", zap.String("export_id", x.Manifest.ID), zap.String("path", entry.Path),
			zap.Int64("offset", start), zap.Int64("sent", n), zap.Int64("length", length), zap.Error(err))
	}
	return streamed{}, nil
}

// filePath is the route's {path} decoded exactly once. chi matches the
// escaped path when the request's differs from its decoded form (a %2F, a
// %2e …), and then hands the wildcard over still escaped.
func filePath(r *http.Request) (string, bool) {
	p := chi.URLParam(r, "*")
	if r.URL.RawPath == "" {
		return p, p != ""
	}
	d, err := url.PathUnescape(p)
	return d, err == nil && d != ""
}

// pickRange decides what part of a file of size bytes (whose ETag is
// etag) r asks for: the whole file (partial false), one range (partial
// true), or none that exists (a RangeNotSatisfiable error).
func pickRange(r *http.Request, size int64, etag string) (start, length int64, partial bool, err error) {
	whole := func() (int64, int64, bool, error) { return 0, size, false, nil }
	spec := r.Header.Get("Range")
	if spec == "" {
		return whole()
	}
	if ir := r.Header.Get("If-Range"); ir != "" && ir != etag {
		return whole()
	}
	unit, set, ok := strings.Cut(spec, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") || strings.Contains(set, ",") {
		return whole() // another unit, or several ranges: the whole file
	}
	first, last, ok := strings.Cut(strings.TrimSpace(set), "-")
	if !ok {
		return whole()
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	unsatisfiable := func() (int64, int64, bool, error) {
		return 0, 0, false, errs.E(errs.RangeNotSatisfiable, "the range %q selects no byte of this %d-byte file", spec, size)
	}
	if first == "" { // the last n bytes
		n, ok := digits(last)
		if !ok {
			return whole()
		}
		if n == 0 || size == 0 {
			return unsatisfiable()
		}
		n = min(n, size)
		return size - n, n, true, nil
	}
	a, ok := digits(first)
	if !ok {
		return whole()
	}
	b := size - 1
	if last != "" {
		if b, ok = digits(last); !ok || b < a {
			return whole() // not a valid range: ignored (RFC 9110 §14.2)
		}
	}
	if a >= size {
		return unsatisfiable()
	}
	b = min(b, size-1)
	return a, b - a + 1, true, nil
}

// digits parses a non-negative decimal number of digits only (no sign).
func digits(s string) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// flipByte passes r through with the byte at offset at inverted: the
// ServeFault test hook. It hides the *os.File, so a faulty answer is
// copied through user space rather than by sendfile.
type flipByte struct {
	r   io.Reader
	at  int64 // offset of the byte to flip, from the start of r
	pos int64
}

func (f *flipByte) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if f.at >= f.pos && f.at < f.pos+int64(n) {
		b[f.at-f.pos] ^= 0xff
	}
	f.pos += int64(n)
	return n, err
}
