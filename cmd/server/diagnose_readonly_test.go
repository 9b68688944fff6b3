package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/internal/dirlock"
)

// fileState is what diagnose must leave as it is.
type fileState struct {
	Mode    fs.FileMode
	Size    int64 // files only
	ModTime time.Time
}

// tree records every name under root (root included) with its mode, size
// and modification time; nil when root does not exist.
func tree(t *testing.T, root string) map[string]fileState {
	t.Helper()
	if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	out := map[string]fileState{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fileState{Mode: fi.Mode(), ModTime: fi.ModTime()}
		if !fi.IsDir() {
			st.Size = fi.Size()
		}
		rel, _ := filepath.Rel(root, path)
		out[filepath.ToSlash(rel)] = st
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameTree reports the differences between two trees.
func sameTree(t *testing.T, before, after map[string]fileState) {
	t.Helper()
	if before == nil || after == nil {
		if (before == nil) != (after == nil) {
			t.Errorf("the data directory existed before: %v, after: %v", before != nil, after != nil)
		}
		return
	}
	for _, name := range slices.Sorted(maps.Keys(after)) {
		b, ok := before[name]
		switch {
		case !ok:
			t.Errorf("diagnose created %s", name)
		case b != after[name]:
			t.Errorf("diagnose changed %s: %+v → %+v", name, b, after[name])
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			t.Errorf("diagnose removed %s", name)
		}
	}
}

// diagnoseUnchanged runs diagnose on data, as text and as JSON, and checks
// that the data directory and the temporary directory are as they were.
func diagnoseUnchanged(t *testing.T, data string) diagnoseReport {
	t.Helper()
	// Its own temporary directory, to see that diagnose leaves nothing
	// there either.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("TMP", tmp)
	before := tree(t, data)
	parent := tree(t, filepath.Dir(data))

	code, out, errOut := runDiagnoseForTest(t, "--backend", "sim", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "PASS  vms") || !strings.Contains(out, "data directory "+data) {
		t.Errorf("diagnose: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runDiagnoseForTest(t, "--backend", "sim", "--data-dir", data, "--json")
	var rep diagnoseReport
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
		t.Errorf("diagnose --json: exit %d, %v\n%s%s", code, err, out, errOut)
	}

	sameTree(t, before, tree(t, data))
	sameTree(t, parent, tree(t, filepath.Dir(data)))
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("diagnose left %d entries in the temporary directory (%s …)", len(left), left[0].Name())
	}
	return rep
}

// TestDiagnoseMissingDataDir: on a data directory that does not exist yet,
// diagnose checks a temporary simulated host seeded as the server would
// seed one, says what the server would create, and creates nothing.
func TestDiagnoseMissingDataDir(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	rep := diagnoseUnchanged(t, data)
	if _, err := os.Lstat(data); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("diagnose created the data directory: %v", err)
	}
	d := rep.DataDir
	if d.Path != data || d.Exists || d.Problem != "" {
		t.Errorf("data directory report %+v", d)
	}
	names := map[string]bool{}
	for _, e := range d.Entries {
		names[e.Name] = true
		if e.Found {
			t.Errorf("%s found in a missing directory", e.Name)
		}
	}
	for _, want := range []string{dirlock.FileName, auth.StoreFile, auth.AdminTokenFile, "audit.log", "jobs/", "exports/", "sim/"} {
		if !names[want] {
			t.Errorf("the report does not say the server would create %s: %+v", want, d.Entries)
		}
	}
	if !strings.Contains(rep.Checks[0].Detail, "no simulated Hyper-V host in "+filepath.Join(data, "sim")+" yet") {
		t.Errorf("backend check: %s", rep.Checks[0].Detail)
	}
}

// TestDiagnoseExistingDataDir: on the data directory of a server that was
// stopped during an export (token store, audit log, job records, the
// simulated host with the export job its VMMS recorded as running, a
// staging directory), diagnose reads and changes nothing: not a byte, not
// a modification time.
func TestDiagnoseExistingDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server with a slow export")
	}
	data := filepath.Join(t.TempDir(), "data")
	s := startSlowServer(t, data)
	_, _, stream := exportRunning(t, s, s.client(t, data), data, "")
	stream.Close()
	s.shutdown(t)

	rep := diagnoseUnchanged(t, data)
	d := rep.DataDir
	if d.Path != data || !d.Exists || d.Problem != "" {
		t.Errorf("data directory report %+v", d)
	}
	for _, e := range d.Entries {
		if !e.Found {
			t.Errorf("%s not found in the server's data directory", e.Name)
		}
	}
	if !strings.Contains(rep.Checks[0].Detail, "read from a temporary copy") {
		t.Errorf("backend check: %s", rep.Checks[0].Detail)
	}
}
