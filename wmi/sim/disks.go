package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/hvport/hvport/vhdx"
)

// Virtual hard disks are real VHDX files (package vhdx): the seed's base
// disks are dynamic VHDX files, each checkpoint adds a differencing child
// per disk, and a differencing disk finds its parent through its parent
// locator (relative_path first, then absolute_win32_path), as on a real
// host. The configuration's parentPaths record the chain too (the
// simulator's bookkeeping); where they disagree with the files, the files
// win: validation opens the chain through the locators, and a realized
// VM's chains are read from its disks.

// seedBlockSize is the block size of seeded disks: the smallest VHDX
// allows, so that a seeded disk stays a few MiB whatever its virtual size.
const seedBlockSize = 1 * mib

// fillSpan is how much of a disk vhdx.FillDeterministic touches to write n
// bytes whatever its seed: 1 MiB runs every 3 MiB after a phase of up to
// 768 KiB.
func fillSpan(n int64) int64 {
	if n <= 0 {
		return 0
	}
	runs := (n + mib - 1) / mib
	return 768*kib + (runs-1)*3*mib + min(n-(runs-1)*mib, mib)
}

// contentSeed is the vhdx.FillDeterministic seed of a disk's content,
// derived from key. FillDeterministic starts its runs (seed mod 4)·256 KiB
// into the disk: a base disk's seed is a multiple of 4, so that its runs
// fill whole 1 MiB blocks and n MiB of data take n blocks; a differencing
// disk's is not, so that its runs cover parts of blocks and of its
// parents' runs, as a guest's writes after a checkpoint do (partially
// present blocks, sector bitmaps).
func contentSeed(key string, differencing bool) int64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	s := h.Sum64() &^ 3
	if differencing {
		s |= 1 + h.Sum64()%3
	}
	return int64(s)
}

// createSeedDisk writes a new dynamic VHDX of virtualSize bytes holding
// size bytes of content determined by key.
func createSeedDisk(path string, virtualSize, size int64, key string) error {
	if err := vhdx.Create(path, uint64(virtualSize), vhdx.Options{BlockSize: seedBlockSize}); err != nil {
		return err
	}
	return fillDisk(path, size, contentSeed(key, false))
}

// createCheckpointDisk writes a new differencing VHDX at path whose
// parent is parent, and writes size bytes of content determined by key
// into it (the VM's writes after the checkpoint).
func createCheckpointDisk(path, parent string, size int64, key string) error {
	if err := vhdx.CreateDifferencing(path, parent, vhdx.Options{}); err != nil {
		return err
	}
	return fillDisk(path, size, contentSeed(key, true))
}

func fillDisk(path string, size int64, seed int64) (err error) {
	d, err := vhdx.Open(path, nil)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := d.Close(); err == nil {
			err = cerr
		}
	}()
	return vhdx.FillDeterministic(d, seed, size)
}

// missingDiskFile is the file a disk needs but that cannot be found, or
// "": the attached file, a parent its configuration records, or a parent
// its parent locator names that does not resolve (no file where the
// locator points, or one that is not the parent the child was made from:
// vhdx.ErrParent). A file that is not a VHDX the vhdx package reads (the
// simulator does not model corrupt disks) is checked against the recorded
// chain only.
func missingDiskFile(d diskConfig) string {
	for _, f := range d.chain() {
		if !isRegularFile(f) {
			return f
		}
	}
	return unresolvedParent(d.Path)
}

// unresolvedParent opens path through its parent locators, as Hyper-V
// does, and returns the parent that cannot be found or does not match, or
// "" when the chain opens (or path is not a readable VHDX).
func unresolvedParent(path string) string {
	d, err := vhdx.Open(path, nil)
	if err == nil {
		d.Close()
		return ""
	}
	if !errors.Is(err, vhdx.ErrParent) && !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	// Walk the chain a file at a time to name the link that fails.
	for range 64 {
		info, err := vhdx.Stat(path)
		if err != nil || !info.IsDifferencing || info.Parent == nil {
			return path
		}
		parent, err := vhdx.DefaultResolver(*info.Parent)
		if err != nil {
			return expectedParent(*info.Parent)
		}
		p, err := vhdx.Stat(parent)
		if err != nil || p.VirtualSize != info.VirtualSize || !linkedTo(*info.Parent, p.DataWriteGUID) {
			return parent
		}
		path = parent
	}
	return path
}

// linkedTo reports whether a parent locator's parent_linkage (or
// parent_linkage2) is the DataWriteGuid g (MS-VHDX 2.6.2.6.3).
func linkedTo(l vhdx.ParentLocator, g uuid.UUID) bool {
	for _, k := range []string{vhdx.KeyParentLinkage, vhdx.KeyParentLinkage2} {
		if v, ok := l.Get(k); ok && len(v) == 38 {
			if u, err := uuid.Parse(v[1:37]); err == nil && u == g {
				return true
			}
		}
	}
	return false
}

// expectedParent is where a parent locator says the parent is: its
// relative_path resolved against the child's folder, else its absolute
// path, else the relative path as written.
func expectedParent(l vhdx.ParentLocator) string {
	if rel, ok := l.Get(vhdx.KeyRelativePath); ok && l.ChildPath != "" {
		return filepath.Join(filepath.Dir(l.ChildPath), filepath.FromSlash(strings.ReplaceAll(rel, `\`, "/")))
	}
	if abs, ok := l.Get(vhdx.KeyAbsoluteWin32Path); ok {
		if p, ok := vhdx.NativePath(abs); ok {
			return p
		}
		return abs
	}
	return "(no parent path in " + l.ChildPath + ")"
}

// fileChain returns the differencing chain of the VHDX at path as its
// parent locators give it, nearest parent first, or ok false when the
// file or a parent cannot be opened.
func fileChain(path string) (parents []string, ok bool) {
	d, err := vhdx.Open(path, nil)
	if err != nil {
		return nil, false
	}
	defer d.Close()
	for p := d.Parent(); p != nil; p = p.Parent() {
		parents = append(parents, p.Info().Path)
	}
	return parents, true
}

// isDifferencing reports whether path is a differencing VHDX.
func isDifferencing(path string) bool {
	info, err := vhdx.Stat(path)
	return err == nil && info.IsDifferencing
}

// refreshChain sets a disk's recorded parents to what its file's parent
// locators say, when the chain opens; otherwise it keeps them.
func refreshChain(d *diskConfig) {
	if parents, ok := fileChain(d.Path); ok {
		d.ParentPaths = parents
	}
}

// refreshChains refreshes the recorded chain of each disk of c.
func refreshChains(c *vmConfig) {
	for i := range c.Disks {
		refreshChain(&c.Disks[i])
	}
}

// chainLink is a copied differencing disk and its copied parent.
type chainLink struct{ child, parent string }

// relinkCopies makes each copied differencing disk find its copied
// parent: a copy keeps the locator of its source, whose relative_path
// (".\base.vhdx") still leads to the parent when both keep their names
// and share a folder, as the copies an export makes do. Where it does
// not — a chain copied into several folders, or from several into one —
// vhdx.SetParentPaths re-points the copy (the relative and the absolute
// path of the copied parent), as Hyper-V does when an import moves a
// chain.
func relinkCopies(links []chainLink) error {
	for _, l := range links {
		info, err := vhdx.Stat(l.child)
		if err != nil || !info.IsDifferencing || info.Parent == nil {
			continue // not a VHDX differencing disk: nothing to re-point
		}
		if sameFile(expectedParent(*info.Parent), l.parent) {
			continue
		}
		relative, err := filepath.Rel(filepath.Dir(l.child), l.parent)
		if err != nil {
			return fmt.Errorf("re-pointing %s at %s: %w", l.child, l.parent, err)
		}
		relative = strings.ReplaceAll(filepath.ToSlash(relative), "/", `\`)
		if !strings.HasPrefix(relative, `..\`) {
			relative = `.\` + relative
		}
		abs, err := filepath.Abs(l.parent)
		if err != nil {
			return err
		}
		if err := vhdx.SetParentPaths(l.child, relative, vhdx.WindowsPath(abs)); err != nil {
			return fmt.Errorf("re-pointing %s at %s: %w", l.child, l.parent, err)
		}
	}
	return nil
}
