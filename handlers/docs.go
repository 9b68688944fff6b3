package handlers

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/hvport/hvport/errs"
)

// The API reference page (GET /docs): an HTML shell, its script and
// style, and the Redoc renderer (docsui/NOTICE.md: version and license),
// all in the binary — no CDN, it works on a host without internet. The
// page holds no spec: its script fetches GET /v1/openapi.yaml (as JSON)
// with the caller's credentials (a token typed into the page, or given
// as /docs#token=…, kept in the tab's sessionStorage; a client
// certificate) and renders it. So the page is public, and the spec stays
// reader-only.
//
//go:embed docsui/index.html docsui/docs.js docsui/docs.css docsui/redoc.standalone.js docsui/redoc.standalone.js.LICENSE.txt docsui/LICENSE.redoc.txt
var docsFiles embed.FS

// docsCSP lets the page run only its own scripts. Redoc's styles are
// injected at run time (styled-components: 'unsafe-inline' styles) and
// its search runs in a worker made from a blob.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"font-src 'self' data:; connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// docsFile is an embedded file with its type and ETag.
type docsFile struct {
	body        []byte
	contentType string
	etag        string
}

var docsAssets = func() map[string]docsFile {
	types := map[string]string{
		"index.html":                      "text/html; charset=utf-8",
		"docs.js":                         "text/javascript; charset=utf-8",
		"docs.css":                        "text/css; charset=utf-8",
		"redoc.standalone.js":             "text/javascript; charset=utf-8",
		"redoc.standalone.js.LICENSE.txt": "text/plain; charset=utf-8",
		"LICENSE.redoc.txt":               "text/plain; charset=utf-8",
	}
	out := map[string]docsFile{}
	for name, ct := range types {
		b, err := docsFiles.ReadFile("docsui/" + name)
		if err != nil {
			panic(err) // the embed directive lists every file
		}
		sum := sha256.Sum256(b)
		out[name] = docsFile{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
	}
	return out
}()

// docsPage serves the reference page.
func docsPage(w http.ResponseWriter, r *http.Request) (any, error) {
	serveDocsFile(w, r, docsAssets["index.html"])
	return streamed{}, nil
}

// docsAsset serves the page's scripts, style and licenses.
func docsAsset(w http.ResponseWriter, r *http.Request) (any, error) {
	name := chi.URLParam(r, "asset")
	f, ok := docsAssets[name]
	if !ok || name == "index.html" {
		return nil, errs.E(errs.NotFound, "no such file of the reference page")
	}
	serveDocsFile(w, r, f)
	return streamed{}, nil
}

func serveDocsFile(w http.ResponseWriter, r *http.Request, f docsFile) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// Revalidated each time: the files change with the binary.
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	if r.Header.Get("If-None-Match") == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	w.Write(f.body)
}
