package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/api"
)

func TestIdempotencyKeyReturnsTheFirstJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	body := fmt.Sprintf(`{"directory": %q, "settings": {"copyVmStorage": false}}`, filepath.Join(e.root, "idem"))
	post := func(key, body string) (int, string, []byte) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/vms/web-01/exports", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), b
	}
	s1, loc1, _ := post("retry-1", body)
	s2, loc2, _ := post("retry-1", body)
	if s1 != 202 || s2 != 202 || loc1 != loc2 || loc1 == "" {
		t.Fatalf("retry: %d %s / %d %s", s1, loc1, s2, loc2)
	}
	finalJob(e, strings.TrimPrefix(loc1, "/v1/jobs/"))
	// After the job finished, the retry still answers with it (the
	// export exists now: without the key this would be a 409).
	if s, loc, _ := post("retry-1", body); s != 202 || loc != loc1 {
		t.Fatalf("retry after completion: %d %s", s, loc)
	}
	// The same key with another body: 422 (draft-ietf-httpapi-idempotency-key-header).
	if s, _, b := post("retry-1", strings.Replace(body, "false", "true", 1)); s != 422 || !strings.Contains(string(b), "different request") {
		t.Fatalf("key reused for another request: %d %s", s, b)
	}
	var l api.List[api.Job]
	e.getJSON("/v1/jobs", 200, &l)
	if len(l.Items) != 1 {
		t.Fatalf("retries started %d jobs", len(l.Items))
	}
}
