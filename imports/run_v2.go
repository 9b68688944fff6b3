package imports

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/internal/failpoint"
	"github.com/hvport/hvport/internal/fcopy"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/internal/progress"
)

// Run imports. v2: planned VM → fix-ups → copy → validate → realize, with
// the planned VM destroyed and copied files removed on any failure or
// cancel. v1: runV1.
//
// Progress: planning 0-5, fix-ups 5-10, copying 10-90 (by bytes),
// validating 90-93, realizing 93-99.
func (p *Plan) Run(ctx context.Context, prog Progress) (err error) {
	if p.s.Driver.API() == hyperv.V1 {
		return p.runV1(ctx, prog)
	}
	for _, w := range p.warnings {
		prog.Warn(w)
	}
	prog.Phase("planning")
	p.Checkpoint() // the initial state, if the plan was not submitted with it
	if before, err := p.s.Driver.PlannedVMs(ctx); err == nil {
		for _, vm := range before {
			p.cp.PlannedBefore = append(p.cp.PlannedBefore, vm.ID)
		}
	}
	p.reached(prog, stepPlanning)
	unlock := p.s.lockVM(p.in.def.VMID) // not while a request reads the same export
	planned, err := p.s.Driver.ImportDefinition(ctx, p.in.def, p.Settings.GenerateNewID, progress.Scale(prog, 0, 5))
	unlock()
	if err != nil {
		p.discardLeftover(ctx, prog)
		return err
	}
	p.cp.PlannedID = planned.ID
	p.reached(prog, stepPlanned)
	failpoint.Hit(failpoint.ImportPlanned)
	p.s.setActive(planned.ID, true)
	defer p.s.setActive(planned.ID, false)
	var copied []string
	defer func() {
		// At shutdown the import is left as it is: the restart decides
		// from its checkpoint (resume.go) — Hyper-V may be realizing it.
		if err != nil && !errors.Is(context.Cause(ctx), errs.ErrShutdown) {
			p.rollback(ctx, prog, planned, copied, err)
		}
	}()

	prog.Phase("fixing-up")
	roots, err := p.fixUp(ctx, planned)
	if err != nil {
		return err
	}
	prog.Progress(10)
	bytes, err := p.copyDisks(ctx, prog, &copied)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errs.Wrap(errs.Cancelled, context.Cause(ctx), "the import was cancelled")
	}
	prog.Phase("validating")
	prog.Progress(90)
	if err := p.validate(ctx, planned); err != nil {
		return err
	}
	prog.Phase("realizing")
	prog.Progress(93)
	p.reached(prog, stepRealizing)
	failpoint.Hit(failpoint.ImportRealizeCalled)
	vm, err := p.s.Driver.RealizePlanned(ctx, planned, progress.Scale(prog, 93, 99))
	if err != nil {
		return err
	}
	logctx.From(ctx, p.s.Log).Info("import completed", zap.String("export", p.in.def.Dir), zap.String("mode", p.Settings.mode()),
		zap.String("vm", vm.Name), zap.String("vm_id", vm.ID), zap.Int("copied", len(copied)))
	res := Result{VM: VMRef{ID: vm.ID, Name: vm.Name}, Mode: p.Settings.mode(), CopiedFiles: len(copied), CopiedBytes: bytes,
		ConfigRoot: roots.Configuration, VMLocation: "/v1/vms/" + vm.ID}
	if p.pull != nil {
		res.Transfer = p.pull.result()
	}
	prog.Result(res)
	return nil
}

// fixUp applies the settings to the planned VM: name and data roots
// (ModifySystemSettings), disk paths and network connections
// (ModifyResourceSettings). Without createCopy the VM lives where the
// export is (the Source* settings); with it, at the Target* places.
func (p *Plan) fixUp(ctx context.Context, planned *hyperv.Planned) (hyperv.DataRoots, error) {
	st, d := p.Settings, p.s.Driver
	roots := hyperv.DataRoots{Configuration: st.SourceVmDataRoot, Snapshot: st.SourceSnapshotDataRoot, SwapFile: st.SourceVmDataRoot}
	if st.CreateCopy {
		roots = hyperv.DataRoots{Configuration: st.TargetVmDataRoot, Snapshot: st.TargetSnapshotDataRoot, SwapFile: st.TargetVmDataRoot}
	}
	if err := d.ModifyPlanned(ctx, planned, st.Name, roots); err != nil {
		return roots, err
	}
	for _, disk := range planned.Disks {
		i := indexFold(st.CurrentResourcePaths, disk.Path)
		if i < 0 {
			continue
		}
		want := st.SourceResourcePaths[i]
		if st.CreateCopy {
			want = st.TargetResourcePaths[i]
		}
		if want != disk.Path {
			if err := d.SetDiskPath(ctx, disk, want); err != nil {
				return roots, err
			}
		}
	}
	for i, nic := range planned.NICs {
		if i >= len(st.TargetNetworkConnections) {
			break
		}
		target := st.TargetNetworkConnections[i]
		path := ""
		if target != "" {
			path = p.switchPath(target)
		}
		if path == nic.SwitchPath && nic.Connected == (target != "") {
			continue
		}
		if err := d.ConnectNIC(ctx, nic, path); err != nil {
			return roots, err
		}
	}
	return roots, nil
}

// copyDisks copies the disks for createCopy with the service's copy engine
// (in the v2 flow Hyper-V leaves copying to the caller), recording each
// file in *copied before it is written so a rollback removes it, and
// re-points copied chains. It returns the bytes copied.
func (p *Plan) copyDisks(ctx context.Context, prog Progress, copied *[]string) (int64, error) {
	if len(p.copies) == 0 {
		return 0, nil
	}
	prog.Phase("copying")
	copyFile := p.s.CopyFile
	if copyFile == nil {
		copyFile = fcopy.Copy
	}
	var total, done int64
	for _, c := range p.copies {
		if fi, err := os.Stat(c.src); err == nil {
			total += fi.Size()
		}
	}
	for i, c := range p.copies {
		base := done
		*copied = append(*copied, c.dst)
		p.cp.Copied = append(p.cp.Copied, c.dst)
		prog.Checkpoint(p.Checkpoint()) // before the file exists: a rollback finds it
		if err := copyFile(ctx, c.src, c.dst, func(n int64) {
			prog.Bytes(base+n, total)
			if total > 0 {
				prog.Progress(10 + int((base+n)*80/total))
			}
		}); err != nil {
			if ctx.Err() != nil {
				return done, errs.Wrap(errs.Cancelled, context.Cause(ctx), "the import was cancelled while copying %s", c.src)
			}
			return done, errs.Wrap(errs.HostFailed, err, "copy %s to %s", c.src, c.dst)
		}
		if fi, err := os.Stat(c.dst); err == nil {
			done += fi.Size()
		}
		if i == 0 {
			failpoint.Hit(failpoint.ImportCopied)
		}
	}
	return done, repointChains(p.copies)
}

// validate runs ValidatePlannedSystem; incompatibilities fail the import
// with the list (GET /v1/import-settings shows a fix for each).
func (p *Plan) validate(ctx context.Context, planned *hyperv.Planned) error {
	found, err := p.s.Driver.ValidatePlanned(ctx, planned)
	if err != nil || len(found) == 0 {
		return err
	}
	list := make([]map[string]string, len(found))
	msgs := make([]string, len(found))
	for i, f := range found {
		list[i] = map[string]string{"messageId": f.MessageID, "message": f.Message, "source": f.Source}
		msgs[i] = f.Message
	}
	return &errs.Error{Kind: errs.Invalid, Msg: "Hyper-V found the import incompatible with this host: " + strings.Join(msgs, "; ") + " (GET /v1/import-settings shows fixes)",
		Extra: map[string]any{"incompatibilities": list}}
}

// rollback discards the planned VM and removes copied files, and says in
// the job what it cleaned up.
func (p *Plan) rollback(ctx context.Context, prog Progress, planned *hyperv.Planned, copied []string, cause error) {
	prog.Phase("cleaning-up")
	var done []string
	if derr := p.s.Driver.DestroyPlanned(ctx, planned); derr != nil {
		prog.Warn("cleanup: could not discard planned VM " + planned.ID + ": " + derr.Error())
	} else {
		done = append(done, "discarded planned VM "+planned.ID)
	}
	removed := 0
	for _, f := range copied {
		if rerr := os.Remove(f); rerr == nil {
			removed++
		} else if !os.IsNotExist(rerr) {
			prog.Warn("cleanup: could not remove " + f + ": " + rerr.Error())
		}
	}
	if len(copied) > 0 {
		done = append(done, fmt.Sprintf("removed %d copied file(s)", removed))
	}
	if len(done) > 0 {
		prog.Warn("cleaned up: " + strings.Join(done, "; "))
	}
	logctx.From(ctx, p.s.Log).Info("import rolled back", zap.String("export", p.in.def.Dir), zap.Strings("cleanup", done), zap.Error(cause))
}
