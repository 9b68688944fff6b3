package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/auth"
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
	data := filepath.Join(dir, "data")
	return serve(t, "--config", cfgFile, "--listen", "127.0.0.1:0", "--backend", "sim", "--data-dir", data), data
}

// serve runs the real server (run) with args until the test ends and
// returns its base URL once it listens.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, io.Discard, ready) }()
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
		return base
	case err := <-done:
		done <- nil // for the cleanup, which waits for the exit
		t.Fatalf("server did not start (%s): %v", strings.Join(args, " "), err)
	case <-time.After(2 * time.Minute):
		t.Fatal("server did not start within 2 minutes")
	}
	return ""
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

// walkthroughScript is the shell code of the walkthrough block.
func walkthroughScript(t *testing.T) string {
	t.Helper()
	return shellBlock(t, readmeWalkthrough(t))
}

// hvportWalkthroughScript is the shell code of the hvport walkthrough.
func hvportWalkthroughScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "<!-- hvport-walkthrough:start -->")
	end := strings.Index(s, "<!-- hvport-walkthrough:end -->")
	if start < 0 || end < start {
		t.Fatal("README.md has no hvport walkthrough markers")
	}
	return shellBlock(t, s[start:end])
}

func shellBlock(t *testing.T, block string) string {
	t.Helper()
	start := strings.Index(block, "```sh\n")
	end := strings.LastIndex(block, "```")
	if start < 0 || end <= start {
		t.Fatal("the README walkthrough has no ```sh block")
	}
	return block[start+len("```sh\n") : end]
}

// TestREADMEWalkthrough runs the README's walkthrough literally, as a user
// would paste it: bash, curl and jq, in a folder holding the server's
// hvport-data, against the server on 127.0.0.1:8080 — nothing is filled in
// by the test. It then checks what each step must have shown and left.
func TestREADMEWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("HVPORT_REQUIRE_WALKTHROUGH") == "1" {
				t.Fatalf("%s is not on PATH and HVPORT_REQUIRE_WALKTHROUGH=1", tool)
			}
			t.Skipf("the README walkthrough needs %s (Debian: apt-get install %s)", tool, tool)
		}
	}
	if runtime.GOOS == "windows" {
		t.Skip("the walkthrough is a POSIX shell session")
	}
	// The README's address: a demo server a developer left running there
	// makes this a skip (CI requires the run).
	if ln, err := net.Listen("tcp", "127.0.0.1:8080"); err != nil {
		if os.Getenv("HVPORT_REQUIRE_WALKTHROUGH") == "1" {
			t.Fatalf("127.0.0.1:8080 is busy and HVPORT_REQUIRE_WALKTHROUGH=1: %v", err)
		}
		t.Skipf("127.0.0.1:8080, the README's address, is in use (a demo server?): %v", err)
	} else {
		ln.Close()
	}
	dir := t.TempDir()
	serve(t, "--listen", "127.0.0.1:8080", "--backend", "sim", "--data-dir", filepath.Join(dir, "hvport-data"), "--log-level", "warn")

	script := walkthroughScript(t)
	if !strings.Contains(script, "TOKEN=$(cat hvport-data/"+auth.AdminTokenFile+")") {
		t.Fatal("the README walkthrough does not read the admin token from hvport-data/" + auth.AdminTokenFile)
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("the walkthrough failed: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	o := out.String()
	if strings.Contains(o, "urn:hvport:problem:") {
		t.Fatalf("a walkthrough step answered with a problem:\n%s", o)
	}
	// The event streams of steps 5 and 8 end with the finished jobs.
	var finished []map[string]any
	for _, line := range strings.Split(o, "\n") {
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var j map[string]any
			if err := json.Unmarshal([]byte(data), &j); err != nil {
				t.Fatalf("event data %q: %v", data, err)
			}
			if st := j["state"]; st == "completed" || st == "failed" || st == "cancelled" {
				finished = append(finished, j)
			}
		}
	}
	if len(finished) != 2 || finished[0]["kind"] != "export" || finished[0]["state"] != "completed" ||
		finished[1]["kind"] != "import" || finished[1]["state"] != "completed" {
		t.Fatalf("the followed jobs ended %v, want a completed export then a completed import:\n%s", finished, o)
	}
	for _, want := range []string{`"name":"web-01"`, `"copyVmStorage":true`, `"incompatibilities"`, `"state":"cancelling"`} {
		if !strings.Contains(o, want) && !(want == `"state":"cancelling"` && strings.Contains(o, `"state":"cancelled"`)) {
			t.Errorf("the walkthrough's output lacks %s", want)
		}
	}
	exports := filepath.Join(dir, "hvport-data", "exports")
	for _, f := range []string{"Virtual Machines", "hvport-manifest.json"} {
		if _, err := os.Stat(filepath.Join(exports, "web-01", f)); err != nil {
			t.Errorf("the published export lacks %s: %v", f, err)
		}
	}
	// Step 9's export was cancelled: nothing of it may remain.
	base := "http://127.0.0.1:8080"
	client := bearerClient(adminToken(t, filepath.Join(dir, "hvport-data")))
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r, err := client.Get(base + "/v1/jobs")
		if err != nil {
			t.Fatal(err)
		}
		var l struct {
			Items []struct{ Kind, State string }
		}
		json.NewDecoder(r.Body).Decode(&l)
		r.Body.Close()
		if len(l.Items) > 0 && l.Items[0].State == "cancelled" {
			break
		}
		if len(l.Items) == 0 || l.Items[0].State != "cancelling" && l.Items[0].State != "queued" && l.Items[0].State != "running" || time.Now().After(deadline) {
			t.Fatalf("the cancelled export ended %+v", l.Items)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(exports, "db-01")); !os.IsNotExist(err) {
		t.Errorf("the cancelled export left output behind")
	}
	if left, _ := filepath.Glob(filepath.Join(exports, ".hvport-staging-*")); len(left) > 0 {
		t.Errorf("the cancelled export left its staging directory: %v", left)
	}

	// The same steps with the hvport command, built from this repository,
	// on the same server, with no configuration of its own.
	bin := t.TempDir()
	if b, err := exec.Command("go", "build", "-o", filepath.Join(bin, "hvport"), "../hvport").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/hvport: %v\n%s", err, b)
	}
	cli := exec.Command("bash", "-euo", "pipefail", "-c", hvportWalkthroughScript(t))
	cli.Dir = dir
	home := t.TempDir()
	cli.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	out.Reset()
	errOut.Reset()
	cli.Stdout, cli.Stderr = &out, &errOut
	if err := cli.Run(); err != nil {
		t.Fatalf("the hvport walkthrough failed: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	o = out.String()
	for _, want := range []string{"web-01", "web-01-cli-copy", "cancelled"} {
		if !strings.Contains(o, want) {
			t.Errorf("the hvport walkthrough's output lacks %q:\n%s", want, o)
		}
	}
	if !strings.Contains(errOut.String(), "exporting") {
		t.Errorf("the hvport walkthrough showed no progress on stderr:\n%s", errOut.String())
	}
	if _, err := os.Stat(filepath.Join(exports, "web-01-cli", "hvport-manifest.json")); err != nil {
		t.Errorf("hvport's export is not published: %v", err)
	}
	if _, err := os.Stat(filepath.Join(exports, "db-01-cli")); !os.IsNotExist(err) {
		t.Errorf("hvport's cancelled export left output behind")
	}
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
