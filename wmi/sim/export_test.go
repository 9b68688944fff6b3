package sim_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hvport/hvport/vhdx"
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

const (
	vmDir   = "Virtual Machines/"
	snapDir = "Snapshots/"
	vhdDir  = "Virtual Hard Disks/"
)

var (
	s1 = sim.DemoWeb01Checkpoint1
	s2 = sim.DemoWeb01Checkpoint2
	// web-01's disk files: the base disks and the differencing disk each
	// checkpoint created.
	webAllDisks = []string{
		vhdDir + "web-01-data.vhdx", vhdDir + "web-01-data_" + s1 + ".avhdx", vhdDir + "web-01-data_" + s2 + ".avhdx",
		vhdDir + "web-01.vhdx", vhdDir + "web-01_" + s1 + ".avhdx", vhdDir + "web-01_" + s2 + ".avhdx",
	}
	emptyFolders = []string{snapDir, vhdDir, vmDir}
)

// TestExportLayouts checks the exact file set of each export variant
// (docs/HYPERV.md#export-layout), that every copied file is byte-identical
// to its source and that every merged disk reads what its source chain
// reads.
func TestExportLayouts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	set := func(name string, v any) func(o *wmi.Object) { return func(o *wmi.Object) { o.MustSet(name, v) } }
	both := func(a, b func(o *wmi.Object)) func(o *wmi.Object) {
		return func(o *wmi.Object) { a(o); b(o) }
	}
	cat := func(lists ...[]string) []string {
		var out []string
		for _, l := range lists {
			out = append(out, l...)
		}
		slices.Sort(out)
		return out
	}
	// merged disks of web-01 by export name: the top of the chain merged.
	current := map[string]string{"web-01.vhdx": "web-01_" + s2 + ".avhdx", "web-01-data.vhdx": "web-01-data_" + s2 + ".avhdx"}
	atS2 := map[string]string{"web-01.vhdx": "web-01_" + s1 + ".avhdx", "web-01-data.vhdx": "web-01-data_" + s1 + ".avhdx"}
	for _, tc := range []struct {
		name   string
		vm     string
		edit   func(o *wmi.Object)
		want   []string
		merged map[string]string
	}{
		{
			name: "defaults: all snapshots, storage", vm: sim.DemoWeb01ID,
			want: cat(emptyFolders, webAllDisks, []string{vmDir + sim.DemoWeb01ID + ".vmcx", snapDir + s1 + ".vmcx", snapDir + s2 + ".vmcx"}),
		},
		{
			name: "configuration only", vm: sim.DemoWeb01ID, edit: set("CopyVmStorage", false),
			want: cat(emptyFolders, []string{vmDir + sim.DemoWeb01ID + ".vmcx", snapDir + s1 + ".vmcx", snapDir + s2 + ".vmcx"}),
		},
		{
			name: "no snapshots: the current chain merged", vm: sim.DemoWeb01ID, edit: set("CopySnapshotConfiguration", wmi.ExportNoSnapshots),
			want:   cat(emptyFolders, []string{vmDir + sim.DemoWeb01ID + ".vmcx", vhdDir + "web-01.vhdx", vhdDir + "web-01-data.vhdx"}),
			merged: current,
		},
		{
			name: "no snapshots, no storage", vm: sim.DemoWeb01ID,
			edit: both(set("CopySnapshotConfiguration", wmi.ExportNoSnapshots), set("CopyVmStorage", false)),
			want: cat(emptyFolders, []string{vmDir + sim.DemoWeb01ID + ".vmcx"}),
		},
		{
			name: "subdirectory", vm: sim.DemoWeb01ID,
			edit: both(set("CreateVmExportSubdirectory", true), set("CopyVmStorage", false)),
			want: cat([]string{"web-01/"}, prefixed("web-01/", emptyFolders),
				prefixed("web-01/", []string{vmDir + sim.DemoWeb01ID + ".vmcx", snapDir + s1 + ".vmcx", snapDir + s2 + ".vmcx"})),
		},
		{
			name: "one snapshot, as a VM with its own ID: the base disks, nothing to merge", vm: sim.DemoWeb01ID,
			edit: both(set("CopySnapshotConfiguration", wmi.ExportOneSnapshot), set("SnapshotVirtualSystem", vssdPath(s1))),
			want: cat(emptyFolders, []string{vmDir + s1 + ".vmcx", vhdDir + "web-01.vhdx", vhdDir + "web-01-data.vhdx"}),
		},
		{
			name: "one snapshot, its chain merged", vm: sim.DemoWeb01ID,
			edit:   both(set("CopySnapshotConfiguration", wmi.ExportOneSnapshot), set("SnapshotVirtualSystem", vssdPath(s2))),
			want:   cat(emptyFolders, []string{vmDir + s2 + ".vmcx", vhdDir + "web-01.vhdx", vhdDir + "web-01-data.vhdx"}),
			merged: atS2,
		},
		{
			name: "one snapshot for backup, with the VM's ID, chain preserved", vm: sim.DemoWeb01ID,
			edit: both(set("CopySnapshotConfiguration", wmi.ExportOneSnapshotForBackup), set("SnapshotVirtualSystem", vssdPath(s2))),
			want: cat(emptyFolders, []string{vmDir + sim.DemoWeb01ID + ".vmcx", vhdDir + "web-01.vhdx", vhdDir + "web-01-data.vhdx",
				vhdDir + "web-01_" + s1 + ".avhdx", vhdDir + "web-01-data_" + s1 + ".avhdx"}),
		},
		{
			name: "one snapshot for backup, merged", vm: sim.DemoWeb01ID,
			edit: both(both(set("CopySnapshotConfiguration", wmi.ExportOneSnapshotForBackup), set("SnapshotVirtualSystem", vssdPath(s2))),
				set("BackupIntent", uint8(1))),
			want:   cat(emptyFolders, []string{vmDir + sim.DemoWeb01ID + ".vmcx", vhdDir + "web-01.vhdx", vhdDir + "web-01-data.vhdx"}),
			merged: atS2,
		},
		{
			name: "saved VM with runtime state", vm: sim.DemoDB01ID,
			want: cat(emptyFolders, []string{vmDir + sim.DemoDB01ID + ".vmcx", vmDir + sim.DemoDB01ID + ".vmrs", vhdDir + "db-01.vhdx"}),
		},
		{
			name: "saved VM without runtime state", vm: sim.DemoDB01ID, edit: set("CopyVmRuntimeInformation", false),
			want: cat(emptyFolders, []string{vmDir + sim.DemoDB01ID + ".vmcx", vhdDir + "db-01.vhdx"}),
		},
		{
			name: "running VM, saved state captured", vm: sim.DemoBuildAgentID, edit: set("CaptureLiveState", wmi.CaptureSavedState),
			want: cat(emptyFolders, []string{vmDir + sim.DemoBuildAgentID + ".vmcx", vmDir + sim.DemoBuildAgentID + ".vmrs", vhdDir + "build-agent.vhdx"}),
		},
		{
			name: "running VM, crash-consistent", vm: sim.DemoBuildAgentID, edit: set("CaptureLiveState", wmi.CaptureCrashConsistentState),
			want: cat(emptyFolders, []string{vmDir + sim.DemoBuildAgentID + ".vmcx", vhdDir + "build-agent.vhdx"}),
		},
		{
			name: "running VM, storage and runtime off", vm: sim.DemoBuildAgentID,
			edit: both(set("CopyVmStorage", false), set("CopyVmRuntimeInformation", false)),
			want: cat(emptyFolders, []string{vmDir + sim.DemoBuildAgentID + ".vmcx"}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "export")
			job := f.waitJob(t, f.mustExport(t, tc.vm, dir, tc.edit))
			if job.Uint("JobState") != uint64(wmi.JobCompleted) || job.Uint("ErrorCode") != 0 || job.Uint("PercentComplete") != 100 {
				t.Fatalf("job ended in state %d, error %d %q, %d%%", job.Uint("JobState"), job.Uint("ErrorCode"),
					job.String("ErrorDescription"), job.Uint("PercentComplete"))
			}
			got := files(t, dir)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("files\n got %s\nwant %s", join(got), join(tc.want))
			}
			source := filepath.Join(f.host.DataDir(), "Hyper-V")
			compared := 0
			for _, rel := range got {
				name := filepath.Base(rel)
				switch {
				case strings.HasSuffix(rel, "/"):
				case strings.Contains(rel, vhdDir) && tc.merged[name] != "":
					// One dynamic disk reading what the chain reads.
					if info := checkVHDX(t, filepath.Join(dir, rel)); info.IsDifferencing {
						t.Errorf("merged %s is a differencing disk", rel)
					}
					sameContent(t, filepath.Join(dir, rel), filepath.Join(source, vhdDir, tc.merged[name]))
					compared++
				case strings.Contains(rel, vhdDir):
					sameFile(t, filepath.Join(dir, rel), filepath.Join(source, vhdDir, name))
					if strings.HasSuffix(rel, ".avhdx") {
						// The copy still finds its copied parent.
						d, err := vhdx.Open(filepath.Join(dir, rel), nil)
						if err != nil {
							t.Errorf("exported %s does not open: %v", rel, err)
						} else {
							if p := d.Info().ParentPath; filepath.Dir(p) != filepath.Join(dir, "Virtual Hard Disks") {
								t.Errorf("exported %s opens parent %s", rel, p)
							}
							d.Close()
						}
					}
					compared++
				case strings.HasSuffix(rel, ".vmrs"):
					sameFile(t, filepath.Join(dir, rel), filepath.Join(source, vmDir, name))
					compared++
				}
			}
			if compared == 0 && slices.ContainsFunc(tc.want, func(s string) bool { return strings.HasSuffix(s, "hdx") }) {
				t.Error("compared no file")
			}
		})
	}
}

func prefixed(p string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p + s
	}
	return out
}

// TestExportedConfiguration checks that an exported configuration finds
// its copied disks relative to the export, and names the rest absolutely.
func TestExportedConfiguration(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	type config struct {
		ID        string   `json:"id"`
		Name      string   `json:"name"`
		Snapshots []string `json:"snapshots"`
		Disks     []struct {
			Path        string   `json:"path"`
			ParentPaths []string `json:"parentPaths"`
		} `json:"disks"`
	}
	read := func(path string) config {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var c config
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	dir := t.TempDir()
	f.waitJob(t, f.mustExport(t, sim.DemoWeb01ID, dir, nil))
	c := read(filepath.Join(dir, vmDir, sim.DemoWeb01ID+".vmcx"))
	if c.Name != "web-01" || len(c.Snapshots) != 2 || c.Disks[0].Path != vhdDir+"web-01_"+s2+".avhdx" ||
		!slices.Equal(c.Disks[0].ParentPaths, []string{vhdDir + "web-01_" + s1 + ".avhdx", vhdDir + "web-01.vhdx"}) {
		t.Errorf("exported configuration %+v", c)
	}
	for _, d := range append(c.Disks, read(filepath.Join(dir, snapDir, s1+".vmcx")).Disks...) {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(d.Path))); err != nil {
			t.Errorf("disk %s is not in the export: %v", d.Path, err)
		}
	}

	dir = t.TempDir()
	f.waitJob(t, f.mustExport(t, sim.DemoWeb01ID, dir, func(o *wmi.Object) { o.MustSet("CopyVmStorage", false) }))
	c = read(filepath.Join(dir, vmDir, sim.DemoWeb01ID+".vmcx"))
	if !filepath.IsAbs(c.Disks[0].Path) {
		t.Errorf("a configuration-only export names disk %s", c.Disks[0].Path)
	}
	if _, err := os.Stat(c.Disks[0].Path); err != nil {
		t.Errorf("the original disk: %v", err)
	}
}

// TestExportCreatesMissingDirectory covers both answers to the UNCERTAIN
// question whether VMMS creates a missing ExportDirectory.
func TestExportCreatesMissingDirectory(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	dir := filepath.Join(t.TempDir(), "a", "b")
	if job := f.waitJob(t, f.mustExport(t, sim.DemoDB01ID, dir, nil)); job.Uint("JobState") != uint64(wmi.JobCompleted) {
		t.Fatalf("state %d: %s", job.Uint("JobState"), job.String("ErrorDescription"))
	}

	g := newFixture(t, sim.Options{ExportDirectoryMustExist: true})
	parent := t.TempDir()
	dir = filepath.Join(parent, "missing")
	job := g.waitJob(t, g.mustExport(t, sim.DemoDB01ID, dir, nil))
	if job.Uint("JobState") != uint64(wmi.JobException) || job.Uint("ErrorCode") != uint64(wmi.ReturnFailed) ||
		!strings.Contains(job.String("ErrorDescription"), "cannot find the path") {
		t.Errorf("state %d, error %d %q", job.Uint("JobState"), job.Uint("ErrorCode"), job.String("ErrorDescription"))
	}
	if got := files(t, parent); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

// TestExportTargetExists: an export never overwrites. A .vmcx already at
// the target fails the job at once and leaves every file as it was.
func TestExportTargetExists(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	dir := t.TempDir()
	existing := map[string]string{
		vmDir + sim.DemoDB01ID + ".vmcx": "someone else's configuration",
		"notes.txt":                      "keep me",
	}
	for rel, content := range existing {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := files(t, dir)
	job := f.waitJob(t, f.mustExport(t, sim.DemoDB01ID, dir, nil))
	if job.Uint("JobState") != uint64(wmi.JobException) || job.Uint("ErrorCode") != uint64(wmi.ReturnFailed) ||
		!strings.Contains(job.String("ErrorDescription"), "file exists") {
		t.Errorf("state %d, error %d %q", job.Uint("JobState"), job.Uint("ErrorCode"), job.String("ErrorDescription"))
	}
	if after := files(t, dir); !slices.Equal(before, after) {
		t.Errorf("files changed:\n%v\n%v", before, after)
	}
	for rel, content := range existing {
		if b, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel))); string(b) != content {
			t.Errorf("%s changed to %q", rel, b)
		}
	}
}

// TestExportIOErrorCleansUp: a copy that fails halfway (here a folder
// sits where a disk file must go) fails the job with ErrorCode 32768 and
// removes what the job wrote, but not what was there before.
func TestExportIOErrorCleansUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	dir := t.TempDir()
	blocker := filepath.Join(dir, "Virtual Hard Disks", "web-01-data.vhdx")
	if err := os.MkdirAll(blocker, 0o755); err != nil {
		t.Fatal(err)
	}
	before := files(t, dir)
	job := f.waitJob(t, f.mustExport(t, sim.DemoWeb01ID, dir, nil))
	if job.Uint("JobState") != uint64(wmi.JobException) || job.Uint("ErrorCode") != uint64(wmi.ReturnFailed) ||
		!strings.Contains(job.String("ErrorDescription"), "web-01-data.vhdx") {
		t.Errorf("state %d, error %d %q", job.Uint("JobState"), job.Uint("ErrorCode"), job.String("ErrorDescription"))
	}
	if after := files(t, dir); !slices.Equal(before, after) {
		t.Errorf("files\n got %v\nwant %v", after, before)
	}
}
