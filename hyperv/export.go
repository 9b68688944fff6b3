package hyperv

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/failpoint"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/wmi"
)

// Progress is how an operation reports to whoever runs it (the job
// registry's Reporter satisfies it).
type Progress interface {
	Phase(name string)
	Progress(percent int)
	WMIJob(path string)
	Warn(msg string)
}

// ExportPlan is a validated export, ready to run. It holds a claim on its
// target folder until Run returns or Release is called, so two exports
// cannot write into the same place.
type ExportPlan struct {
	d        *Driver
	VM       VM
	Dir      string // ExportDirectory as given to Hyper-V
	Target   string // where the export layout lands: Dir, or Dir/<VM name>
	Settings ExportSettings

	settingData *wmi.Object // Hyper-V's default instance, to be edited
	refs        exportRefs
	released    bool
}

// PrepareExport validates an export and claims its target folder. dir must
// be absolute. It fails with Conflict when the target folder already holds
// files or another export is writing to it.
func (d *Driver) PrepareExport(ctx context.Context, vm VM, dir string, s ExportSettings) (*ExportPlan, error) {
	if !filepath.IsAbs(dir) {
		return nil, errs.Field("directory", "must be an absolute path on the Hyper-V host")
	}
	dir = filepath.Clean(dir)
	o, err := d.exportSettingData(ctx, vm)
	if err != nil {
		return nil, err
	}
	refs, err := d.validateExport(ctx, vm, s, settingsFrom(o))
	if err != nil {
		return nil, err
	}
	target := dir
	if s.CreateVmExportSubdirectory {
		// Hyper-V names the subdirectory after the VM (docs/HYPERV.md#export-layout).
		target = filepath.Join(dir, vm.Name)
	}
	if err := checkTargetEmpty(target); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, busy := d.exportTargets[target]; busy {
		return nil, &errs.Error{Kind: errs.Conflict, Msg: "another export is already writing to " + target,
			Extra: map[string]any{"target": target}}
	}
	d.exportTargets[target] = struct{}{}
	return &ExportPlan{d: d, VM: vm, Dir: dir, Target: target, Settings: s, settingData: o, refs: refs}, nil
}

// checkTargetEmpty refuses a target folder that exists and is not empty:
// an export never mixes its files with someone else's, and cleanup after a
// failure then only removes what the export wrote.
func checkTargetEmpty(target string) error {
	entries, err := os.ReadDir(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) && errors.Is(err, fs.ErrPermission) {
			return errs.Wrap(errs.Invalid, err, "the export target %s is not readable by the service", target)
		}
		// A file (not a directory) in the way, or similar.
		return &errs.Error{Kind: errs.Conflict, Msg: "the export target " + target + " exists and is not a usable directory", Err: err,
			Extra: map[string]any{"target": target}}
	case len(entries) > 0:
		return &errs.Error{Kind: errs.Conflict, Msg: "the export target " + target + " already exists and is not empty; choose another directory or remove it",
			Extra: map[string]any{"target": target}}
	}
	return nil
}

// Release gives up the claim on the target folder without running. It is
// safe to call after Run.
func (p *ExportPlan) Release() {
	p.d.mu.Lock()
	defer p.d.mu.Unlock()
	if !p.released {
		delete(p.d.exportTargets, p.Target)
		p.released = true
	}
}

// Run performs the export: create the directory, call the export method,
// follow the Hyper-V job with progress, and on failure or cancellation
// remove everything the export created. When ctx is cancelled with cause
// errs.ErrShutdown it stops watching and leaves the Hyper-V job running.
func (p *ExportPlan) Run(ctx context.Context, prog Progress) (err error) {
	defer p.Release()
	d := p.d
	log := logctx.From(ctx, d.log).With(zap.String("vm", p.VM.Name), zap.String("target", p.Target))

	prog.Phase("preparing")
	undo, err := prepareTarget(p.Dir, p.Target)
	if err != nil {
		return err
	}
	defer func() {
		if err == nil || errors.Is(err, errs.ErrShutdown) || errors.Is(context.Cause(ctx), errs.ErrShutdown) {
			return
		}
		prog.Phase("cleaning-up")
		if cerr := undo(); cerr != nil {
			log.Error("export cleanup incomplete", zap.Error(cerr))
			prog.Warn("cleanup incomplete: " + cerr.Error())
		} else {
			log.Info("removed partial export output")
		}
	}()

	text, err := d.encodeExportSettings(ctx, p.settingData.Clone(), p.Settings, p.refs)
	if err != nil {
		return err
	}
	svc, err := d.managementService(ctx)
	if err != nil {
		return err
	}
	method := "ExportSystemDefinition"
	if d.api == V1 {
		method = "ExportVirtualSystemEx"
	}
	if ctx.Err() != nil {
		return errs.Wrap(errs.Cancelled, context.Cause(ctx), "the export was cancelled before it started")
	}
	prog.Phase("exporting")
	// The call itself is not cancelled with ctx: once Hyper-V may have
	// started a job we must learn its path so a cancel can kill it.
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	out, err := d.execMethod(callCtx, svc, method, wmi.Params{
		"ComputerSystem":    p.VM.Path,
		"ExportDirectory":   p.Dir,
		"ExportSettingData": text,
	})
	if err != nil {
		return fromWMI("export", err)
	}
	failpoint.Hit(failpoint.ExportHyperVCalled)
	jobPath, err := wmi.CheckReturn(method, svc, out, false)
	if err != nil {
		return fromWMI("export", err)
	}
	if jobPath != "" {
		prog.WMIJob(jobPath)
		failpoint.Hit(failpoint.ExportWMIJobRecorded)
		if err := d.waitJob(ctx, "export", jobPath, prog, log); err != nil {
			return err
		}
	}
	prog.Progress(100)
	log.Info("export finished")
	return nil
}

// prepareTarget creates the export directory (Microsoft's samples create it
// before calling; whether VMMS would is UNCERTAIN, docs/HYPERV.md#pitfall-paths) and returns
// a function that removes whatever the export added: the target folder if
// it did not exist, its contents if it was empty, and the directories
// created here.
func prepareTarget(dir, target string) (undo func() error, err error) {
	created, err := mkdirAllTracked(dir)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "cannot create the export directory %s", dir)
	}
	_, statErr := os.Stat(target)
	targetExisted := statErr == nil
	return func() error {
		var first error
		keep := func(e error) {
			if e != nil && first == nil {
				first = e
			}
		}
		if targetExisted {
			entries, err := os.ReadDir(target)
			keep(err)
			for _, e := range entries {
				keep(os.RemoveAll(filepath.Join(target, e.Name())))
			}
		} else {
			keep(os.RemoveAll(target))
		}
		// Remove the directories created above, deepest first, only if
		// empty: something else may have appeared in them meanwhile.
		for i := len(created) - 1; i >= 0; i-- {
			if err := os.Remove(created[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
				break
			}
		}
		return first
	}, nil
}

// mkdirAllTracked is os.MkdirAll that reports which directories it made,
// outermost first.
func mkdirAllTracked(dir string) ([]string, error) {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	created := make([]string, 0, len(missing))
	for i := len(missing) - 1; i >= 0; i-- {
		created = append(created, missing[i])
	}
	return created, nil
}
