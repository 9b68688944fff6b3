package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hvport/hvport/internal/testserver"
)

type vmJSON struct {
	Host  string `json:"host" yaml:"host"`
	Name  string `json:"name" yaml:"name"`
	ID    string `json:"id" yaml:"id"`
	State string `json:"state" yaml:"state"`
	Disks []any  `json:"disks" yaml:"disks"`
}

type jobJSON struct {
	Host   string `json:"host"`
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	State  string `json:"state"`
	VM     struct{ Name string }
	Source *struct{ Name string } `json:"source"`
	Result map[string]any         `json:"result"`
}

func TestVMs(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	e := forServer(t, srv)

	r := e.ok("vm", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !regexp.MustCompile(`^NAME\s+ID\s+STATE\s+GEN\s+DISKS\s+SIZE$`).MatchString(lines[0]) {
		t.Fatalf("vm list:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`(?m)^web-01\s+C0FFEE01-\S+\s+off\s+2\s+2\s+\d+\.\d MiB$`).MatchString(r.stdout) {
		t.Errorf("vm list has no web-01 row with generation, disks and size:\n%s", r.stdout)
	}
	vms := decodeJSON[[]vmJSON](t, e.ok("vm", "list", "-o", "json").stdout)
	if len(vms) != 3 || vms[0].Name == "" || vms[0].Host != "" {
		t.Errorf("vm list -o json = %+v", vms)
	}
	vms = decodeYAML[[]vmJSON](t, e.ok("vm", "list", "-o", "yaml").stdout)
	if len(vms) != 3 || len(vms[2].Disks) == 0 {
		t.Errorf("vm list -o yaml = %+v", vms)
	}
	if q := e.ok("vm", "list", "-q").stdout; q != "build-agent\ndb-01\nweb-01\n" {
		t.Errorf("vm list -q = %q", q)
	}

	r = e.ok("vm", "show", "web-01")
	contains(t, "vm show", r.stdout, "Name:", "web-01", "Generation:", "Before update", "After update", "CHECKPOINT", "DISK", "External")
	vm := decodeJSON[vmJSON](t, e.ok("vm", "show", "web-01", "-o", "json").stdout)
	if vm.Name != "web-01" || len(vm.Disks) != 2 {
		t.Errorf("vm show -o json = %+v", vm)
	}
	r = e.fails(exitNotFound, "vm", "show", "no-such-vm")
	contains(t, "not found", r.stderr, "hvport: 404 Not found", `no VM with id or name "no-such-vm"`)

	// The VM names come from the server in shell completion.
	r = e.ok("__complete", "vm", "show", "")
	contains(t, "completion of vm show", r.stdout, "web-01", "db-01", "build-agent")
	r = e.ok("__complete", "export", "settings", "we")
	contains(t, "completion of export settings", r.stdout, "web-01")
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if r := e.ok("completion", shell); !strings.Contains(r.stdout, "hvport") {
			t.Errorf("completion %s: %v", shell, r)
		}
	}
}

// The walkthrough with hvport: export settings, an edited export that
// is waited for, the exports, verify, the import settings with their
// fixes, an import with --apply-fixes, the jobs, delete.
func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	e := forServer(t, srv)

	r := e.ok("export", "settings", "web-01")
	settings := decodeJSON[map[string]any](t, r.stdout)
	if settings["copySnapshotConfiguration"] != "exportAllSnapshots" {
		t.Fatalf("export settings = %v", settings)
	}
	contains(t, "export settings -o yaml", e.ok("export", "settings", "web-01", "-o", "yaml").stdout, "copySnapshotConfiguration: exportAllSnapshots\n")
	contains(t, "export settings -o table", e.ok("export", "settings", "web-01", "-o", "table").stdout, "SETTING", "snapshotVirtualSystem")
	// Edit them in a file, and one more with --set.
	settings["copySnapshotConfiguration"] = "exportNoSnapshots"
	file := filepath.Join(e.dir, "web-01.json")
	writeJSON(t, file, settings)
	dir := filepath.Join(srv.ExportRoot, "web-01")
	r = e.ok("export", "web-01", "--to", dir, "--settings", file, "--set", "copyVmRuntimeInformation=false", "--wait")
	m := regexp.MustCompile(`^exported web-01 to (\S+): \d+ files, [\d.]+ \S+ \(export (\S+)\)\n$`).FindStringSubmatch(r.stdout)
	if m == nil || m[1] != dir {
		t.Fatalf("export --wait: %v", r)
	}
	exportID := m[2]
	checkPhaseLines(t, r.stderr, "export web-01 [")

	// The export is published with the edited settings.
	r = e.ok("exports", "list")
	contains(t, "exports list", r.stdout, exportID, dir)
	x := decodeJSON[map[string]any](t, e.ok("exports", "show", exportID, "-o", "json").stdout)
	if s, _ := x["settings"].(map[string]any); s["copySnapshotConfiguration"] != "exportNoSnapshots" || s["copyVmRuntimeInformation"] != false {
		t.Errorf("the export's settings = %v", x["settings"])
	}
	contains(t, "exports show", e.ok("exports", "show", exportID).stdout, "FILE", "SHA-256", "Virtual Hard Disks/web-01.vhdx")
	r = e.ok("exports", "verify", exportID, "--wait")
	contains(t, "exports verify", r.stdout, "export "+exportID+" is intact")

	// Overwriting is refused without --overwrite (409 → 4).
	r = e.fails(exitRefused, "export", "web-01", "--to", dir)
	contains(t, "export over an export", r.stderr, "hvport: 409")

	// The import settings, with the incompatibility and its fix.
	r = e.ok("import", "settings", dir)
	contains(t, "import settings", r.stdout, "SETTING", "generateNewId", "Incompatibilities (1):", "already registered",
		"--set createCopy=true --set generateNewId=true", "--apply-fixes")
	rep := decodeJSON[map[string]any](t, e.ok("import", "settings", exportID, "-o", "json").stdout)
	if incs, _ := rep["incompatibilities"].([]any); len(incs) != 1 {
		t.Errorf("import settings -o json: incompatibilities = %v", rep["incompatibilities"])
	}
	// Without the fix the server refuses the import (409), with the fix
	// in the problem; --apply-fixes makes it a copy.
	r = e.fails(exitRefused, "import", dir, "--wait")
	contains(t, "import without the fix", r.stderr, "hvport: 409 Conflict\n", "already registered", "fix: ")
	r = e.ok("import", dir, "--apply-fixes", "--set", "name=web-01-copy", "--wait")
	contains(t, "import --apply-fixes", r.stderr, "applying fix: import with a new id")
	contains(t, "import --apply-fixes", r.stdout, "imported web-01-copy (", "by copy")
	checkPhaseLines(t, r.stderr, "import web-01 [")
	contains(t, "vm list after the import", e.ok("vm", "list").stdout, "web-01-copy")

	// The jobs, filtered on this side.
	jobs := decodeJSON[[]jobJSON](t, e.ok("job", "list", "-o", "json").stdout)
	if len(jobs) != 3 || jobs[0].Kind != "import" || jobs[2].Kind != "export" {
		t.Fatalf("job list: %+v", jobs)
	}
	if jobs[2].Result != nil || jobs[2].Source != nil { // summaries; job show has the whole job
		t.Errorf("job list -o json: export %+v", jobs[2])
	}
	imports := decodeJSON[[]jobJSON](t, e.ok("job", "list", "--kind", "import", "-o", "json").stdout)
	failed := decodeJSON[[]jobJSON](t, e.ok("job", "list", "--state", "failed", "-o", "json").stdout)
	if len(imports) != 1 || imports[0].VM.Name != "web-01-copy" || imports[0].Source == nil || imports[0].Source.Name != "web-01" || len(failed) != 0 {
		t.Errorf("job list --kind import = %+v, --state failed = %+v", imports, failed)
	}
	r = e.ok("job", "list", "--state", "completed")
	if n := strings.Count(r.stdout, "completed  100%"); n != 3 || !strings.HasPrefix(r.stdout, "ID ") {
		t.Errorf("job list --state completed:\n%s", r.stdout)
	}
	e.fails(exitUsage, "job", "list", "--state", "done")
	r = e.ok("job", "show", jobs[0].ID)
	contains(t, "job show", r.stdout, "Kind:", "import", "State:", "completed", "imported web-01-copy", "VM:", "web-01-copy (",
		"Source:", "web-01 (")
	contains(t, "job list", e.ok("job", "list", "--kind", "import").stdout, "web-01 → web-01-copy")
	if !regexp.MustCompile(`Hyper-V job:\s+[0-9A-Fa-f-]{36}\n`).MatchString(e.ok("job", "show", jobs[2].ID).stdout) {
		t.Errorf("job show of an export does not name its Hyper-V job by id")
	}
	contains(t, "job show -o yaml", e.ok("job", "show", jobs[2].ID, "-o", "yaml").stdout, "kind: export\n", "state: completed\n")
	e.fails(exitNotFound, "job", "show", "00000000-0000-4000-8000-000000000000")
	// Watching a finished job reports it at once.
	r = e.ok("job", "watch", jobs[0].ID, "-o", "json")
	if j := decodeJSON[jobJSON](t, r.stdout); j.State != "completed" {
		t.Errorf("job watch -o json = %+v", j)
	}
	// Cancelling a finished job is refused.
	r = e.fails(exitRefused, "job", "cancel", jobs[0].ID)
	contains(t, "cancel of a finished job", r.stderr, "hvport: 409")

	// A damaged export: verify finds it, exit 1.
	vhd := filepath.Join(dir, "Virtual Hard Disks", "web-01.vhdx")
	if err := os.WriteFile(vhd, []byte("not a disk any more"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = e.fails(exitJob, "exports", "verify", exportID, "--wait")
	contains(t, "verify of a damaged export", r.stdout, "is DAMAGED", "web-01.vhdx")

	// Delete the export.
	r = e.ok("exports", "delete", exportID)
	contains(t, "exports delete", r.stdout, "deleted export "+exportID)
	e.fails(exitNotFound, "exports", "show", exportID)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the deleted export's directory: %v", err)
	}
}

// checkPhaseLines: without a terminal, progress is one line per phase
// change of the job, then a final line.
func checkPhaseLines(t *testing.T, stderr, label string) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, label) {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 || !regexp.MustCompile(`: completed 100% in \S+$`).MatchString(lines[len(lines)-1]) {
		t.Fatalf("progress lines:\n%s", stderr)
	}
	phase := regexp.MustCompile(`\]: (\S+) \d+%`)
	last := ""
	for _, l := range lines[:len(lines)-1] {
		m := phase.FindStringSubmatch(l)
		if m == nil || m[1] == last {
			t.Fatalf("not one line per phase change:\n%s", stderr)
		}
		last = m[1]
	}
	if strings.ContainsAny(stderr, "\r\x1b") {
		t.Errorf("terminal control characters without a terminal: %q", stderr)
	}
}

// Cancel a running export (the simulator copies slowly here), watch the
// cancelled job, and export two VMs at once.
func TestJobCancelAndWatch(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{CopyBytesPerSecond: 1 << 20})
	e := forServer(t, srv)

	dir := filepath.Join(srv.ExportRoot, "db-01")
	r := e.ok("export", "db-01", "--to", dir, "-q")
	id := strings.TrimSpace(r.stdout)
	if !uuidRE.MatchString(id) {
		t.Fatalf("export -q printed %q", r.stdout)
	}
	r = e.ok("job", "cancel", id, "--wait")
	if r.stdout != "export db-01 ["+id[:8]+"]: cancelled\n" {
		t.Fatalf("job cancel --wait: %v", r)
	}
	r = e.fails(exitJob, "job", "watch", id)
	contains(t, "job watch of a cancelled job", r.stderr, "export db-01 ["+id[:8]+"] cancelled: ")
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a cancelled export left %s: %v", dir, err)
	}
	jobs := decodeJSON[[]jobJSON](t, e.ok("job", "list", "--state", "cancelled", "-o", "json").stdout)
	if len(jobs) != 1 || jobs[0].ID != id {
		t.Errorf("job list --state cancelled = %+v", jobs)
	}
	contains(t, "job show of a cancelled job", e.ok("job", "show", id).stdout, "State:", "cancelled", "hvport: ")
}

func TestExitCodesAndErrors(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	e := forServer(t, srv)

	// Usage: one message, exit 2, nothing on stdout.
	for _, args := range [][]string{{"frobnicate"}, {"vm", "frobnicate"}, {"vm", "list", "--bogus"}, {"vm", "show"},
		{"vm", "list", "-o", "xml"}, {"export", "web-01"}, {"export", "web-01", "--to", "x", "--set", "copyVmStorage=maybe"},
		{"export", "web-01", "--to", "x", "--set", "noSuchSetting=1"}, {"import", "x", "--settings", "/no/such/file"}} {
		r := e.fails(exitUsage, args...)
		if r.stdout != "" || !strings.HasPrefix(r.stderr, "hvport: ") || strings.Count(r.stderr, "hvport: ") != 1 {
			t.Errorf("hvport %s: %v", strings.Join(args, " "), r)
		}
	}
	contains(t, "unknown command", e.fails(exitUsage, "frobnicate").stderr, `unknown command "frobnicate" for "hvport"`)
	contains(t, "unknown setting", e.fails(exitUsage, "export", "web-01", "--to", "x", "--set", "noSuchSetting=1").stderr,
		`unknown field "noSuchSetting"`, "copySnapshotConfiguration")

	// Refused: a 422 with its field error in one block.
	r := e.fails(exitRefused, "export", "web-01", "--to", filepath.Join(srv.ExportRoot, "w"), "--set", "copySnapshotConfiguration=all")
	want := "hvport: 422 Invalid request\n  invalid export settings\n  settings.copySnapshotConfiguration: unknown value \"all\" (allowed: exportAllSnapshots, exportNoSnapshots, exportOneSnapshot, exportOneSnapshotForBackup)\n"
	if r.stderr != want {
		t.Errorf("422: got\n%s\nwant\n%s", r.stderr, want)
	}
	// Refused: a path outside the export roots (403).
	contains(t, "403", e.fails(exitRefused, "export", "web-01", "--to", filepath.Join(e.dir, "elsewhere")).stderr, "hvport: 403")
	// Refused: a reader may not start an export (403), a wrong token is 401.
	reader, err := srv.Token("ci-reader", "reader")
	if err != nil {
		t.Fatal(err)
	}
	er := newEnv(t, "HVPORT_URL", srv.URL, "HVPORT_TOKEN", reader)
	er.ok("vm", "list")
	contains(t, "reader exporting", er.fails(exitRefused, "export", "web-01", "--to", filepath.Join(srv.ExportRoot, "r")).stderr, "hvport: 403")
	r = newEnv(t, "HVPORT_URL", srv.URL, "HVPORT_TOKEN", "hvp_nope_nope").fails(exitRefused, "vm", "list")
	contains(t, "401", r.stderr, "hvport: 401", "check the token")
	// The --token flag wins over the environment.
	er.fails(exitRefused, "vm", "list", "--token", "hvp_nope_nope")
	// Not found.
	e.fails(exitNotFound, "exports", "verify", "00000000-0000-4000-8000-000000000000")
	// Server down: exit 5.
	r = newEnv(t, "HVPORT_URL", downURL(t), "HVPORT_TOKEN", reader).fails(exitServer, "vm", "list")
	contains(t, "server down", r.stderr, "hvport: ", "connection refused")
}

// Saved hosts: add, list, use, --host, HVPORT_HOST, and the fleet.
func TestHostsAndFleet(t *testing.T) {
	t.Parallel()
	a := startServer(t, testserver.Options{})
	b := startServer(t, testserver.Options{})
	e := newEnv(t)
	bToken, err := os.ReadFile(b.TokenFile)
	if err != nil {
		t.Fatal(err)
	}

	e.ok("host", "add", "a", a.URL, "--token-file", a.TokenFile)
	r := e.ok("host", "add", "b", b.URL, "--token", strings.TrimSpace(string(bToken)))
	contains(t, "host add --token", r.stderr, "stored in clear")
	e.ok("host", "add", "down", downURL(t), "--token", "hvp_x_y", "--fingerprint", "sha256:"+strings.Repeat("ab", 32))
	cfgFile := filepath.Join(e.dir, "xdg", "hvport", "config.yaml")
	st, err := os.Stat(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v", st.Mode().Perm())
	}
	cfg, _ := os.ReadFile(cfgFile)
	aToken, _ := os.ReadFile(a.TokenFile)
	if strings.Contains(string(cfg), strings.TrimSpace(string(aToken))) || !strings.Contains(string(cfg), "token-file: "+a.TokenFile) {
		t.Errorf("host a's token is in the config, or its file is not:\n%s", cfg)
	}
	r = e.ok("host", "list")
	if !regexp.MustCompile(`(?m)^\*\s+a\s+`+regexp.QuoteMeta(a.URL)).MatchString(r.stdout) || !strings.Contains(r.stdout, "token (in config)") {
		t.Errorf("host list:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, strings.TrimSpace(string(bToken))) {
		t.Errorf("host list shows a token:\n%s", r.stdout)
	}
	hosts := decodeJSON[[]map[string]any](t, e.ok("host", "list", "-o", "json").stdout)
	if len(hosts) != 3 || hosts[0]["current"] != true || hosts[1]["tokenStored"] != true {
		t.Errorf("host list -o json = %v", hosts)
	}

	// The current host is a; export on it, then b is used with --host,
	// HVPORT_HOST and host use.
	e.ok("export", "web-01", "--to", filepath.Join(a.ExportRoot, "web-01"), "--wait", "-q")
	jobsOf := func(args ...string) int {
		return len(decodeJSON[[]jobJSON](t, e.ok(append([]string{"job", "list", "-o", "json"}, args...)...).stdout))
	}
	if n, nb := jobsOf(), jobsOf("--host", "b"); n != 1 || nb != 0 {
		t.Errorf("jobs on a: %d, on b: %d", n, nb)
	}
	e.vars["HVPORT_HOST"] = "b"
	if n := jobsOf(); n != 0 {
		t.Errorf("HVPORT_HOST=b: %d jobs", n)
	}
	delete(e.vars, "HVPORT_HOST")
	e.ok("host", "use", "b")
	if n := jobsOf(); n != 0 {
		t.Errorf("after host use b: %d jobs", n)
	}
	e.fails(exitNotFound, "host", "use", "nope")
	e.fails(exitNotFound, "vm", "list", "--host", "nope")
	// The URL flag needs no saved host.
	if n := jobsOf("--url", a.URL, "--token-file", a.TokenFile); n != 1 {
		t.Errorf("--url a: %d jobs", n)
	}

	// The fleet: both servers' VMs with a HOST column; the host that is
	// down is reported on stderr, not fatal.
	r = e.ok("vm", "list", "--all-hosts")
	if !regexp.MustCompile(`^HOST\s+NAME\s+ID\s+STATE\s+GEN\s+DISKS\s+SIZE\n`).MatchString(r.stdout) ||
		len(regexp.MustCompile(`(?m)^a\s+`).FindAllString(r.stdout, -1)) != 3 || len(regexp.MustCompile(`(?m)^b\s+`).FindAllString(r.stdout, -1)) != 3 {
		t.Errorf("vm list --all-hosts: %v", r)
	}
	contains(t, "vm list --all-hosts", r.stderr, "hvport: host down (")
	vms := decodeJSON[[]vmJSON](t, e.ok("vm", "list", "--all-hosts", "-o", "json").stdout)
	if len(vms) != 6 || vms[0].Host != "a" || vms[5].Host != "b" {
		t.Errorf("vm list --all-hosts -o json = %+v", vms)
	}
	jobs := decodeJSON[[]jobJSON](t, e.ok("job", "list", "--all-hosts", "-o", "json").stdout)
	if len(jobs) != 1 || jobs[0].Host != "a" {
		t.Errorf("job list --all-hosts = %+v", jobs)
	}
	contains(t, "job list --all-hosts", e.ok("job", "list", "--all-hosts").stdout, "HOST")
	e.fails(exitUsage, "vm", "list", "--all-hosts", "--host", "a")

	// Only the host that is down left: exit 5.
	e.ok("host", "remove", "a")
	e.ok("host", "remove", "b")
	r = e.fails(exitServer, "vm", "list", "--all-hosts")
	contains(t, "all hosts down", r.stderr, "hvport: host down (")
}

// On the server's own machine hvport needs no configuration: it finds
// ./hvport-data/admin.token (and http://127.0.0.1:8080, checked in
// TestResolveDefaults).
func TestLocalAdminToken(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	e := newEnv(t, "HVPORT_URL", srv.URL)
	e.fails(exitRefused, "vm", "list") // no token yet: 401
	tok, err := os.ReadFile(srv.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(e.dir, "hvport-data"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "hvport-data", "admin.token"), tok, 0o600); err != nil {
		t.Fatal(err)
	}
	contains(t, "vm list with the local token", e.ok("vm", "list").stdout, "web-01")
	// A relative export directory is taken from the working directory
	// when the server is on this machine.
	rel, err := filepath.Rel(e.dir, filepath.Join(srv.ExportRoot, "rel"))
	if err != nil {
		t.Fatal(err)
	}
	r := e.ok("export", "db-01", "--to", rel, "--wait", "--no-progress")
	contains(t, "export to a relative directory", r.stdout, "to "+filepath.Join(srv.ExportRoot, "rel")+":")
	if r.stderr != "" {
		t.Errorf("--no-progress printed %q", r.stderr)
	}
}
