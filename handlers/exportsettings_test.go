package handlers_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/api"
	"github.com/hvport/hvport/vhdx"
)

func TestV2ExportFieldsDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var s api.ExportSettings
	e.getJSON("/v1/vms/web-01/export-settings", http.StatusOK, &s)
	if s.BackupIntent == nil || *s.BackupIntent != "preserveChain" || s.ExcludedVirtualHardDisks == nil || len(s.ExcludedVirtualHardDisks) != 0 ||
		s.ExportForLiveMigration == nil || *s.ExportForLiveMigration || s.DisableDifferentialOfIgnoredStorage == nil || s.DifferentialBackupBase != nil {
		t.Fatalf("v2 defaults = %+v", s)
	}
}

func TestV2ExportFieldValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var vm api.VMDetail
	e.getJSON("/v1/vms/web-01", 200, &vm)
	dir := filepath.Join(e.root, "x")
	cases := []struct {
		name, settings, mention string
	}{
		{"excluded with all snapshots", fmt.Sprintf(`{"excludedVirtualHardDisks": [%q]}`, vm.Disks[0].ID), "exportAllSnapshots"},
		{"excluded unknown disk", `{"copySnapshotConfiguration": "exportNoSnapshots", "excludedVirtualHardDisks": ["nope"]}`, "settings.excludedVirtualHardDisks[0]"},
		{"differential base without backup mode", fmt.Sprintf(`{"differentialBackupBase": %q}`, vm.Snapshots[0].ID), "exportOneSnapshotForBackup"},
		{"differential base not a checkpoint", fmt.Sprintf(`{"copySnapshotConfiguration": "exportOneSnapshotForBackup", "snapshotVirtualSystem": %q, "differentialBackupBase": "x"}`, vm.Snapshots[1].ID), vm.Snapshots[0].ID},
		{"bad backup intent", `{"backupIntent": "keep"}`, "preserveChain"},
		{"excluded not an array", `{"excludedVirtualHardDisks": "a"}`, "settings.excludedVirtualHardDisks"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := e.do("POST", "/v1/vms/web-01/exports", "application/json", fmt.Sprintf(`{"directory": %q, "settings": %s}`, dir, c.settings))
			if status != 422 || problem(t, h, body)["type"] != "urn:hvport:problem:invalid" || !strings.Contains(string(body), c.mention) {
				t.Fatalf("%d %s (want a 422 mentioning %q)", status, body, c.mention)
			}
		})
	}
}

func TestExcludedDiskIsNotExported(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var vm api.VMDetail
	e.getJSON("/v1/vms/web-01", 200, &vm)
	excluded := vm.Disks[1]
	dir := filepath.Join(e.root, "partial")
	j := finalJob(e, e.startExport("web-01", fmt.Sprintf(`{"directory": %q, "settings": {"copySnapshotConfiguration": "exportNoSnapshots", "excludedVirtualHardDisks": [%q]}}`, dir, excluded.ID)).ID)
	exportResult(t, j)
	files := tree(t, filepath.Join(dir, "Virtual Hard Disks"))
	for name := range files {
		if name != "./" && strings.EqualFold(name, filepath.Base(excluded.Path)) {
			t.Fatalf("excluded disk %s was exported: %v", excluded.Path, keys(files))
		}
	}
	if len(files) < 2 {
		t.Fatalf("the other disk is missing: %v", keys(files))
	}
}

func TestExportOneSnapshotForBackupUsesVMID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var vm api.VMDetail
	e.getJSON("/v1/vms/web-01", 200, &vm)
	dir := filepath.Join(e.root, "backup")
	j := finalJob(e, e.startExport("web-01", fmt.Sprintf(
		`{"directory": %q, "settings": {"copySnapshotConfiguration": "exportOneSnapshotForBackup", "snapshotVirtualSystem": %q, "backupIntent": "merge", "differentialBackupBase": %q}}`,
		dir, vm.Snapshots[1].ID, vm.Snapshots[0].ID)).ID)
	exportResult(t, j)
	if _, ok := tree(t, dir)["Virtual Machines/"+vm.ID+".vmcx"]; !ok {
		t.Fatalf("backup export is not under the VM's id: %v", keys(tree(t, dir)))
	}
	settings := fmt.Sprint(j.Settings)
	if !strings.Contains(settings, "backupIntent:merge") || !strings.Contains(settings, "differentialBackupBase:"+vm.Snapshots[0].ID) {
		t.Fatalf("job settings = %s", settings)
	}
}

// Exporting one checkpoint merges its disk chain into one VHDX per disk
// (docs/HYPERV.md#v2-export-settings), whose content is the checkpoint's.
func TestExportOneSnapshotMergesTheChain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var vm api.VMDetail
	e.getJSON("/v1/vms/web-01", 200, &vm)
	dir := filepath.Join(e.root, "one")
	exportResult(t, finalJob(e, e.startExport("web-01", fmt.Sprintf(`{"directory": %q, "settings": {"copySnapshotConfiguration": "exportOneSnapshot", "snapshotVirtualSystem": %q}}`,
		dir, vm.Snapshots[0].ID)).ID))
	var merged []string
	for name := range tree(t, filepath.Join(dir, "Virtual Hard Disks")) {
		switch {
		case strings.HasSuffix(name, ".avhdx"):
			t.Errorf("a differencing disk was exported: %s", name)
		case strings.HasSuffix(name, ".vhdx"):
			merged = append(merged, name)
		}
	}
	if len(merged) != len(vm.Disks) {
		t.Fatalf("merged disks %v, want one per disk (%d)", merged, len(vm.Disks))
	}
	for _, m := range merged {
		d, err := vhdx.Open(filepath.Join(dir, "Virtual Hard Disks", m), nil)
		if err != nil {
			t.Fatal(err)
		}
		if d.Info().IsDifferencing {
			t.Errorf("%s is still differencing", m)
		}
		d.Close()
	}
}
