// Package apitest checks HTTP traffic against api/openapi.yaml in tests:
// every response a test receives must match the document, so the spec and
// the code cannot drift.
package apitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/hvport/hvport/api"
)

var (
	loadOnce sync.Once
	router   routers.Router
	loadErr  error
)

// Router returns a router over the embedded OpenAPI document, after
// validating the document itself.
func Router() (routers.Router, error) {
	loadOnce.Do(func() {
		// Server-sent events and the YAML document are text; their schema
		// is a string (kin-openapi would otherwise parse the YAML into an
		// object, which is not what a client receives).
		openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/yaml", openapi3filter.FileBodyDecoder)
		// The reference page and its files (GET /docs).
		for _, t := range []string{"text/html", "text/javascript", "text/css"} {
			openapi3filter.RegisterBodyDecoder(t, openapi3filter.FileBodyDecoder)
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.OpenAPI)
		if err != nil {
			loadErr = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			loadErr = err
			return
		}
		doc.Servers = nil // match requests to any host (httptest picks a port)
		router, loadErr = legacy.NewRouter(doc)
	})
	return router, loadErr
}

// Transport validates every response against the OpenAPI document and
// fails the test on a mismatch or on a route the document does not have.
type Transport struct {
	T    testing.TB
	Base http.RoundTripper
}

func (tr Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := tr.Base
	if base == nil {
		base = http.DefaultTransport
	}
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
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
	if err := Check(req, reqBody, resp.StatusCode, resp.Header, body); err != nil {
		tr.T.Errorf("%s %s → %d does not match api/openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp, nil
}

// Check validates one response against the document.
func Check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	r, err := Router()
	if err != nil {
		return err
	}
	rq := req.Clone(context.Background())
	rq.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := r.FindRoute(rq)
	if err != nil {
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: rq, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}
