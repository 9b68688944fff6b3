package sim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hvport/hvport/vhdx"
	"github.com/hvport/hvport/wmi"
)

// The export job: it writes the plan (export_plan.go) with the copy engine,
// reports PercentComplete as bytes read / bytes to read — the files it
// copies, and for each disk it merges the pieces of the chain that hold
// data (vhdx.MergeLength) — re-points copied differencing disks at their
// copied parents where needed (disks.go), and on any
// failure or stop removes everything it created — and nothing else: it
// never overwrites a file (a target .vmcx that exists already fails the job
// at once with ErrorCode 32768 and "The file exists", touching nothing),
// and it removes only folders it created itself.

func (h *Host) exportWork(p *exportPlan) jobWork {
	return h.undoOnFailure("partial export", func(ctx context.Context, j *job, out *createdPaths) error {
		return h.writeExport(ctx, j, p, out)
	})
}

func (h *Host) writeExport(ctx context.Context, j *job, p *exportPlan, out *createdPaths) error {
	fail := func(format string, args ...any) error {
		return &jobFailure{code: uint16(wmi.ReturnFailed),
			summary:     fmt.Sprintf("Failed to export virtual machine '%s'.", p.vmName),
			description: fmt.Sprintf("'%s' failed to export: ", p.vmName) + fmt.Sprintf(format, args...) + fmt.Sprintf(" (Virtual machine ID %s)", p.vmID)}
	}
	if p.mustExist {
		if fi, err := os.Stat(p.exportDir); err != nil || !fi.IsDir() {
			return fail("'%s': The system cannot find the path specified. (0x80070003)", p.exportDir)
		}
	}
	if vmcx := filepath.Join(p.root, p.configRel); exists(vmcx) {
		return fail("'%s': The file exists. (0x80070050)", vmcx)
	}
	var total int64
	for _, c := range p.copies {
		n, err := copySize(c)
		if err != nil {
			return fail("cannot read '%s': %v", c.src, err)
		}
		total += n
	}
	progress := &jobProgress{h: h, j: j, total: total, fault: p.fault, summary: "Failed to export virtual machine."}
	if err := progress.check(0); err != nil {
		return err
	}
	dirs := p.folders()
	for _, d := range dirs {
		if err := out.mkdirAll(filepath.Join(p.root, d)); err != nil {
			return fail("cannot create folder: %v", err)
		}
	}
	engine := h.jobCopyEngine(j) // throttled, disk space: diskfull.go
	for _, c := range p.copies {
		dst := filepath.Join(p.root, c.dst)
		run, verb := engine.copyFile, "copy"
		if c.merge {
			run, verb = engine.mergeChain, "merge"
		}
		err := run(ctx, c.src, dst, out.addFile, progress.add)
		var f *jobFailure
		switch {
		case err == nil:
		case ctx.Err() != nil, errors.As(err, &f):
			return err
		default:
			return fail("cannot %s '%s' to '%s': %v", verb, c.src, dst, err)
		}
	}
	if err := relinkCopies(p.links()); err != nil {
		return fail("%v", err)
	}
	for _, c := range p.configs {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if err := writeNewFile(filepath.Join(p.root, c.rel), c.data, out.addFile); err != nil {
			return fail("cannot write '%s': %v", c.rel, err)
		}
	}
	for _, d := range append(dirs, ".") {
		if err := syncDir(filepath.Join(p.root, d)); err != nil {
			return fail("cannot flush '%s': %v", d, err)
		}
	}
	if err := progress.check(100); err != nil {
		return err
	}
	return h.completeJob(ctx, j)
}

// copySize is what a copy reads: the file's size, or for a merge the
// pieces of the chain that hold data.
func copySize(c exportCopy) (int64, error) {
	if c.merge {
		return vhdx.MergeLength(c.src, nil)
	}
	fi, err := os.Stat(c.src)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// folders are the folders an export writes into, relative to its root:
// the three every export creates, then any other that holds a file of the
// plan (v1's Virtual Machines\<VM GUID>\ for saved state).
func (p *exportPlan) folders() []string {
	dirs := append([]string(nil), exportDirs...)
	seen := map[string]bool{".": true}
	for _, d := range dirs {
		seen[d] = true
	}
	add := func(rel string) {
		if d := filepath.Dir(rel); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	for _, c := range p.copies {
		add(c.dst)
	}
	for _, c := range p.configs {
		add(c.rel)
	}
	return dirs
}

// writeNewFile creates path (which must not exist) with data, fsynced.
func writeNewFile(path string, data []byte, created func(string)) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	created(path)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// createdPaths records the files and folders a job created, so that a
// failed or stopped job removes exactly those.
type createdPaths struct {
	files []string
	dirs  []string // in creation order, parents first
}

func (c *createdPaths) addFile(path string) { c.files = append(c.files, path) }

// mkdirAll creates dir and its missing parents, recording each one made.
func (c *createdPaths) mkdirAll(dir string) error {
	var missing []string
	for d := dir; !exists(d); d = filepath.Dir(d) {
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue // made by someone else meanwhile: not ours to remove
			}
			return err
		}
		c.dirs = append(c.dirs, missing[i])
	}
	return nil
}

// remove deletes the recorded files, then the recorded folders, newest
// first. A folder that is not empty (someone else wrote into it) stays.
func (c *createdPaths) remove() error {
	var errs []error
	for i := len(c.files) - 1; i >= 0; i-- {
		if err := os.Remove(c.files[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for i := len(c.dirs) - 1; i >= 0; i-- {
		os.Remove(c.dirs[i]) // fails, harmlessly, if not empty
	}
	return errors.Join(errs...)
}
