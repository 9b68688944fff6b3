package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The request corpus of issue #9: every case that once escaped the roots
// is refused with the stated code, and nothing appears on disk outside the
// roots. A sentinel directory outside every root is snapshotted around the
// whole corpus.
func TestPathCorpusIsRefusedAndLeavesNothingOutsideTheRoots(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := exportVM(t, e, "web-01", "web")
	r := e.importSettings(dir)
	n := len(r.Settings.CurrentResourcePaths)

	outside := t.TempDir() // outside every root
	secret := filepath.Join(outside, "passwd")
	os.WriteFile(secret, []byte("root:x:0:0:root:/root:/bin/bash\n"), 0o644)
	before := tree(t, outside)

	sources := func(first string) []any {
		s := make([]any, n)
		s[0] = first
		return s
	}
	body := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	copyTo := func(settings map[string]any) string {
		settings["createCopy"], settings["generateNewId"] = true, true
		return body(map[string]any{"directory": dir, "settings": settings})
	}
	inRoot := filepath.Join(e.root, "..", "in-root")
	os.MkdirAll(inRoot, 0o755)
	notADisk := filepath.Join(inRoot, "passwd.vhdx")
	os.WriteFile(notADisk, []byte("root:x:0:0:root:/root:/bin/bash\n"), 0o644)
	hardLink := filepath.Join(inRoot, "linked.vhdx")
	disk, err := os.ReadFile(r.Settings.SourceResourcePaths[0])
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(inRoot, "orig.vhdx"), disk, 0o644)
	if err := os.Link(filepath.Join(inRoot, "orig.vhdx"), hardLink); err != nil {
		t.Fatal(err)
	}
	existingTarget := filepath.Join(inRoot, "exists.vhdx")
	os.WriteFile(existingTarget, nil, 0o644)
	dangling := filepath.Join(e.root, "dangling")
	os.Symlink(filepath.Join(outside, "gone"), dangling)

	cases := []struct {
		name, method, path, body string
		status                   int
		kind, field              string
	}{
		{"copy /etc/passwd as a disk", "POST", "/v1/imports", copyTo(map[string]any{"sourceResourcePaths": sources("/etc/passwd"), "targetVhdDataRoot": outside}), 403, "path-forbidden", "settings.targetVhdDataRoot"},
		{"copy a file outside the roots", "POST", "/v1/imports", copyTo(map[string]any{"sourceResourcePaths": sources(secret)}), 403, "path-forbidden", "settings.sourceResourcePaths[0]"},
		{"copy into a folder outside the roots", "POST", "/v1/imports", copyTo(map[string]any{"targetVhdDataRoot": outside}), 403, "path-forbidden", "settings.targetVhdDataRoot"},
		{"VM data outside the roots", "POST", "/v1/imports", copyTo(map[string]any{"targetVmDataRoot": outside}), 403, "path-forbidden", "settings.targetVmDataRoot"},
		{"checkpoints outside the roots", "POST", "/v1/imports", copyTo(map[string]any{"targetSnapshotDataRoot": outside}), 403, "path-forbidden", "settings.targetSnapshotDataRoot"},
		{"one target outside the roots", "POST", "/v1/imports", copyTo(map[string]any{"targetResourcePaths": sources(filepath.Join(outside, "x.vhdx"))}), 403, "path-forbidden", "settings.targetResourcePaths[0]"},
		{"an existing target outside the roots is no oracle", "POST", "/v1/imports", copyTo(map[string]any{"targetResourcePaths": sources(secret)}), 403, "path-forbidden", "settings.targetResourcePaths[0]"},
		{"an existing target inside a root is a conflict", "POST", "/v1/imports", copyTo(map[string]any{"targetResourcePaths": sources(existingTarget)}), 409, "conflict", ""},
		{"a source that is not a disk image", "POST", "/v1/imports", copyTo(map[string]any{"sourceResourcePaths": sources(notADisk)}), 422, "invalid", "settings.sourceResourcePaths[0]"},
		{"a hard-linked source", "POST", "/v1/imports", copyTo(map[string]any{"sourceResourcePaths": sources(hardLink)}), 403, "path-forbidden", "settings.sourceResourcePaths[0]"},
		{"a target with ..", "POST", "/v1/imports", copyTo(map[string]any{"targetVhdDataRoot": e.root + "/../../x"}), 403, "path-forbidden", "settings.targetVhdDataRoot"},
		{"register a directory outside the roots", "POST", "/v1/imports", body(map[string]any{"directory": "/etc"}), 403, "path-forbidden", "directory"},
		{"import settings of /etc", "GET", "/v1/import-settings?directory=/etc", "", 403, "path-forbidden", "directory"},
		{"import settings of a missing path outside", "GET", "/v1/import-settings?directory=" + url.QueryEscape(filepath.Join(outside, "nope")), "", 403, "path-forbidden", "directory"},
		{"import settings through a dangling link", "GET", "/v1/import-settings?directory=" + url.QueryEscape(dangling), "", 403, "path-forbidden", "directory"},
		{"export into the root itself", "POST", "/v1/vms/db-01/exports", body(map[string]any{"directory": e.root}), 422, "invalid", "directory"},
		{"export through a dangling link", "POST", "/v1/vms/db-01/exports", body(map[string]any{"directory": dangling}), 403, "path-forbidden", "directory"},
		{"export outside the roots", "POST", "/v1/vms/db-01/exports", body(map[string]any{"directory": outside}), 403, "path-forbidden", "directory"},
		{"export to a device name", "POST", "/v1/vms/db-01/exports", body(map[string]any{"directory": filepath.Join(e.root, "CON")}), 403, "path-forbidden", "directory"},
		{"export to a stream", "POST", "/v1/vms/db-01/exports", body(map[string]any{"directory": filepath.Join(e.root, "x:stream")}), 403, "path-forbidden", "directory"},
	}
	var etcBody, missingBody []byte
	for _, c := range cases {
		ct := ""
		if c.body != "" {
			ct = "application/json"
		}
		status, h, b := e.do(c.method, c.path, ct, c.body)
		p := problem(t, h, b)
		if status != c.status || p["type"] != "urn:hvport:problem:"+c.kind {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, b, c.status, c.kind)
			continue
		}
		if c.field != "" {
			errs, _ := p["errors"].([]any)
			if len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
				t.Errorf("%s: the problem does not name %s: %s", c.name, c.field, b)
			}
		}
		if status == 403 && bytes.Contains(b, []byte(outside)) {
			t.Errorf("%s: the refusal repeats the refused path: %s", c.name, b)
		}
		switch c.name {
		case "import settings of /etc":
			etcBody = b
		case "import settings of a missing path outside":
			missingBody = b
		}
	}
	if !bytes.Equal(etcBody, missingBody) {
		t.Errorf("an existing and a missing directory outside the roots answer differently:\n%s\n%s", etcBody, missingBody)
	}
	if after := tree(t, outside); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("the corpus changed a directory outside the roots:\nbefore %v\nafter  %v", before, after)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(e.root), ".hvport-*")); len(left) > 0 {
		t.Fatalf("staging outside the export root: %v", left)
	}
	var jobs struct{ Items []struct{ Kind string } }
	e.getJSON("/v1/jobs", 200, &jobs)
	for _, j := range jobs.Items {
		if j.Kind == "import" {
			t.Fatalf("a refused import started a job")
		}
	}
}

// An export directory that holds a link (here a disk that points outside
// the roots) is refused as a whole before Hyper-V reads it.
func TestImportOfAnExportHoldingALinkIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	dir := exportVM(t, e, "db-01", "db")
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "host.vhdx"), []byte("x"), 0o644)
	if err := os.Symlink(filepath.Join(outside, "host.vhdx"), filepath.Join(dir, "Virtual Hard Disks", "extra.vhdx")); err != nil {
		t.Fatal(err)
	}
	status, h, b := e.do("GET", "/v1/import-settings?directory="+url.QueryEscape(dir), "", "")
	if status != 403 || problem(t, h, b)["type"] != "urn:hvport:problem:path-forbidden" || !strings.Contains(string(b), "extra.vhdx") {
		t.Fatalf("an export with a link = %d %s", status, b)
	}
	if n := e.plannedVMs(); n != 0 {
		t.Fatalf("%d planned VMs left", n)
	}
}
