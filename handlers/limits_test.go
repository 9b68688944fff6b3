package handlers_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Long and invalid input is refused at the edge with the right status and
// the field (issue #10, point 12; each case was accepted or misreported
// before: a long path as 409, a 200,000-character or NUL-holding name at
// 202, invalid UTF-8 silently replaced, a UTF-16 body misread).
func TestLongAndInvalidInputIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := exportVM(t, e, "db-01", "db")
	deep := e.root
	for len(deep) < 4200 {
		deep = filepath.Join(deep, strings.Repeat("d", 200))
	}
	imp := func(name string) string {
		n, _ := json.Marshal(name)
		return fmt.Sprintf(`{"directory": %q, "settings": {"createCopy": true, "generateNewId": true, "name": %s}}`, dir, n)
	}
	for _, c := range []struct {
		name, path, ct, body string
		status               int
		kind, mention        string
	}{
		{"component over 255", "/v1/vms/web-01/exports", "application/json", fmt.Sprintf(`{"directory": %q}`, filepath.Join(e.root, strings.Repeat("x", 256))), 422, "invalid", "255"},
		{"path over the file system's limit", "/v1/vms/web-01/exports", "application/json", fmt.Sprintf(`{"directory": %q}`, deep), 422, "invalid", "too long"},
		{"name of 200,000 characters", "/v1/imports", "application/json", imp(strings.Repeat("n", 200000)), 422, "invalid", "at most 100"},
		{"name of 101 characters", "/v1/imports", "application/json", imp(strings.Repeat("n", 101)), 422, "invalid", "at most 100"},
		{"NUL in a name", "/v1/imports", "application/json", imp("a\x00b"), 422, "invalid", "control characters"},
		{"invalid UTF-8", "/v1/vms/web-01/exports", "application/json", "{\"directory\": \"" + e.root + "/\xff\xfe\"}", 400, "bad-request", "UTF-8"},
		{"UTF-16 charset", "/v1/vms/web-01/exports", "application/json; charset=utf-16", `{}`, 415, "unsupported-media-type", "utf-16"},
	} {
		status, h, body := e.do("POST", c.path, c.ct, c.body)
		if status != c.status || problem(t, h, body)["type"] != "urn:hvport:problem:"+c.kind || !strings.Contains(string(body), c.mention) {
			t.Errorf("%s: %d %.300s, want %d %s mentioning %q", c.name, status, body, c.status, c.kind, c.mention)
		}
	}
	// Limits are not over-eager: 100 characters and UTF-8 charset work.
	if status, _, body := e.do("POST", "/v1/imports", "application/json; charset=UTF-8", imp(strings.Repeat("é", 100))); status != 202 {
		t.Fatalf("a 100-character name = %d %s", status, body)
	}
}
