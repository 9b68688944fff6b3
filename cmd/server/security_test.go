package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/auth"
)

// The first start writes an admin token, owner-only, and logs the file's
// path but never the token.
func TestFirstStartWritesAdminTokenFileNotLog(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "server.log")
	base, dataDir := startServer(t, fmt.Sprintf("log-level: info\nlog-file: %q\n", logFile))
	tok := adminToken(t, dataDir)
	if !strings.HasPrefix(tok, "hvp_") {
		t.Fatalf("admin token %q", tok)
	}
	fi, err := os.Stat(filepath.Join(dataDir, auth.AdminTokenFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin.token mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	resp, err := bearerClient(tok).Get(base + "/v1/vms")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/vms with the admin token = %d", resp.StatusCode)
	}
	resp, err = http.Get(base + "/v1/vms")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("GET /v1/vms without a token = %d", resp.StatusCode)
	}
	log, _ := os.ReadFile(logFile)
	if !bytes.Contains(log, []byte(filepath.Join(dataDir, auth.AdminTokenFile))) || bytes.Contains(log, []byte(secretOf(tok))) {
		t.Fatalf("the log must name the token file and not hold the token:\n%s", log)
	}
}

func secretOf(tok string) string { return tok[strings.LastIndex(tok, "_")+1:] }

func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cli(context.Background(), append(args, "--data-dir", dir), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, _ := run("token", "create", "--name", "portal", "--role", "operator", "--vms", "web-*,db-01", "--expires", "720h")
	tok := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(tok, "hvp_") || strings.Count(out, "\n") != 1 {
		t.Fatalf("create: exit %d, stdout %q", code, out)
	}
	store, err := auth.OpenStore(filepath.Join(dir, auth.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	// The store's clock moves a recheck interval per reading, so that it
	// looks at the file the command line writes every time.
	clock := time.Now()
	store.SetClock(func() time.Time { clock = clock.Add(auth.RecheckInterval); return clock })
	id, err := store.Authenticate(tok)
	if err != nil || id.Role != auth.Operator || len(id.VMs) != 2 || id.Name != "portal" {
		t.Fatalf("the created token authenticates as %+v (%v)", id, err)
	}
	code, out, _ = run("token", "list")
	if code != 0 || !strings.Contains(out, "portal") || !strings.Contains(out, "web-*,db-01") || strings.Contains(out, secretOf(tok)) {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	code, out, _ = run("token", "list", "--json")
	var rows []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0]["role"] != "operator" {
		t.Fatalf("list --json: exit %d\n%s", code, out)
	}
	if code, _, errOut := run("token", "create", "--name", "x", "--role", "root"); code != 1 || !strings.Contains(errOut, "reader, operator, admin") {
		t.Fatalf("bad role: exit %d %q", code, errOut)
	}
	if code, _, errOut := run("token", "create", "--name", "portal", "--role", "reader"); code != 1 || !strings.Contains(errOut, "exists") {
		t.Fatalf("duplicate: exit %d %q", code, errOut)
	}
	if code, out, _ := run("token", "revoke", "portal"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: exit %d %q", code, out)
	}
	if _, err := store.Authenticate(tok); err == nil {
		t.Fatal("a revoked token still authenticates")
	}
	if code, _, _ := run("token", "revoke", "portal"); code != 1 {
		t.Fatalf("revoking twice: exit %d", code)
	}
	fi, _ := os.Stat(filepath.Join(dir, auth.StoreFile))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("tokens.json mode %v", fi.Mode().Perm())
	}
}

// A running server accepts a token the host's command line creates, and
// refuses it once revoked, without a restart.
func TestRunningServerSeesTokenCommand(t *testing.T) {
	base, dataDir := startServer(t, "")
	var out bytes.Buffer
	if code := cli(context.Background(), []string{"token", "create", "--name", "late", "--role", "reader", "--data-dir", dataDir}, &out, io.Discard); code != 0 {
		t.Fatalf("token create: exit %d", code)
	}
	get := func() int {
		r, err := bearerClient(strings.TrimSpace(out.String())).Get(base + "/v1/vms")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	if s := get(); s != 200 {
		t.Fatalf("new token = %d", s)
	}
	if code := cli(context.Background(), []string{"token", "revoke", "late", "--data-dir", dataDir}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("token revoke: exit %d", code)
	}
	// The server trusts its last look at the file for auth.RecheckInterval
	// (TestStoreSeesAnotherWritersTokens has the bound, on a fake clock):
	// ask until it refuses; a guard against hanging, not a deadline.
	for guard := time.Now().Add(time.Minute); ; {
		s := get()
		if s == 401 {
			break
		}
		if s != 200 || time.Now().After(guard) {
			t.Fatalf("revoked token = %d", s)
		}
		time.Sleep(auth.RecheckInterval)
	}
}

// The canary test (security-anchors T5, A4): tokens used, refused and
// created go through logs (at debug), the audit log, problem bodies and job
// records, and none of their secrets is found anywhere afterwards.
func TestTokenCanaryNeverLeaks(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "server.log")
	base, dataDir := startServer(t, fmt.Sprintf("log-level: debug\nlog-file: %q\n", logFile))
	admin := adminToken(t, dataDir)
	var bodies bytes.Buffer
	do := func(tok, method, path, body string) []byte {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Idempotency-Key", "canary-key-"+method+path)
		resp, err := bearerClient(tok).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if !strings.HasPrefix(path, "/v1/tokens") || method != "POST" {
			bodies.Write(b)
		}
		return b
	}
	var made struct{ Token string }
	json.Unmarshal(do(admin, "POST", "/v1/tokens", `{"name": "canary", "role": "operator"}`), &made)
	canary := made.Token
	if canary == "" {
		t.Fatal("no token created")
	}
	bogus := "hvp_" + auth.TokenID(canary) + "_" + strings.Repeat("q", 52) // a wrong secret for a real id
	junk := "hvp_zzzzzzzzzz_canarysecretcanarysecretcanarysecret"
	exportDir := filepath.Join(dataDir, "exports", "canary")
	var job struct{ ID string }
	json.Unmarshal(do(canary, "POST", "/v1/vms/web-01/exports", fmt.Sprintf(`{"directory": %q}`, exportDir)), &job)
	do(canary, "POST", "/v1/vms/web-01/exports", `{"directory": "relative"}`) // 422
	do(canary, "GET", "/v1/tokens", "")                                       // 403
	do(canary, "DELETE", "/v1/exports/nope", "")                              // 403
	do(canary, "GET", "/v1/vms/no-such-vm", "")                               // 404
	do(bogus, "GET", "/v1/vms", "")                                           // 401
	do(junk, "POST", "/v1/imports", `{}`)                                     // 401
	for i := 0; i < 600; i++ {
		b := do(canary, "GET", "/v1/jobs/"+job.ID, "")
		if bytes.Contains(b, []byte(`"state":"completed"`)) || bytes.Contains(b, []byte(`"state":"failed"`)) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	secrets := map[string]string{"created token": secretOf(canary), "wrong secret": secretOf(bogus), "junk token": secretOf(junk), "admin token": secretOf(admin)}
	check := func(where string, content []byte) {
		for what, s := range secrets {
			if bytes.Contains(content, []byte(s)) {
				t.Errorf("%s holds the %s's secret", where, what)
			}
		}
	}
	check("a response body", bodies.Bytes())
	log, _ := os.ReadFile(logFile)
	if len(log) == 0 {
		t.Fatal("empty server log")
	}
	check("the server log", log)
	filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(p) == auth.AdminTokenFile {
			return err
		}
		if fi, _ := d.Info(); fi.Size() > 1<<20 {
			return nil // disks
		}
		b, _ := os.ReadFile(p)
		check(p, b)
		return nil
	})
	audit, _ := os.ReadFile(filepath.Join(dataDir, "audit.log"))
	if !bytes.Contains(audit, []byte(auth.TokenID(canary))) || !bytes.Contains(audit, []byte(`"stage":"denied"`)) {
		t.Fatalf("the audit log does not record the canary's requests by id:\n%s", audit)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "jobs", "jobs.db")); err != nil {
		t.Fatalf("no job store written: %v", err)
	}
}

// The real command refuses an insecure configuration with one line and a
// non-zero exit, before it listens or writes anything.
func TestInsecureStartIsRefusedWithOneLine(t *testing.T) {
	for _, c := range []struct {
		name  string
		args  []string
		setup func(dataDir string)
		want  string
	}{
		{"no auth off loopback", []string{"--listen", "0.0.0.0:0", "--insecure-no-auth"}, nil, "insecure-no-auth"},
		{"token store readable by others", []string{"--listen", "127.0.0.1:0"}, func(d string) {
			os.MkdirAll(d, 0o700)
			os.WriteFile(filepath.Join(d, auth.StoreFile), []byte(`{"version":1,"tokens":[]}`), 0o644)
			os.Chmod(filepath.Join(d, auth.StoreFile), 0o644)
		}, auth.StoreFile},
		{"admin token readable by others", []string{"--listen", "127.0.0.1:0"}, func(d string) {
			os.MkdirAll(d, 0o700)
			os.WriteFile(filepath.Join(d, auth.AdminTokenFile), []byte("hvp_x_y\n"), 0o644)
			os.Chmod(filepath.Join(d, auth.AdminTokenFile), 0o644)
		}, auth.AdminTokenFile},
	} {
		t.Run(c.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			if c.setup != nil {
				c.setup(dataDir)
			}
			var stderr bytes.Buffer
			args := append([]string{"--backend", "sim", "--data-dir", dataDir, "--log-level", "error"}, c.args...)
			code := cli(context.Background(), args, io.Discard, &stderr)
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if code == 0 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Fatalf("exit %d, stderr %q: want one line naming %s", code, stderr.String(), c.want)
			}
		})
	}
}

// A second server on the same data directory refuses to start, naming the
// one that holds it; the first goes on serving.
func TestSecondServerOnOneDataDirectoryIsRefused(t *testing.T) {
	base, dataDir := startServer(t, "")
	var stderr bytes.Buffer
	code := cli(context.Background(), []string{"--backend", "sim", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--log-level", "error"}, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "in use") || !strings.Contains(stderr.String(), "pid ") {
		t.Fatalf("second server: exit %d, %q", code, stderr.String())
	}
	resp, err := bearerClient(adminToken(t, dataDir)).Get(base + "/v1/vms")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the first server after the refusal: %d", resp.StatusCode)
	}
}
