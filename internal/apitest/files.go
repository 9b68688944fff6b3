package apitest

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// filesRoute is the route whose last path parameter takes the rest of the
// path, slashes included: GET/HEAD /v1/exports/{id}/files/{path} (a chi
// wildcard on the server).
var filesRoute = regexp.MustCompile(`^(/v1/exports/[^/]+/files/)(.+)$`)

// FilesTransport is Transport for requests of GET/HEAD
// /v1/exports/{id}/files/{path} (and any other route): an OpenAPI path
// parameter is one segment, and kin-openapi's router matches the decoded
// path, so a file path with slashes ("Virtual Machines/x.vmcx") would
// find no route. The request is matched with the slashes of its {path}
// escaped; the answer is checked against that operation as Transport
// checks any other.
type FilesTransport struct {
	T    testing.TB
	Base http.RoundTripper
}

func (tr FilesTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := tr.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := Check(flattenFilePath(req), nil, resp.StatusCode, resp.Header, body); err != nil {
		tr.T.Errorf("%s %s → %d does not match api/openapi.yaml: %v\nbody: %.300s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp, nil
}

// flattenFilePath is req with the slashes of the file route's {path}
// turned into "%2F" text, so that the router sees one segment.
func flattenFilePath(req *http.Request) *http.Request {
	m := filesRoute.FindStringSubmatch(req.URL.Path)
	if m == nil {
		return req
	}
	r := req.Clone(req.Context())
	u := *req.URL
	u.Path, u.RawPath = m[1]+strings.ReplaceAll(m[2], "/", "%2F"), ""
	r.URL = &u
	return r
}
