package exports

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/internal/atomicfile"
	"github.com/hvport/hvport/internal/failpoint"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/internal/progress"
	"github.com/hvport/hvport/roots"
	"github.com/hvport/hvport/vhdx"
	"github.com/hvport/hvport/wmi"
)

// Progress is what an export job reports to (the job registry's Reporter
// satisfies it).
type Progress = progress.Reporter

// Result is what a completed export job links to. Its counts have the
// export resource's names (fileCount, totalBytes).
type Result struct {
	ExportID   string `json:"exportId"`
	Directory  string `json:"directory"`
	Export     string `json:"export"` // the export resource's URL path
	FileCount  int    `json:"fileCount"`
	TotalBytes int64  `json:"totalBytes"`
}

// Service runs exports: the driver writes, the store publishes.
type Service struct {
	Driver *hyperv.Driver
	Store  *Store
	Log    *zap.Logger
	// Host names the Hyper-V host in manifests.
	Host string
	// ForgottenJobOutput: ForgottenPublish ("" too) or ForgottenDiscard
	// (resume.go).
	ForgottenJobOutput string
}

// Request is a validated export request.
type Request struct {
	VM        hyperv.VM
	Directory string
	Settings  hyperv.ExportSettings
	// SettingsView is the settings as the API shows them; it goes into
	// the manifest.
	SettingsView any
	// Overwrite replaces an existing export at the destination: the new
	// one is published first, then the old one retired.
	Overwrite bool
	// ID is the export's id; "" for a new one. A caller that names the
	// destination after the export (a default directory) picks it first.
	ID string
}

// Plan is an export ready to run. It holds the claim on its destination
// until Run returns or Release is called.
type Plan struct {
	s        *Service
	ID       string
	Req      Request
	Final    string // where the export is published
	staging  string // Hyper-V's ExportDirectory
	layout   string // where Hyper-V's layout lands inside staging
	hv       *hyperv.ExportPlan
	released bool
	// root is the export root the destination is in.
	root string
	// started is when the export began (the manifest's startedAt).
	started time.Time
	// step is the last step its checkpoint recorded (resume.go).
	step string
	// need is the preflight's estimate of the export's size and free what
	// the destination's volume had then (0 when unknown).
	need int64
	free uint64
}

// Plan validates a request against the export roots, the destination, the
// driver's rules and the free space, and claims the destination.
func (s *Service) Plan(ctx context.Context, req Request) (*Plan, error) {
	where, err := s.Store.Resolve("directory", req.Directory)
	if err != nil {
		return nil, err
	}
	// From here on the canonical path, never the client's spelling.
	dir := where.Abs
	final := dir
	if req.Settings.CreateVmExportSubdirectory {
		// A VM name becomes a path component only if it passes the same
		// rules as a client's (security-anchors P6: "..", "CON", "a:b").
		if err := roots.CheckName(roots.Native(), req.VM.Name); err != nil {
			return nil, errs.Field("settings.createVmExportSubdirectory", "the VM's name "+`"`+req.VM.Name+`"`+" cannot be used as a directory name ("+err.Error()+"); export without a subdirectory")
		}
		final = filepath.Join(dir, req.VM.Name)
	}
	// The staging directory lives next to the destination: a destination
	// that is a root itself would be staged in the root's parent, outside
	// every root.
	if s.Store.set.IsRoot(final) {
		return nil, errs.Field("directory", "is an export root itself; export into a directory below it (e.g. "+filepath.Join(final, req.VM.ID)+"), or set createVmExportSubdirectory")
	}
	if err := checkDestination(final, req.Overwrite); err != nil {
		return nil, err
	}
	id := req.ID
	if id == "" {
		id = uuid.NewString()
	}
	if err := s.Store.claim(final, id); err != nil {
		return nil, err
	}
	p := &Plan{s: s, ID: id, Req: req, Final: final, root: where.Root, staging: filepath.Join(filepath.Dir(final), hiddenName(stagingPrefix, id, final))}
	s.Store.useStaging(p.staging)
	p.layout = p.staging
	if req.Settings.CreateVmExportSubdirectory {
		p.layout = filepath.Join(p.staging, req.VM.Name)
	}
	hv, err := s.Driver.PrepareExport(ctx, req.VM, p.staging, req.Settings)
	if err != nil {
		p.Release()
		return nil, err
	}
	p.hv = hv
	if err := s.checkSpace(ctx, p); err != nil {
		p.Release()
		return nil, err
	}
	return p, nil
}

// checkDestination allows a missing or empty destination, and an existing
// hvport export when overwrite is set; anything else is a Conflict.
func checkDestination(final string, overwrite bool) error {
	entries, err := os.ReadDir(final)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, syscall.ENAMETOOLONG):
		return errs.Field("directory", "the path is too long for the host's file system")
	case err != nil:
		return &errs.Error{Kind: errs.Conflict, Msg: "the destination " + final + " exists and is not a usable directory", Err: err,
			Extra: map[string]any{"target": final}}
	case len(entries) == 0:
		return nil
	}
	if _, merr := readManifest(final); merr != nil {
		return &errs.Error{Kind: errs.Conflict, Msg: "the destination " + final + " already exists and is not an hvport export; choose another directory",
			Extra: map[string]any{"target": final}}
	}
	if !overwrite {
		return &errs.Error{Kind: errs.Conflict, Msg: "an export already exists at " + final + "; set \"overwrite\": true to replace it",
			Extra: map[string]any{"target": final}}
	}
	return nil
}

// checkSpace refuses, before any Hyper-V call, an export that cannot fit.
func (s *Service) checkSpace(ctx context.Context, p *Plan) error {
	need, err := s.Driver.EstimateExportBytes(ctx, p.Req.VM, p.Req.Settings)
	if err != nil {
		return err
	}
	p.need = need
	avail, err := s.freeSpace(p.Final)
	p.free = avail
	if err != nil {
		logctx.From(ctx, s.Log).Warn("cannot read free space; skipping the preflight", zap.String("dir", p.Final), zap.Error(err))
		return nil
	}
	if uint64(need) > avail {
		return &errs.Error{Kind: errs.InsufficientStorage,
			Msg:   "the export needs about " + humanBytes(uint64(need)) + " but only " + humanBytes(avail) + " are free on the destination's volume",
			Extra: map[string]any{"requiredBytes": need, "availableBytes": avail}}
	}
	return nil
}

// freeSpace asks about the nearest existing ancestor of path.
func (s *Service) freeSpace(path string) (uint64, error) {
	for p := path; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			return s.Store.freeSpace(p)
		}
		if filepath.Dir(p) == p {
			return s.Store.freeSpace(p)
		}
	}
}

// Release gives up the destination without running.
func (p *Plan) Release() {
	if p.released {
		return
	}
	p.released = true
	if p.hv != nil {
		p.hv.Release()
	}
	p.s.Store.release(p.Final)
	p.s.Store.doneStaging(p.staging)
}

// Run exports into the staging directory, verifies and hashes the files,
// writes the manifest and publishes. On failure or cancellation the
// staging directory is removed and the destination is untouched. At each
// step it leaves a checkpoint (resume.go) from which a restarted server
// finishes the export.
func (p *Plan) Run(ctx context.Context, prog Progress) (err error) {
	defer p.Release()
	defer p.removeStagingOnFailure(ctx, &err, prog)
	p.started = time.Now().UTC()
	p.reached(prog, stepPlanned)
	if err := p.runHyperV(ctx, prog); err != nil {
		return err
	}
	return p.finish(ctx, prog)
}

// runHyperV is Hyper-V's part: 0-90% of the job. Hyper-V reports only a
// percentage: bytes are estimated from it and the plan's size.
func (p *Plan) runHyperV(ctx context.Context, prog Progress) error {
	if err := p.hv.Run(ctx, progress.EstimateBytes(progress.Scale(prog, 0, 90), p.need)); err != nil {
		return p.explainDiskFull(err)
	}
	failpoint.Hit(failpoint.ExportHyperVFinished)
	p.reached(prog, stepCopied)
	return nil
}

// removeStagingOnFailure removes the staging directory when the export
// failed — not when the server is shutting down (whatever step it was in,
// and whatever error that step made of it): a restart resumes it.
func (p *Plan) removeStagingOnFailure(ctx context.Context, err *error, prog Progress) {
	if *err == nil || errors.Is(*err, errs.ErrShutdown) || errors.Is(context.Cause(ctx), errs.ErrShutdown) {
		return
	}
	if rerr := os.RemoveAll(p.staging); rerr != nil {
		logctx.From(ctx, p.s.Log).Error("cannot remove the staging directory", zap.String("staging", p.staging), zap.Error(rerr))
		prog.Warn("cleanup incomplete: " + rerr.Error())
	}
}

// finish checks, hashes and publishes what Hyper-V wrote: 90-100%.
func (p *Plan) finish(ctx context.Context, prog Progress) error {
	prog.Phase("verifying")
	files, total, err := hashTree(ctx, p.layout, progress.Scale(prog, 90, 99))
	if err != nil {
		return err
	}
	failpoint.Hit(failpoint.ExportHashed)
	if err := p.checkLayout(files); err != nil {
		return err
	}
	m := &Manifest{
		Format: manifestFormat, ID: p.ID, VM: VMRef{ID: p.Req.VM.ID, Name: p.Req.VM.Name},
		Host: p.s.Host, APIVersion: string(p.s.Driver.API()), Settings: p.Req.SettingsView,
		StartedAt: p.started, FinishedAt: time.Now().UTC(), TotalBytes: total, Files: files,
	}
	prog.Phase("publishing")
	if err := writeManifest(p.layout, m); err != nil {
		return errs.Wrap(errs.Internal, err, "write the export manifest")
	}
	failpoint.Hit(failpoint.ExportManifest)
	p.reached(prog, stepManifest)
	if err := p.publish(ctx); err != nil {
		return err
	}
	logctx.From(ctx, p.s.Log).Info("export published", zap.String("export_id", p.ID), zap.String("final", p.Final), zap.Int("files", len(files)), zap.Int64("bytes", total))
	prog.Result(p.result(len(files), total))
	return nil
}

// result is what the job links to once the export is published.
func (p *Plan) result(files int, total int64) Result {
	return Result{ExportID: p.ID, Directory: p.Final, Export: "/v1/exports/" + p.ID, FileCount: files, TotalBytes: total}
}

// checkLayout makes sure the layout is an export of the VM: its
// configuration is there and every VHDX is sound.
func (p *Plan) checkLayout(files []File) error {
	configID := p.Req.VM.ID
	if p.Req.Settings.CopySnapshotConfiguration == hyperv.SnapshotMode(wmi.ExportOneSnapshot) {
		// A single checkpoint is exported as a VM of its own, under the
		// checkpoint's id (only ExportOneSnapshotForBackup keeps the
		// VM's id, docs/HYPERV.md#v2-export-settings).
		configID = p.Req.Settings.SnapshotVirtualSystem
	}
	if err := checkLayout(p.layout, configID, files); err != nil {
		return err
	}
	return checkDisks(p.layout, files)
}

// publish moves the finished layout to its final name; an old export there
// is renamed aside first and removed after.
func (p *Plan) publish(ctx context.Context) error {
	var retired string
	if entries, err := os.ReadDir(p.Final); err == nil {
		if len(entries) == 0 {
			if err := os.Remove(p.Final); err != nil {
				return errs.Wrap(errs.Internal, err, "publish the export")
			}
		} else {
			retired = filepath.Join(filepath.Dir(p.Final), hiddenName(retiredPrefix, p.ID, p.Final))
			if err := os.Rename(p.Final, retired); err != nil {
				return errs.Wrap(errs.Internal, err, "move the old export aside")
			}
		}
	}
	if err := os.Rename(p.layout, p.Final); err != nil {
		if retired != "" {
			os.Rename(retired, p.Final) // put the old export back
		}
		return errs.Wrap(errs.Internal, err, "publish the export")
	}
	if err := atomicfile.SyncDir(filepath.Dir(p.Final)); err != nil {
		logctx.From(ctx, p.s.Log).Warn("cannot flush the export's parent directory", zap.Error(err))
	}
	failpoint.Hit(failpoint.ExportRenamed)
	p.removeLeftovers(ctx)
	failpoint.Hit(failpoint.ExportCleanedUp)
	return nil
}

// removeLeftovers removes, once the export is published, the export it
// replaced and the staging directory (empty, or gone, once the layout
// moved out).
func (p *Plan) removeLeftovers(ctx context.Context) {
	retired := filepath.Join(filepath.Dir(p.Final), hiddenName(retiredPrefix, p.ID, p.Final))
	if err := os.RemoveAll(retired); err != nil {
		logctx.From(ctx, p.s.Log).Warn("cannot remove the replaced export", zap.String("dir", retired), zap.Error(err))
	}
	os.RemoveAll(p.staging)
}

// checkLayout makes sure Hyper-V really wrote an export: the VM's
// configuration is there (v2 .vmcx / 2012 .xml / v1 .exp).
func checkLayout(root, vmID string, files []File) error {
	for _, f := range files {
		dir, name := filepathSplit(f.Path)
		if dir == "Virtual Machines" && strings.EqualFold(strings.TrimSuffix(name, filepath.Ext(name)), vmID) {
			switch strings.ToLower(filepath.Ext(name)) {
			case ".vmcx", ".xml", ".exp":
				return nil
			}
		}
	}
	return errs.E(errs.HostFailed, "Hyper-V reported the export as complete, but %s has no Virtual Machines/%s configuration", root, vmID)
}

func filepathSplit(slashPath string) (dir, name string) {
	i := strings.LastIndex(slashPath, "/")
	if i < 0 {
		return "", slashPath
	}
	return slashPath[:i], slashPath[i+1:]
}

// checkDisks validates every VHDX of the export (headers, region tables,
// metadata, BAT: vhdx.Check) before it is published, so a damaged disk is
// a failed export rather than a surprise at import time. Other disk
// formats (.vhd of older hosts) are not checked.
func checkDisks(root string, files []File) error {
	for _, f := range files {
		switch strings.ToLower(filepath.Ext(f.Path)) {
		case ".vhdx", ".avhdx":
			if err := vhdx.Check(filepath.Join(root, filepath.FromSlash(f.Path))); err != nil {
				return errs.Wrap(errs.HostFailed, err, "the exported disk %s is not a valid VHDX", f.Path)
			}
		}
	}
	return nil
}

// explainDiskFull says, for an export that ran out of space, on which
// volume and how much it needed (as far as the preflight knew).
func (p *Plan) explainDiskFull(err error) error {
	if !errs.Is(err, errs.InsufficientStorage) {
		return err
	}
	msg := "the export ran out of space on the volume that holds " + p.root
	extra := map[string]any{"volume": p.root}
	if p.need > 0 {
		msg += ": it needs about " + humanBytes(uint64(p.need))
		extra["requiredBytes"] = p.need
		if p.free > 0 {
			msg += ", and " + humanBytes(p.free) + " were free when it started"
			extra["availableBytes"] = p.free
		}
	}
	var e *errs.Error
	if errors.As(err, &e) {
		for k, v := range e.Extra {
			extra[k] = v
		}
	}
	return &errs.Error{Kind: errs.InsufficientStorage, Msg: msg + " (" + errs.Message(err) + ")", Extra: extra, Err: err}
}
