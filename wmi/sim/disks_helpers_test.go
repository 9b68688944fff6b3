package sim_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvport/hvport/internal/qemutest"
	"github.com/hvport/hvport/vhdx"
)

// Helpers for tests of the simulator's VHDX disks.

// contentHash is vhdx.ContentHash of the disk at path read through its
// chain (its parents found through its parent locators).
func contentHash(t *testing.T, path string) [32]byte {
	t.Helper()
	d, err := vhdx.Open(path, nil)
	if err != nil {
		t.Fatalf("vhdx.Open(%s): %v", path, err)
	}
	defer d.Close()
	h, err := vhdx.ContentHash(d)
	if err != nil {
		t.Fatalf("ContentHash(%s): %v", path, err)
	}
	return h
}

// sameContent checks that the disk at got reads, through its chain, what
// the disk at want reads through its own.
func sameContent(t *testing.T, got, want string) {
	t.Helper()
	if contentHash(t, got) != contentHash(t, want) {
		t.Errorf("%s does not read what %s reads", got, want)
	}
}

// checkVHDX runs vhdx.Check on path and, for a disk without parents,
// qemu-img check (qemu reads no differencing VHDX).
func checkVHDX(t *testing.T, path string) vhdx.Info {
	t.Helper()
	if err := vhdx.Check(path); err != nil {
		t.Errorf("vhdx.Check(%s): %v", path, err)
	}
	info, err := vhdx.Stat(path)
	if err != nil {
		t.Fatalf("vhdx.Stat(%s): %v", path, err)
	}
	if !info.IsDifferencing {
		if q := qemuImg(t); q != "" {
			if out, err := exec.Command(q, "check", "-f", "vhdx", path).CombinedOutput(); err != nil {
				t.Errorf("qemu-img check %s: %v\n%s", path, err, out)
			}
			if got := qemuVirtualSize(t, q, path); got != info.VirtualSize {
				t.Errorf("qemu-img info %s: virtual size %d, the header says %d", path, got, info.VirtualSize)
			}
		}
	}
	return info
}

// qemuImg is qemu-img's path, or "" when it is not installed (the test
// fails instead when HVPORT_REQUIRE_QEMU=1, as in CI).
func qemuImg(t *testing.T) string {
	t.Helper()
	p := qemutest.Find(t, "qemu-img")
	if p == "" {
		t.Log("qemu-img is not on PATH: checked with package vhdx only")
	}
	return p
}

func qemuVirtualSize(t *testing.T, qemu, path string) uint64 {
	t.Helper()
	out, err := exec.Command(qemu, "info", "--output=json", "-f", "vhdx", path).Output()
	if err != nil {
		t.Fatalf("qemu-img info %s: %v", path, err)
	}
	var info struct {
		VirtualSize uint64 `json:"virtual-size"`
		Format      string `json:"format"`
	}
	if err := json.Unmarshal(out, &info); err != nil || info.Format != "vhdx" {
		t.Fatalf("qemu-img info %s: %v %s", path, err, out)
	}
	return info.VirtualSize
}

// hostDisk names a file of the host's Virtual Hard Disks folder.
func hostDisk(f *fixture, name string) string {
	return filepath.Join(f.host.DataDir(), "Hyper-V", "Virtual Hard Disks", name)
}

// diskFiles lists the .vhdx and .avhdx files under dir (relative, forward
// slashes).
func diskFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, f := range files(t, dir) {
		if strings.HasSuffix(f, ".vhdx") || strings.HasSuffix(f, ".avhdx") {
			out = append(out, f)
		}
	}
	return out
}
