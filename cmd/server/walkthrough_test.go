package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/internal/apitest"
)

// startServer runs the real server (run) on a free port with a fresh data
// directory and returns its base URL.
func startServer(t *testing.T, extraConfig string) (base, dataDir string) {
	t.Helper()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "hvport.yaml")
	cfg := "poll-interval: 20ms\n" + extraConfig
	if !strings.Contains(extraConfig, "log-level:") {
		cfg += "log-level: warn\n"
	}
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--config", cfgFile, "--listen", "127.0.0.1:0", "--backend", "sim", "--data-dir", filepath.Join(dir, "data")}, io.Discard, ready)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server exited with %v", err)
			}
		case <-time.After(2 * time.Minute):
			t.Error("server did not shut down within 2 minutes")
		}
	})
	select {
	case base := <-ready:
		return base, filepath.Join(dir, "data")
	case err := <-done:
		done <- nil // for the cleanup, which waits for the exit
		t.Fatalf("server did not start: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("server did not start within 2 minutes")
	}
	return "", ""
}

// readmeWalkthrough returns the README's walkthrough block.
func readmeWalkthrough(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "<!-- walkthrough:start -->")
	end := strings.Index(s, "<!-- walkthrough:end -->")
	if start < 0 || end < start {
		t.Fatal("README.md has no walkthrough markers")
	}
	return s[start:end]
}

// walkthroughCommands returns the curl lines of the README's walkthrough.
func walkthroughCommands(t *testing.T) []string {
	t.Helper()
	var cmds []string
	for _, line := range strings.Split(readmeWalkthrough(t), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "curl ") {
			cmds = append(cmds, line)
		}
	}
	return cmds
}

// curl is the subset of curl the README uses: -s, -X METHOD, -H 'k: v',
// -d 'body', URL. Arguments may be single-quoted.
type curl struct {
	method, url, body string
	header            http.Header
}

func parseCurl(t *testing.T, line string) curl {
	t.Helper()
	var args []string
	var cur strings.Builder
	var quote rune // the open quote, or 0
	have := false
	for _, r := range line {
		switch {
		case (r == '\'' || r == '"') && (quote == 0 || quote == r):
			if quote == 0 {
				quote = r
			} else {
				quote = 0
			}
			have = true
		case r == ' ' && quote == 0:
			if have {
				args = append(args, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		args = append(args, cur.String())
	}
	c := curl{method: "GET", header: http.Header{}}
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "-s":
		case "-X":
			i++
			c.method = args[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(args[i], ":")
			c.header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		case "-d":
			i++
			c.body = args[i]
		default:
			if strings.HasPrefix(args[i], "-") {
				t.Fatalf("README curl uses option %s the test does not know", args[i])
			}
			c.url = args[i]
		}
	}
	return c
}

// TestREADMEWalkthrough runs the README's curl commands against a started
// server, so the README cannot rot.
func TestREADMEWalkthrough(t *testing.T) {
	base, dataDir := startServer(t, "sim:\n  copy-bytes-per-second: 4194304\n")
	exports := filepath.Join(dataDir, "exports")
	client := &http.Client{Timeout: 10 * time.Second}
	var job, lastCreated string
	send := func(c curl) (int, []byte) {
		req, err := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = c.header.Clone()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if err := apitest.Check(req, []byte(c.body), resp.StatusCode, resp.Header, body); err != nil {
			t.Errorf("%s %s: response does not match api/openapi.yaml: %v", c.method, c.url, err)
		}
		return resp.StatusCode, body
	}
	jobState := func(id string) (string, int) {
		_, body := send(curl{method: "GET", url: base + "/v1/jobs/" + id, header: http.Header{"Authorization": {"Bearer " + adminToken(t, dataDir)}}})
		var j struct {
			State           string `json:"state"`
			PercentComplete int    `json:"percentComplete"`
		}
		json.Unmarshal(body, &j)
		return j.State, j.PercentComplete
	}
	cmds := walkthroughCommands(t)
	if len(cmds) < 12 {
		t.Fatalf("README walkthrough has %d curl commands, want the 12 of the README", len(cmds))
	}
	// The walkthrough reads the token the first start wrote, from the
	// default data directory's file.
	if !strings.Contains(readmeWalkthrough(t), "TOKEN=$(cat hvport-data/"+auth.AdminTokenFile+")") {
		t.Fatal("the README walkthrough does not read the admin token from hvport-data/" + auth.AdminTokenFile)
	}
	token := adminToken(t, dataDir)
	for _, line := range cmds {
		if !strings.Contains(line, `-H "Authorization: Bearer $TOKEN"`) {
			t.Errorf("README curl line without the token: %s", line)
		}
		line = strings.ReplaceAll(line, "$TOKEN", token)
		line = strings.ReplaceAll(line, "http://127.0.0.1:8080", base)
		line = strings.ReplaceAll(line, "$EXPORTS", exports)
		line = strings.ReplaceAll(line, "$JOB", job)
		c := parseCurl(t, line)
		status, body := send(c)
		switch {
		case c.method == "POST" && (strings.HasSuffix(c.url, "/exports") || strings.HasSuffix(c.url, "/imports")):
			var j struct{ ID, State string }
			if err := json.Unmarshal(body, &j); status != 202 || err != nil || j.State != "queued" {
				t.Fatalf("%s → %d %s", line, status, body)
			}
			job, lastCreated = j.ID, j.ID
		case strings.HasSuffix(c.url, "/cancel"):
			if status != 200 {
				t.Fatalf("%s → %d %s", line, status, body)
			}
			if st := waitFinal(t, jobState, job); st != "cancelled" {
				t.Fatalf("cancelled job ended %s", st)
			}
			if _, err := os.Stat(filepath.Join(exports, "db-01")); !os.IsNotExist(err) {
				t.Errorf("cancelled export left output behind")
			}
			if left, _ := filepath.Glob(filepath.Join(exports, ".hvport-staging-*")); len(left) > 0 {
				t.Errorf("cancelled export left its staging directory: %v", left)
			}
			// Cancelling a finished job answers 409, as the README says.
			if status, _ := send(c); status != 409 {
				t.Errorf("second cancel → %d, want 409", status)
			}
		case strings.Contains(c.url, "/v1/jobs/"+lastCreated) && c.method == "GET":
			if status != 200 {
				t.Fatalf("%s → %d %s", line, status, body)
			}
			if st := waitFinal(t, jobState, job); st != "completed" {
				t.Fatalf("job %s ended %s", job, st)
			}
			for _, f := range []string{"Virtual Machines", "hvport-manifest.json"} {
				if _, err := os.Stat(filepath.Join(exports, "web-01", f)); err != nil {
					t.Fatalf("the published export lacks %s: %v", f, err)
				}
			}
		default:
			if status != 200 {
				t.Fatalf("%s → %d %s", line, status, body)
			}
			if (strings.HasSuffix(c.url, "/v1/vms") || strings.HasSuffix(c.url, "/v1/exports") || strings.Contains(c.url, "/import-settings")) &&
				!bytes.Contains(body, []byte(`"web-01"`)) {
				t.Fatalf("%s does not show web-01: %s", c.url, body)
			}
		}
	}
}

func waitFinal(t *testing.T, state func(string) (string, int), id string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if st, _ := state(id); st == "completed" || st == "failed" || st == "cancelled" {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish within 60s", id)
	return ""
}

func TestConfigFlagsWinOverFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "c.yaml")
	os.WriteFile(f, []byte("listen: 127.0.0.1:9999\nlog-level: debug\njobs:\n  workers: 3\n"), 0o644)
	cfg, err := loadConfig([]string{"--config", f, "--listen", "127.0.0.1:7000"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:7000" || cfg.LogLevel != "debug" || cfg.Jobs.Workers != 3 || cfg.Backend != "auto" {
		t.Fatalf("cfg = %+v", cfg)
	}
	os.WriteFile(f, []byte("listn: x\n"), 0o644)
	if _, err := loadConfig([]string{"--config", f}, io.Discard); err == nil || !strings.Contains(err.Error(), "listn") {
		t.Fatalf("misspelled key accepted: %v", err)
	}
	if _, err := loadConfig([]string{"--backend", "vmware"}, io.Discard); err == nil || !strings.Contains(err.Error(), "auto, sim or hyperv") {
		t.Fatalf("bad backend: %v", err)
	}
}

func TestShippedConfigLoads(t *testing.T) {
	cfg, err := loadConfig([]string{"--config", "../../configs/hvport.yaml"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	def := defaultConfig()
	if runtime.GOOS == "windows" {
		// The file documents the default elsewhere; on Windows it is
		// %ProgramData%\hvport.
		def.DataDir = "hvport-data"
	}
	if fmt.Sprint(cfg) != fmt.Sprint(def) {
		t.Errorf("configs/hvport.yaml does not match the defaults it documents:\n file %+v\n code %+v", cfg, def)
	}
}

func TestSimSeedAndControlsFiles(t *testing.T) {
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.yaml")
	os.WriteFile(seed, []byte("switches: [{name: Lab}]\nvms:\n  - name: only-vm\n    state: off\n    disks: [{file: only.vhdx, sizeBytes: 1048576}]\n    networkAdapters: [{switch: Lab}]\n"), 0o644)
	controls := filepath.Join(dir, "controls.yaml")
	os.WriteFile(controls, []byte("random-seed: 7\nfaults:\n  - method: ExportSystemDefinition\n    return-value: 32775\n"), 0o644)
	base, dataDir := startServer(t, fmt.Sprintf("sim:\n  seed-file: %q\n  controls-file: %q\n", seed, controls))
	client := bearerClient(adminToken(t, dataDir))
	resp, err := client.Get(base + "/v1/vms")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte(`"only-vm"`)) || bytes.Contains(body, []byte(`"web-01"`)) {
		t.Fatalf("the seed file was not used: %s", body)
	}
	// The controls file's fault makes every export fail with invalid-state.
	req, _ := http.NewRequest("POST", base+"/v1/vms/only-vm/exports", strings.NewReader(
		fmt.Sprintf(`{"directory": %q}`, filepath.Join(dataDir, "exports", "x"))))
	req.Header.Set("Content-Type", "application/json")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var j struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&j)
	resp.Body.Close()
	deadline := time.Now().Add(2 * time.Minute) // a hang guard
	for time.Now().Before(deadline) {
		r, _ := client.Get(base + "/v1/jobs/" + j.ID)
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if bytes.Contains(b, []byte(`"state":"failed"`)) {
			if !bytes.Contains(b, []byte("invalid-state")) {
				t.Fatalf("failed for another reason: %s", b)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the injected fault never failed the export")
}
