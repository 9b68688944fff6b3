package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hvport/hvport/client"
	"github.com/hvport/hvport/internal/testserver"
)

// twoHosts starts two servers, each its own simulated host, saved as
// hosts a and b.
func twoHosts(t *testing.T) (*env, *testserver.Server, *testserver.Server) {
	t.Helper()
	a := startServer(t, testserver.Options{})
	b := startServer(t, testserver.Options{})
	e := newEnv(t)
	e.ok("host", "add", "a", a.URL, "--token-file", a.TokenFile)
	e.ok("host", "add", "b", b.URL, "--token-file", b.TokenFile)
	return e, a, b
}

func exportIDs(t *testing.T, e *env, host string) []string {
	t.Helper()
	return strings.Fields(e.ok("exports", "list", "-q", "--host", host).stdout)
}

// vm copy from a to b: b has the new VM, a still has web-01, and the
// intermediate export is gone from both (a's removed once b had it, b's
// once the copy was imported).
func TestVMCopy(t *testing.T) {
	t.Parallel()
	e, a, _ := twoHosts(t)

	r := e.ok("vm", "copy", "web-01", "--from", "a", "--to", "b", "--wait")
	if !regexp.MustCompile(`^copied web-01 from a to b as web-01-copy \([0-9A-Fa-f-]{36}\): [\d.]+ MiB, [\d.]+ MiB received\n$`).MatchString(r.stdout) {
		t.Fatalf("vm copy --wait: %v", r)
	}
	// One view: a line per step's phase, one label, then the outcome.
	label := "copy web-01 a → b: "
	var phases []string
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if !strings.HasPrefix(l, label) {
			t.Fatalf("a progress line of another label: %q\n%s", l, r.stderr)
		}
		phases = append(phases, strings.TrimPrefix(l, label))
	}
	// A step on a, then steps on b (transferring a → b, verifying on b,
	// the import's), then the end. (Which phases show depends on when
	// the jobs are looked at: a short one may pass between two looks.)
	onA := regexp.MustCompile(`^\S+ on a \d+%`)
	onB := regexp.MustCompile(`^(transferring a → b|\S+ on b) \d+%`)
	if len(phases) < 3 || !onA.MatchString(phases[0]) || !regexp.MustCompile(`^completed 100% in \S+$`).MatchString(phases[len(phases)-1]) {
		t.Fatalf("progress lines:\n%s", r.stderr)
	}
	seenB := false
	for _, p := range phases[1 : len(phases)-1] {
		switch {
		case onB.MatchString(p):
			seenB = true
		case !onA.MatchString(p) || seenB:
			t.Errorf("progress line %q out of order:\n%s", p, r.stderr)
		}
	}
	if !seenB {
		t.Errorf("no progress line of the destination's job:\n%s", r.stderr)
	}

	if vms := e.ok("vm", "list", "-q", "--host", "b").stdout; !strings.Contains(vms, "web-01-copy\n") {
		t.Errorf("b's VMs after the copy:\n%s", vms)
	}
	if vms := e.ok("vm", "list", "-q", "--host", "a").stdout; vms != "build-agent\ndb-01\nweb-01\n" {
		t.Errorf("a's VMs after the copy:\n%s", vms)
	}
	if ids := exportIDs(t, e, "a"); len(ids) != 0 {
		t.Errorf("a keeps the intermediate export: %v", ids)
	}
	if ids := exportIDs(t, e, "b"); len(ids) != 0 {
		t.Errorf("b keeps the received export: %v", ids)
	}
	// The destination's job received the whole export once.
	jobs := decodeJSON[[]jobJSON](t, e.ok("job", "list", "-o", "json", "--host", "b").stdout)
	if len(jobs) != 1 || jobs[0].Kind != "import" || jobs[0].State != "completed" {
		t.Fatalf("b's jobs: %+v", jobs)
	}
	job := decodeJSON[jobJSON](t, e.ok("job", "show", jobs[0].ID, "-o", "json", "--host", "b").stdout)
	tr, _ := job.Result["transfer"].(map[string]any)
	if tr == nil || tr["totalBytes"] != tr["receivedBytes"] || tr["totalBytes"].(float64) <= 0 ||
		!strings.HasPrefix(tr["source"].(string), a.URL+"/v1/exports/") {
		t.Errorf("the import's transfer: %v", job.Result)
	}
}

// --keep-export keeps the export (and revokes the grant); --export reuses
// it, with settings from a file; without --wait the destination's job id
// is printed.
func TestVMCopyKeepAndReuseExport(t *testing.T) {
	t.Parallel()
	e, a, _ := twoHosts(t)
	ctx := context.Background()

	r := e.ok("vm", "copy", "web-01", "--from", "a", "--to", "b", "--name", "web-01-kept", "--keep-export", "--wait", "--no-progress")
	ids := exportIDs(t, e, "a")
	if len(ids) != 1 || !strings.Contains(r.stdout, "as web-01-kept (") || !strings.Contains(r.stdout, "export "+ids[0]+" kept on a") || r.stderr != "" {
		t.Fatalf("vm copy --keep-export: %v\nexports on a: %v", r, ids)
	}
	ca, err := client.New(a.URL, client.WithTokenFile(a.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	if gs, err := ca.ListGrants(ctx, ids[0]); err != nil || len(gs) != 0 {
		t.Errorf("the copy's grant is not revoked: %+v, %v", gs, err)
	}

	// The kept export again, named by the settings file, not waited for.
	file := filepath.Join(e.dir, "copy.yaml")
	if err := os.WriteFile(file, []byte("name: web-01-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = e.ok("vm", "copy", "web-01", "--from", "a", "--to", "b", "--export", ids[0], "--settings", file, "-q")
	jobID := strings.TrimSpace(r.stdout)
	if !uuidRE.MatchString(jobID) {
		t.Fatalf("vm copy -q printed %q", r.stdout)
	}
	e.ok("job", "watch", jobID, "--host", "b", "-q")
	vms := e.ok("vm", "list", "-q", "--host", "b").stdout
	if !strings.Contains(vms, "web-01-kept\n") || !strings.Contains(vms, "web-01-from-file\n") {
		t.Errorf("b's VMs:\n%s", vms)
	}
	if got := exportIDs(t, e, "a"); len(got) != 1 || got[0] != ids[0] {
		t.Errorf("a's exports after copying an export given with --export: %v", got)
	}

	// Without --wait and without --keep-export: the destination removes
	// the source's export once it has it.
	r = e.ok("vm", "copy", "db-01", "--from", "a", "--to", "b")
	m := regexp.MustCompile(`(?m)^b\s+(\S+)\s+import\s+`).FindStringSubmatch(r.stdout)
	if m == nil || !strings.Contains(r.stderr, "hvport job watch "+m[1]+" --host b") {
		t.Fatalf("vm copy without --wait: %v", r)
	}
	e.ok("job", "watch", m[1], "--host", "b", "-q")
	if got := exportIDs(t, e, "a"); len(got) != 1 || got[0] != ids[0] {
		t.Errorf("a's exports after a copy of db-01: %v", got)
	}
	if !strings.Contains(e.ok("vm", "list", "-q", "--host", "b").stdout, "db-01-copy\n") {
		t.Error("b has no db-01-copy")
	}
}

// A copy whose import fails once b has the export: exit 1, the problem,
// where b keeps what it received, and that a's export is gone. A copy
// that fails before the transfer keeps a's export.
func TestVMCopyFailures(t *testing.T) {
	t.Parallel()
	e, a, b := twoHosts(t)

	outside := filepath.Join(e.dir, "not-an-import-root")
	r := e.fails(exitJob, "vm", "copy", "web-01", "--from", "a", "--to", "b", "--set", "targetVmDataRoot="+outside, "--wait", "--no-progress")
	contains(t, "a copy whose import fails", r.stderr, "hvport: the copy of web-01 to b failed: ",
		"b: the received export stays on this host at "+b.ExportRoot, "is no longer on a", "hvport import ", "--host b")
	received := exportIDs(t, e, "b")
	if len(received) != 1 {
		t.Fatalf("b's exports after the failed import: %v", received)
	}
	// What the message says imports it from there.
	contains(t, "a copy whose import fails", r.stderr, "hvport import "+received[0]+" --host b --set createCopy=true --set generateNewId=true")
	r = e.ok("import", received[0], "--host", "b", "--set", "createCopy=true", "--set", "generateNewId=true", "--set", "name=web-01-again", "--wait")
	contains(t, "the import of the received export", r.stdout, "imported web-01-again (")

	// Refused before any transfer (a reader may not import on b): the
	// export is kept on a, and the grant revoked.
	reader, err := b.Token("reader", "reader")
	if err != nil {
		t.Fatal(err)
	}
	e.ok("host", "add", "b-reader", b.URL, "--token", reader)
	r = e.fails(exitRefused, "vm", "copy", "db-01", "--from", "a", "--to", "b-reader", "--wait")
	ids := exportIDs(t, e, "a")
	if len(ids) != 1 {
		t.Fatalf("a's exports after a refused copy: %v\n%v", ids, r)
	}
	contains(t, "a refused copy", r.stderr, "hvport: 403", "export "+ids[0]+" is kept on a: copy again with --export "+ids[0])
	ca, err := client.New(a.URL, client.WithTokenFile(a.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	if gs, err := ca.ListGrants(context.Background(), ids[0]); err != nil || len(gs) != 0 {
		t.Errorf("the refused copy's grant is not revoked: %+v, %v", gs, err)
	}

	// Usage, and hosts or VMs that do not exist.
	e.fails(exitUsage, "vm", "copy", "web-01", "--to", "b")
	e.fails(exitUsage, "vm", "copy", "web-01", "--from", "a", "--to", "a")
	e.fails(exitUsage, "vm", "copy", "web-01", "--from", "a", "--to", "b", "--url", b.URL)
	e.fails(exitUsage, "vm", "copy", "web-01", "--from", "a", "--to", "b", "--set", "noSuchSetting=1")
	e.fails(exitUsage, "vm", "copy", "web-01", "--from", "a", "--to", "b", "--grant-expires", "48h")
	e.fails(exitUsage, "vm", "copy", "web-01", "--from", "a", "--to", "b", "--export", ids[0])
	e.fails(exitNotFound, "vm", "copy", "web-01", "--from", "a", "--to", "nope")
	e.fails(exitNotFound, "vm", "copy", "no-such-vm", "--from", "a", "--to", "b")
	if got := exportIDs(t, e, "a"); len(got) != 1 {
		t.Errorf("a's exports after the refused commands: %v", got)
	}
}
