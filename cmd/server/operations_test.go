package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/auth"
)

// The real server wires the operations routes: /healthz and /readyz answer
// without credentials (readyz?verbose lists its four checks for a reader,
// and fails data-dir when the data directory cannot take a file), /docs is
// served, /metrics needs a token and shows the Go runtime, the process and
// hvport's requests by route, and every answer has an X-Request-Id.
func TestOperationsRoutesOnTheRealServer(t *testing.T) {
	base, data := startServer(t, "")
	b, err := os.ReadFile(filepath.Join(data, auth.AdminTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(b))
	get := func(path, tok string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no X-Request-Id", path)
		}
		return resp.StatusCode, resp.Header, string(body)
	}
	if s, _, b := get("/healthz", ""); s != 200 || strings.TrimSpace(b) != `{"status":"ok"}` {
		t.Fatalf("healthz = %d %s", s, b)
	}
	if s, _, b := get("/readyz", ""); s != 200 || strings.TrimSpace(b) != `{"status":"ok"}` {
		t.Fatalf("readyz = %d %s", s, b)
	}
	var ready struct {
		Status string
		Checks []struct{ Name, Status string }
	}
	_, _, body := get("/readyz?verbose", token)
	if err := json.Unmarshal([]byte(body), &ready); err != nil || len(ready.Checks) != 4 || ready.Status != "ok" {
		t.Fatalf("readyz?verbose = %s", body)
	}
	if s, h, b := get("/docs", ""); s != 200 || !strings.Contains(b, "/docs/redoc.standalone.js") || h.Get("Content-Security-Policy") == "" {
		t.Fatalf("docs = %d", s)
	}
	if s, _, _ := get("/metrics", ""); s != 401 {
		t.Fatalf("metrics without a token = %d", s)
	}
	s, _, text := get("/metrics", token)
	for _, want := range []string{"go_goroutines ", "process_cpu_seconds_total ", `hvport_http_requests_total{code="200",method="GET",route="/readyz"}`,
		`hvport_jobs_running{kind="export"} 0`, `hvport_wmi_queries_total{namespace="root\\virtualization\\v2",operation="ExecQuery",result="ok"}`} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics (%d) lack %s", s, want)
		}
	}

	// The data directory's check is the real one: a directory that takes
	// no file (its path made a file, which even root cannot write into).
	// On a server without authentication (loopback), whose callers are
	// admins (any Authorization header names one): the token store lives
	// in the data directory too.
	base, data = startServer(t, "insecure-no-auth: true\n")
	moved := data + ".moved"
	if err := os.Rename(data, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, body = get("/readyz?verbose", "anyone")
	if s != 503 || !strings.Contains(body, `{"name":"data-dir","status":"failed"}`) {
		t.Fatalf("readyz with the data directory gone = %d %s", s, body)
	}
	os.Remove(data)
	if err := os.Rename(moved, data); err != nil {
		t.Fatal(err)
	}
	if s, _, b := get("/readyz?verbose", "anyone"); s != 200 {
		t.Fatalf("readyz once the data directory is back = %d %s", s, b)
	}
}
