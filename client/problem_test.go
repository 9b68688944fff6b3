package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hvport/hvport/client"
)

func answering(t *testing.T, status int, contentType, body string) *client.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, client.WithToken("hvp_a_b"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProblemCarriesTheProblemObject(t *testing.T) {
	c := answering(t, http.StatusUnprocessableEntity, "application/problem+json",
		`{"type":"urn:hvport:problem:invalid","title":"Invalid request","status":422,"detail":"invalid export settings",
		  "instance":"/v1/vms/web-01/exports",
		  "errors":[{"field":"settings.copySnapshotConfiguration","reason":"unknown value \"all\"","allowed":["exportAllSnapshots","exportNoSnapshots"]}],
		  "exportRoots":["D:\\exports"],"requiredBytes":1024}`)
	_, err := c.StartExport(context.Background(), "web-01", client.ExportRequest{Directory: "/x"})

	var p *client.Problem
	if !errors.As(err, &p) {
		t.Fatalf("err = %T %v, want a *client.Problem", err, err)
	}
	if p.Status != 422 || p.Title != "Invalid request" || p.Detail != "invalid export settings" || p.Instance != "/v1/vms/web-01/exports" || p.Kind() != "invalid" {
		t.Errorf("problem = %+v", p)
	}
	if len(p.Errors) != 1 || p.Errors[0].Field != "settings.copySnapshotConfiguration" || len(p.Errors[0].Allowed) != 2 {
		t.Errorf("field errors = %+v", p.Errors)
	}
	if roots, _ := p.Extensions["exportRoots"].([]any); len(roots) != 1 || roots[0] != `D:\exports` || p.Extensions["requiredBytes"] != float64(1024) {
		t.Errorf("extensions = %v", p.Extensions)
	}
	for _, std := range []string{"type", "title", "status", "detail", "instance", "errors"} {
		if _, ok := p.Extensions[std]; ok {
			t.Errorf("standard member %q is in Extensions", std)
		}
	}
	// The value form of errors.As works too.
	var q client.Problem
	if !errors.As(err, &q) || q.Status != 422 {
		t.Errorf("errors.As(err, &client.Problem{}) = %+v", q)
	}
	msg := err.Error()
	for _, want := range []string{"422", "Invalid request", "invalid export settings", "settings.copySnapshotConfiguration", "exportNoSnapshots"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q, missing %q", msg, want)
		}
	}
	// It writes back as the server wrote it.
	b, _ := json.Marshal(p)
	var back client.Problem
	if err := json.Unmarshal(b, &back); err != nil || back.Extensions["requiredBytes"] != float64(1024) || back.Errors[0].Reason != p.Errors[0].Reason {
		t.Errorf("round trip: %s → %+v, %v", b, back, err)
	}
	if client.Retryable(err) {
		t.Error("an answer is retryable")
	}
}

func TestAnswerThatIsNotAProblemIsOne(t *testing.T) {
	c := answering(t, http.StatusBadGateway, "text/html", "<html>bad gateway</html>")
	_, err := c.ListVMs(context.Background())
	var p *client.Problem
	if !errors.As(err, &p) {
		t.Fatalf("err = %T %v, want a *client.Problem", err, err)
	}
	if p.Status != 502 || p.Title != "Bad Gateway" || p.Type != "about:blank" || p.Kind() != "" || !strings.Contains(p.Detail, "bad gateway") {
		t.Errorf("problem = %+v", p)
	}
}

func TestUnexpectedBodyIsAnError(t *testing.T) {
	c := answering(t, http.StatusOK, "application/json", `{"items": 3}`)
	_, err := c.ListVMs(context.Background())
	var p *client.Problem
	if err == nil || errors.As(err, &p) {
		t.Fatalf("err = %v, want a decoding error (not a problem)", err)
	}
}

func TestJobProblem(t *testing.T) {
	var j client.Job
	if client.JobProblem(j) != nil {
		t.Error("a job without error has a problem")
	}
	if err := json.Unmarshal([]byte(`{"id":"j","state":"failed","error":{"type":"urn:hvport:problem:insufficient-storage","title":"Insufficient storage","status":507,"requiredBytes":5}}`), &j); err != nil {
		t.Fatal(err)
	}
	p := client.JobProblem(j)
	if p == nil || p.Status != 507 || p.Kind() != "insufficient-storage" || p.Extensions["requiredBytes"] != float64(5) {
		t.Errorf("JobProblem = %+v", p)
	}
}
