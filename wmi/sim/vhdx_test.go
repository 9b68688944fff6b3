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

// Tests of the simulator's real VHDX disks: seeding, merges in exports,
// copies of chains, parent checks on import.

// TestSeededDisksAreVHDX: the demo host's disks are dynamic VHDX files of
// the seed's virtual sizes that vhdx.Check and qemu-img accept, each
// checkpoint a differencing child of the disk before it, each file with
// its own content, the same on every host made from the seed.
func TestSeededDisksAreVHDX(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{Seed: sim.DemoSeed()})
	sizes := map[string]uint64{"web-01.vhdx": 20 << 30, "web-01-data.vhdx": 10 << 30, "db-01.vhdx": 40 << 30, "build-agent.vhdx": 20 << 30}
	hashes := map[[32]byte]string{}
	for _, rel := range diskFiles(t, filepath.Join(f.host.DataDir(), "Hyper-V", "Virtual Hard Disks")) {
		path := hostDisk(f, rel)
		info := checkVHDX(t, path)
		if info.BlockSize != 1<<20 {
			t.Errorf("%s: block size %d", rel, info.BlockSize)
		}
		base, child := strings.CutSuffix(rel, ".avhdx")
		if child != info.IsDifferencing {
			t.Errorf("%s: differencing %v", rel, info.IsDifferencing)
		}
		if !child {
			if info.VirtualSize != sizes[rel] {
				t.Errorf("%s: virtual size %d, want %d", rel, info.VirtualSize, sizes[rel])
			}
		} else if info.VirtualSize != sizes[base[:strings.LastIndex(base, "_")]+".vhdx"] {
			t.Errorf("%s: virtual size %d, not its base disk's", rel, info.VirtualSize)
		}
		h := contentHash(t, path)
		if other, dup := hashes[h]; dup {
			t.Errorf("%s reads what %s reads", rel, other)
		}
		hashes[h] = rel
	}
	if len(hashes) != 8 {
		t.Errorf("%d disk files", len(hashes))
	}

	// The VM's disk is the top of its chain: its .avhdx files opened
	// through their parent locators, newest first.
	hr := f.disksOf(t, vssdPath(sim.DemoWeb01ID))[0].Strings("HostResource")[0]
	d, err := vhdx.Open(hr, nil)
	if err != nil {
		t.Fatal(err)
	}
	var chain []string
	for p := d; p != nil; p = p.Parent() {
		chain = append(chain, filepath.Base(p.Info().Path))
	}
	d.Close()
	if want := []string{"web-01_" + s2 + ".avhdx", "web-01_" + s1 + ".avhdx", "web-01.vhdx"}; !slices.Equal(chain, want) {
		t.Errorf("chain %v, want %v", chain, want)
	}

	// The content is the seed's: another host has the same.
	g := newFixture(t, sim.Options{Seed: sim.DemoSeed()})
	for _, name := range []string{"db-01.vhdx", "web-01-data_" + s2 + ".avhdx"} {
		if contentHash(t, hostDisk(f, name)) != contentHash(t, hostDisk(g, name)) {
			t.Errorf("%s differs between two hosts of the same seed", name)
		}
	}
}

// TestExportedConfigurationOfMergedDisks: ExportNoSnapshots names each
// merged disk without parents; an excluded disk is neither copied nor
// merged and keeps its host chain; the export imports, validates and
// realizes with the merged disk.
func TestExportedConfigurationOfMergedDisks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	data := f.disksOf(t, vssdPath(sim.DemoWeb01ID))[1]
	root := f.exportTo(t, sim.DemoWeb01ID, func(o *wmi.Object) {
		o.MustSet("CopySnapshotConfiguration", wmi.ExportNoSnapshots)
		o.MustSet("ExcludedVirtualHardDisks", []string{data.String("InstanceID")})
	})
	if got := diskFiles(t, root); !slices.Equal(got, []string{vhdDir + "web-01.vhdx"}) {
		t.Fatalf("disk files %v", got)
	}
	var c struct {
		Disks []struct {
			Path        string   `json:"path"`
			ParentPaths []string `json:"parentPaths"`
		} `json:"disks"`
	}
	b, err := os.ReadFile(definitionFile(root, sim.DemoWeb01ID))
	if err != nil || json.Unmarshal(b, &c) != nil || len(c.Disks) != 2 {
		t.Fatalf("configuration %s: %v", b, err)
	}
	if c.Disks[0].Path != vhdDir+"web-01.vhdx" || len(c.Disks[0].ParentPaths) != 0 {
		t.Errorf("merged disk recorded as %+v", c.Disks[0])
	}
	if c.Disks[1].Path != hostDisk(f, "web-01-data_"+s2+".avhdx") || len(c.Disks[1].ParentPaths) != 2 {
		t.Errorf("excluded disk recorded as %+v", c.Disks[1])
	}

	planned := f.mustImport(t, root, sim.DemoWeb01ID, true)
	if job, errs := f.validate(t, planned.Path); job.Uint("JobState") != uint64(wmi.JobCompleted) {
		t.Fatalf("validation: %s", messageIDs(errs))
	}
	vm := f.realize(t, planned.Path)
	disks := f.disksOf(t, f.settingsOf(t, vm.Path)[0].Path)
	if got := disks[0].Strings("HostResource")[0]; got != filepath.Join(root, "Virtual Hard Disks", "web-01.vhdx") {
		t.Errorf("realized disk %s", got)
	}
	sameContent(t, disks[0].Strings("HostResource")[0], hostDisk(f, "web-01_"+s2+".avhdx"))
}

// mergeSeed is a host whose one VM has a disk with 6 MiB of data and a
// checkpoint that wrote 1 MiB more: its merge takes several 1 MiB pieces.
func mergeSeed() *sim.Seed {
	return &sim.Seed{VMs: []sim.SeedVM{{
		Name: "big", ID: bigID,
		Disks:       []sim.SeedDisk{{File: "big.vhdx", SizeBytes: 6 << 20, VirtualSizeBytes: 64 << 20}},
		Checkpoints: []sim.SeedCheckpoint{{Name: "c", DifferencingBytes: 1 << 20}},
	}}}
}

const bigID = "C0FFEE01-0000-4000-8000-0000000000B1"

func noSnapshots(o *wmi.Object) { o.MustSet("CopySnapshotConfiguration", wmi.ExportNoSnapshots) }

// TestMergeProgressKillAndDiskFull: a throttled merge reports rising
// progress to 100; killed half-way it leaves no partial file; on a disk
// that fills up it fails the job with the disk-full error, leaving
// nothing and giving the space back.
func TestMergeProgressKillAndDiskFull(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{Seed: mergeSeed(), CopyBytesPerSecond: 1 << 20})
	top := filepath.Join(f.host.DataDir(), "Hyper-V", "Virtual Hard Disks", "big_"+f.settingsOf(t, vmPath(bigID))[1].String("InstanceID")[len("Microsoft:"):]+".avhdx")

	dir := t.TempDir()
	job := f.mustExport(t, bigID, dir, noSnapshots)
	var seen []uint64
	last := f.stepUntil(t, job, func(o *wmi.Object) bool {
		seen = append(seen, o.Uint("PercentComplete"))
		return wmi.JobStateTerminal(uint16(o.Uint("JobState")))
	})
	wantCompleted(t, last)
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Fatalf("PercentComplete went down: %v", seen)
		}
	}
	if distinct := countDistinct(seen); distinct < 5 {
		t.Errorf("only %d distinct progress values: %v", distinct, seen)
	}
	merged := filepath.Join(dir, "Virtual Hard Disks", "big.vhdx")
	checkVHDX(t, merged)
	sameContent(t, merged, top)

	// Kill half-way through the merge.
	parent := t.TempDir()
	dir = filepath.Join(parent, "export")
	job = f.mustExport(t, bigID, dir, noSnapshots)
	f.stepUntil(t, job, func(o *wmi.Object) bool { return o.Uint("PercentComplete") >= 30 })
	if !isFile(filepath.Join(dir, "Virtual Hard Disks", "big.vhdx")) {
		t.Fatal("no merged file at 30%")
	}
	if ret := f.requestStateChange(t, job, wmi.JobRequestKill); ret != wmi.RSCCompleted {
		t.Fatalf("Kill returned %d", ret)
	}
	if o := f.get(t, job); o.Uint("JobState") != uint64(wmi.JobKilled) || o.Uint("PercentComplete") == 100 {
		t.Errorf("killed job: state %d at %d%%", o.Uint("JobState"), o.Uint("PercentComplete"))
	}
	if got := files(t, parent); len(got) != 0 {
		t.Errorf("partial output left: %v", got)
	}

	// A quota that runs out during the merge.
	g := newFixture(t, sim.Options{Seed: mergeSeed(), CopyBytesPerSecond: 1 << 20, DiskQuotaBytes: 3 << 20})
	parent = t.TempDir()
	dir = filepath.Join(parent, "export")
	job = g.mustExport(t, bigID, dir, noSnapshots)
	var pct uint64
	o := g.stepUntil(t, job, func(o *wmi.Object) bool {
		pct = max(pct, o.Uint("PercentComplete"))
		return wmi.JobStateTerminal(uint16(o.Uint("JobState")))
	})
	wantDiskFull(t, o)
	if pct == 0 || pct == 100 {
		t.Errorf("the merge failed at %d%%", pct)
	}
	if got := files(t, parent); len(got) != 0 {
		t.Errorf("partial output left: %v", got)
	}
	if used := g.host.DiskUsedBytes(); used != 0 {
		t.Errorf("%d bytes still counted", used)
	}
}

// TestMostCurrentSnapshotInBranch: the association leads from a VM to its
// newest checkpoint's settings (none for a VM without checkpoints), which
// is what the v2 sample exports with ExportOneSnapshot (docs/HYPERV.md#v2-export-settings): one merged
// disk per disk, reading what the checkpoint's chain reads.
func TestMostCurrentSnapshotInBranch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	newest := f.query(t, "ASSOCIATORS OF {"+vmPath(sim.DemoWeb01ID)+"} WHERE AssocClass = Msvm_MostCurrentSnapshotInBranch ResultClass = Msvm_VirtualSystemSettingData")
	if len(newest) != 1 || newest[0].String("InstanceID") != "Microsoft:"+s2 || newest[0].String("ElementName") != "After update" {
		t.Fatalf("newest checkpoint %v", names(newest, "InstanceID"))
	}
	if got := f.query(t, "ASSOCIATORS OF {"+vmPath(sim.DemoDB01ID)+"} WHERE AssocClass = Msvm_MostCurrentSnapshotInBranch"); len(got) != 0 {
		t.Errorf("db-01 has no checkpoint, the association gives %v", names(got, "InstanceID"))
	}
	root := f.exportTo(t, sim.DemoWeb01ID, func(o *wmi.Object) {
		o.MustSet("CopySnapshotConfiguration", wmi.ExportOneSnapshot)
		o.MustSet("CreateVmExportSubdirectory", true)
		o.MustSet("SnapshotVirtualSystem", newest[0].Path)
	})
	if got := diskFiles(t, root); !slices.Equal(got, []string{"web-01/" + vhdDir + "web-01-data.vhdx", "web-01/" + vhdDir + "web-01.vhdx"}) {
		t.Fatalf("disk files %v", got)
	}
	sameContent(t, filepath.Join(root, "web-01", "Virtual Hard Disks", "web-01.vhdx"), hostDisk(f, "web-01_"+s1+".avhdx"))
}

// TestV1ExportMerges: through v1, ExportNoSnapshots and ExportOneSnapshot
// merge too; the .exp names the merged disk at its base disk's host path,
// and a register-in-place import uses the merged file.
func TestV1ExportMerges(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	root := f.exportTo1(t, sim.DemoWeb01ID, func(o *wmi.Object) {
		set(t, o, map[string]any{"CopySnapshotConfiguration": wmi.ExportNoSnapshots})
	})
	if got := diskFiles(t, root); !slices.Equal(got, []string{vhdDir + "web-01-data.vhdx", vhdDir + "web-01.vhdx"}) {
		t.Fatalf("disk files %v", got)
	}
	for _, name := range []string{"web-01", "web-01-data"} {
		checkVHDX(t, filepath.Join(root, "Virtual Hard Disks", name+".vhdx"))
		sameContent(t, filepath.Join(root, "Virtual Hard Disks", name+".vhdx"), hostDisk(f.fixture, name+"_"+s2+".avhdx"))
	}
	settings := f.importSettings1(t, root)
	if got := settings.Strings("CurrentResourcePaths"); !slices.Equal(got, []string{hostDisk(f.fixture, "web-01.vhdx"), hostDisk(f.fixture, "web-01-data.vhdx")}) {
		t.Errorf("CurrentResourcePaths %v", got)
	}
	f.destroy(t, vmPath(sim.DemoWeb01ID))
	vm := f.import1(t, root, settings)
	disks := f.disksOf(t, f.settingsOf(t, vmPath(vm.String("Name")))[0].Path)
	if got := disks[0].Strings("HostResource")[0]; got != filepath.Join(root, "Virtual Hard Disks", "web-01.vhdx") {
		t.Errorf("imported disk %s", got)
	}

	g := newV1Fixture(t, sim.Options{})
	root = g.exportTo1(t, sim.DemoWeb01ID, func(o *wmi.Object) {
		set(t, o, map[string]any{"CopySnapshotConfiguration": wmi.ExportOneSnapshot, "SnapshotVirtualSystem": v1VSSDPath(s2)})
	})
	if got := diskFiles(t, root); !slices.Equal(got, []string{vhdDir + "web-01-data.vhdx", vhdDir + "web-01.vhdx"}) {
		t.Fatalf("disk files %v", got)
	}
	sameContent(t, filepath.Join(root, "Virtual Hard Disks", "web-01-data.vhdx"), hostDisk(g.fixture, "web-01-data_"+s1+".avhdx"))
}

// TestV1ImportCopyIntoSeveralFolders: a chain copied into different
// folders is re-pointed, so each child opens through its copied parent.
func TestV1ImportCopyIntoSeveralFolders(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	root := f.exportTo1(t, sim.DemoWeb01ID, nil)
	settings := f.importSettings1(t, root)
	bases, children := t.TempDir(), t.TempDir()
	var targets []string
	for _, c := range settings.Strings("CurrentResourcePaths") {
		dir := children
		if strings.HasSuffix(c, ".vhdx") {
			dir = bases
		}
		targets = append(targets, filepath.Join(dir, filepath.Base(c)))
	}
	vmRoot := t.TempDir()
	set(t, settings, map[string]any{"GenerateNewId": true, "CreateCopy": true, "TargetVmDataRoot": vmRoot,
		"TargetSnapshotDataRoot": vmRoot, "TargetResourcePaths": targets})
	f.import1(t, root, settings)
	top := filepath.Join(children, "web-01_"+s2+".avhdx")
	d, err := vhdx.Open(top, nil)
	if err != nil {
		t.Fatal(err)
	}
	var chain []string
	for p := d; p != nil; p = p.Parent() {
		chain = append(chain, p.Info().Path)
	}
	d.Close()
	if want := []string{top, filepath.Join(children, "web-01_"+s1+".avhdx"), filepath.Join(bases, "web-01.vhdx")}; !slices.Equal(chain, want) {
		t.Errorf("chain %v, want %v", chain, want)
	}
	sameContent(t, top, hostDisk(f.fixture, "web-01_"+s2+".avhdx"))
	sameFile(t, filepath.Join(bases, "web-01.vhdx"), hostDisk(f.fixture, "web-01.vhdx"))
}

// TestUnresolvedParent: a differencing disk whose parent is not the disk
// it was made from (here: replaced by another disk of the same name) is a
// missing disk naming that parent, for ValidatePlannedSystem and for v1's
// import, although every file the configuration records exists.
func TestUnresolvedParent(t *testing.T) {
	t.Parallel()
	f := newV1Fixture(t, sim.Options{})
	replace := func(path string) {
		t.Helper()
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := vhdx.Create(path, 64<<20, vhdx.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	root := f.exportTo(t, sim.DemoWeb01ID, nil)
	base := filepath.Join(root, "Virtual Hard Disks", "web-01-data.vhdx")
	replace(base)
	planned := f.mustImport(t, root, sim.DemoWeb01ID, true)
	job, errs := f.validate(t, planned.Path)
	wantValidated(t, job)
	// The VM's data disk and the second checkpoint's; the first
	// checkpoint's data disk is the base itself, a disk of its own.
	if len(errs) != 2 {
		t.Fatalf("errors %s: %v", messageIDs(errs), names(errs, "Message"))
	}
	for _, e := range errs {
		if e.String("MessageID") != sim.MessageIDVirtualHardDiskNotFound || !slices.Equal(e.Strings("MessageArguments"), []string{base}) {
			t.Errorf("error %s %q %v", e.String("MessageID"), e.String("Message"), e.Strings("MessageArguments"))
		}
	}

	// A replaced disk in the middle of a chain: the link that breaks is
	// named, not the (intact) base below it.
	root = f.exportTo(t, sim.DemoWeb01ID, nil)
	mid := filepath.Join(root, "Virtual Hard Disks", "web-01-data_"+s1+".avhdx")
	if err := os.Remove(mid); err != nil {
		t.Fatal(err)
	}
	if err := vhdx.CreateDifferencing(mid, filepath.Join(root, "Virtual Hard Disks", "web-01-data.vhdx"), vhdx.Options{}); err != nil {
		t.Fatal(err)
	}
	planned = f.mustImport(t, root, sim.DemoWeb01ID, true)
	_, errs = f.validate(t, planned.Path)
	if len(errs) != 1 || !slices.Equal(errs[0].Strings("MessageArguments"), []string{mid}) {
		t.Errorf("errors %v", names(errs, "Message"))
	}

	root = f.exportTo1(t, sim.DemoWeb01ID, nil)
	base = filepath.Join(root, "Virtual Hard Disks", "web-01.vhdx")
	replace(base)
	settings := f.importSettings1(t, root)
	set(t, settings, map[string]any{"GenerateNewId": true})
	j := f.v1.finish(t, f.startImport1(t, root, settings))
	errs = f.v1.jobErrors(t, j.Path)
	if j.Uint("JobState") != uint64(wmi.JobException) || j.Uint("ErrorCode") != uint64(wmi.ReturnInvalidParameter) ||
		len(errs) != 1 || errs[0].String("MessageID") != sim.MessageIDVirtualHardDiskNotFound ||
		!slices.Equal(errs[0].Strings("MessageArguments"), []string{base}) {
		t.Errorf("v1 import: state %d, error %d, %v", j.Uint("JobState"), j.Uint("ErrorCode"), names(errs, "Message"))
	}
}
