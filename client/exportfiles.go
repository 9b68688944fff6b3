package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Reading a published export from its server — what another hvport agent
// does with a grant (WithToken(grant)) to copy a VM, and what an operator
// does to download an export — and making the grants.

// ExportManifest is the export's hvport-manifest.json: parsed, and its
// bytes exactly as the server stores them (a copy of the export keeps
// them, and checks every file against them). The bytes are checked
// against the ETag the server computed from them.
func (c *Client) ExportManifest(ctx context.Context, exportID string) (Manifest, []byte, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.GetExportManifest(ctx, exportID) })
	m, err := decode[Manifest](a, err, http.StatusOK)
	if err != nil {
		return Manifest{}, nil, err
	}
	if etag := a.header.Get("ETag"); etag != "" {
		sum := sha256.Sum256(a.body)
		if want := `"sha256:` + hex.EncodeToString(sum[:]) + `"`; etag != want {
			return Manifest{}, nil, fmt.Errorf("hvport client: the manifest of export %s does not match its ETag %s (received %s)", exportID, etag, want)
		}
	}
	return m, a.body, nil
}

// FileInfo describes the answer of DownloadExportFile.
type FileInfo struct {
	// Size is the whole file's size.
	Size int64
	// Offset is where the body starts in the file: the offset asked for,
	// or 0 when the server sent the whole file instead (the file is not
	// the one ifRange named, or no range was asked for). A caller resuming
	// a file must then start it over.
	Offset int64
	// ETag is the file's ETag as the server sent it: its SHA-256 from the
	// export's manifest, quoted.
	ETag string
}

// DownloadExportFile reads a file of an export, by its path in the
// export's manifest (forward slashes), from offset on: offset 0 asks for
// the whole file, a larger one for the rest of it from there (a Range
// request). ifRange, with an offset, is the ETag of the file the caller
// has the first offset bytes of (FileInfo.ETag, or the file's SHA-256
// from the manifest, quoted or not): when the server's file is another
// one it sends the whole file, and FileInfo.Offset says 0.
//
// The body streams from the server; the caller closes it. The client's
// timeout (WithTimeout) bounds the wait for the answer's headers only,
// not the transfer, which ctx bounds. The request is not repeated after a
// connection error: the caller knows how many bytes it has and asks again
// from there. Errors the server answers are *Problem (404 for a path the
// manifest does not list, 409 for a file that no longer matches it, 416
// for an offset at or past its end).
func (c *Client) DownloadExportFile(ctx context.Context, exportID, path string, offset int64, ifRange string) (io.ReadCloser, FileInfo, error) {
	if offset < 0 {
		return nil, FileInfo{}, fmt.Errorf("hvport client: DownloadExportFile: negative offset %d", offset)
	}
	ctx, cancel := context.WithCancel(ctx)
	var headers *time.Timer // the answer's headers must come within the timeout
	if c.timeout > 0 {
		headers = time.AfterFunc(c.timeout, cancel)
	}
	ranged := func(_ context.Context, r *http.Request) error {
		if offset > 0 {
			r.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
			if ifRange != "" {
				r.Header.Set("If-Range", quoteETag(ifRange))
			}
		}
		return nil
	}
	resp, err := c.gen.GetExportFile(ctx, exportID, path, nil, ranged)
	if headers != nil && !headers.Stop() {
		if err == nil {
			resp.Body.Close()
		}
		err = fmt.Errorf("hvport client: GET export file %s: no answer within %v: %w", path, c.timeout, context.DeadlineExceeded)
	}
	if err != nil {
		cancel()
		return nil, FileInfo{}, err
	}
	info := FileInfo{ETag: resp.Header.Get("ETag")}
	switch resp.StatusCode {
	case http.StatusOK:
		info.Size = resp.ContentLength
	case http.StatusPartialContent:
		var first, last int64
		first, last, info.Size, err = parseContentRange(resp.Header.Get("Content-Range"))
		if err == nil && (first != offset || last != info.Size-1) {
			err = fmt.Errorf("the server sent bytes %d-%d of %d, not from %d to the end", first, last, info.Size, offset)
		}
		info.Offset = first
	default:
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
		resp.Body.Close()
		cancel()
		if rerr != nil {
			return nil, FileInfo{}, fmt.Errorf("hvport client: GET export file %s: reading the answer: %w", path, rerr)
		}
		return nil, FileInfo{}, problemOf(answer{status: resp.StatusCode, header: resp.Header, body: body, method: resp.Request.Method, path: resp.Request.URL.Path})
	}
	if err == nil && info.Size < 0 {
		err = errors.New("the answer has no Content-Length")
	}
	if err != nil {
		resp.Body.Close()
		cancel()
		return nil, FileInfo{}, fmt.Errorf("hvport client: GET export file %s: %w", path, err)
	}
	return &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}, info, nil
}

// quoteETag makes an entity tag of a bare SHA-256 (an ETag already quoted,
// or weak, stays as it is).
func quoteETag(t string) string {
	if strings.HasPrefix(t, `"`) || strings.HasPrefix(t, `W/"`) {
		return t
	}
	return `"` + t + `"`
}

// parseContentRange reads "bytes first-last/size".
func parseContentRange(v string) (first, last, size int64, err error) {
	bad := fmt.Errorf("the 206 answer has Content-Range %q", v)
	rest, ok := strings.CutPrefix(v, "bytes ")
	span, total, ok2 := strings.Cut(rest, "/")
	a, b, ok3 := strings.Cut(span, "-")
	if !ok || !ok2 || !ok3 {
		return 0, 0, 0, bad
	}
	var errs [3]error
	first, errs[0] = strconv.ParseInt(a, 10, 64)
	last, errs[1] = strconv.ParseInt(b, 10, 64)
	size, errs[2] = strconv.ParseInt(total, 10, 64)
	if errors.Join(errs[:]...) != nil || first < 0 || first > last || last >= size {
		return 0, 0, 0, bad
	}
	return first, last, size, nil
}

// cancelOnClose releases a download's context with its body.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// CreateGrant makes a grant for an export (operator): a token, shown only
// in this answer (CreatedGrant.Token), that reads that export only — its
// details, manifest and files — and, with DeleteExportWhenDone, may delete
// it; it expires after ExpiresIn (default 1h, at most 24h). Another
// program uses it with WithToken.
func (c *Client) CreateGrant(ctx context.Context, exportID string, req GrantRequest) (CreatedGrant, error) {
	a, err := c.send(ctx, false, func(ctx context.Context) (*http.Response, error) { return c.gen.CreateExportGrant(ctx, exportID, req) })
	return decode[CreatedGrant](a, err, http.StatusCreated)
}

// ListGrants lists an export's grants, without their tokens (operator).
func (c *Client) ListGrants(ctx context.Context, exportID string) ([]Grant, error) {
	a, err := c.get(ctx, func(ctx context.Context) (*http.Response, error) { return c.gen.ListExportGrants(ctx, exportID) })
	return items(decode[list[Grant]](a, err, http.StatusOK))
}

// RevokeGrant revokes one of an export's grants (operator); requests with
// it fail from then on.
func (c *Client) RevokeGrant(ctx context.Context, exportID, grantID string) (Grant, error) {
	a, err := c.send(ctx, false, func(ctx context.Context) (*http.Response, error) {
		return c.gen.RevokeExportGrant(ctx, exportID, grantID)
	})
	return decode[Grant](a, err, http.StatusOK)
}
