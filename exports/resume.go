package exports

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/internal/progress"
)

// Finishing an export a previous process started. The job's record holds
// the plan's Checkpoint (written before the 202, and again at each step)
// and the Hyper-V job's path once known; a restarted server decides from
// them and from what is on disk:
//
//	published already (the destination holds this export's manifest)
//	  → completed, nothing to do;
//	manifest written in staging → publish;
//	Hyper-V's part done → hash, check, write the manifest, publish;
//	Hyper-V job recorded, or found through the VM (the process stopped
//	  between the call and recording its path) → follow it, then finish;
//	Hyper-V no longer knows the job (it ended TimeBeforeRemoval ago, or
//	  the host restarted) → a staging layout that passes the checks
//	  (configuration present, every VHDX sound) is finished and published
//	  with a warning; a partial one fails the job as interrupted and is
//	  removed; an empty one means Hyper-V never started: start over;
//	Hyper-V never called → start over.
//
// Shutdown never cancels the Hyper-V job; a cancel asked for before the
// restart kills it, as before.

// What to do with the output of an export whose Hyper-V job Hyper-V no
// longer knows (Service.ForgottenJobOutput).
const (
	ForgottenPublish = "publish" // check it and publish it (the default)
	ForgottenDiscard = "discard" // remove it and fail the job
)

// Steps a checkpoint records.
const (
	stepPlanned  = "planned"  // claimed and validated; Hyper-V not called yet (or not known to be)
	stepCopied   = "copied"   // the Hyper-V job completed: the layout is in staging
	stepManifest = "manifest" // the manifest is written in staging: only the rename is left
)

// Checkpoint is an export's resume state.
type Checkpoint struct {
	Step         string                `json:"step"`
	ExportID     string                `json:"exportId"`
	VM           VMRef                 `json:"vm"`
	Final        string                `json:"final"`
	Staging      string                `json:"staging"`
	Layout       string                `json:"layout"`
	Root         string                `json:"root"`
	Settings     hyperv.ExportSettings `json:"settings"`
	SettingsView json.RawMessage       `json:"settingsView,omitempty"`
	Overwrite    bool                  `json:"overwrite,omitempty"`
	NeedBytes    int64                 `json:"needBytes,omitempty"`
	FreeBytes    uint64                `json:"freeBytes,omitempty"`
	StartedAt    time.Time             `json:"startedAt,omitzero"`
}

// Checkpoint is the plan's resume state (jobs.Spec.Checkpoint at submit).
func (p *Plan) Checkpoint() Checkpoint {
	step := p.step
	if step == "" {
		step = stepPlanned
	}
	view, _ := json.Marshal(p.Req.SettingsView)
	return Checkpoint{Step: step, ExportID: p.ID, VM: VMRef{ID: p.Req.VM.ID, Name: p.Req.VM.Name}, Final: p.Final,
		Staging: p.staging, Layout: p.layout, Root: p.root, Settings: p.Req.Settings, SettingsView: view,
		Overwrite: p.Req.Overwrite, NeedBytes: p.need, FreeBytes: p.free, StartedAt: p.started}
}

// reached records a step in the job's checkpoint.
func (p *Plan) reached(prog Progress, step string) {
	p.step = step
	prog.Checkpoint(p.Checkpoint())
}

// Resume rebuilds an export a restart interrupted, from its job's last
// checkpoint and recorded Hyper-V job, and claims its destination and
// staging directory at once (so a sweep leaves them alone); the returned
// function does the rest, as a job's work.
func (s *Service) Resume(raw json.RawMessage, wmiJob string, submitted time.Time) (func(context.Context, Progress) error, error) {
	var cp Checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil || cp.ExportID == "" || cp.Final == "" || cp.Staging == "" {
		return nil, errs.E(errs.Interrupted, "the job's record holds no usable resume state")
	}
	if err := s.Store.claim(cp.Final, cp.ExportID); err != nil {
		return nil, err
	}
	s.Store.useStaging(cp.Staging)
	p := &Plan{s: s, ID: cp.ExportID, step: cp.Step, Final: cp.Final, staging: cp.Staging, layout: cp.Layout, root: cp.Root,
		need: cp.NeedBytes, free: cp.FreeBytes, started: cp.StartedAt,
		Req: Request{VM: hyperv.VM{ID: cp.VM.ID, Name: cp.VM.Name}, Directory: cp.Final, Settings: cp.Settings,
			SettingsView: cp.SettingsView, Overwrite: cp.Overwrite}}
	return func(ctx context.Context, prog Progress) (err error) {
		defer p.Release()
		defer p.removeStagingOnFailure(ctx, &err, prog)
		since := p.started
		if since.IsZero() {
			since, p.started = submitted, time.Now().UTC()
		}
		return p.resume(ctx, cp.Step, wmiJob, since, prog)
	}, nil
}

func (p *Plan) resume(ctx context.Context, step, wmiJob string, since time.Time, prog Progress) error {
	log := logctx.From(ctx, p.s.Log).With(zap.String("export_id", p.ID), zap.String("step", step))
	if m, err := readManifest(p.Final); err == nil && m.ID == p.ID {
		// The rename happened; the record did not say so yet.
		log.Info("resumed export was already published")
		p.removeLeftovers(ctx)
		prog.Result(p.result(len(m.Files), m.TotalBytes))
		return nil
	}
	if step == stepManifest {
		if m, err := readManifest(p.layout); err == nil && m.ID == p.ID {
			prog.Phase("publishing")
			if err := p.publish(ctx); err != nil {
				return err
			}
			prog.Result(p.result(len(m.Files), m.TotalBytes))
			return nil
		}
	}
	if step == stepCopied || step == stepManifest {
		return p.finish(ctx, prog)
	}
	// Hyper-V's part: was it started, and is it still known?
	vm, err := p.s.Driver.FindVM(ctx, p.Req.VM.ID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.Interrupted, "the server stopped during the export and the VM %s no longer exists", p.Req.VM.Name)
		}
		return err
	}
	p.Req.VM = vm
	if wmiJob == "" {
		if wmiJob, err = p.s.Driver.FindExportJob(ctx, vm, since); err != nil {
			return err
		}
		if wmiJob != "" {
			log.Info("found the export's Hyper-V job through its VM", zap.String("wmi_job", wmiJob))
			prog.WMIJob(wmiJob)
		}
	}
	if wmiJob != "" {
		prog.Phase("exporting")
		found, err := p.s.Driver.FollowJob(ctx, "export", wmiJob, progress.EstimateBytes(progress.Scale(prog, 0, 90), p.need))
		if found {
			if err != nil {
				return p.explainDiskFull(err)
			}
			p.reached(prog, stepCopied)
			return p.finish(ctx, prog)
		}
		log.Info("Hyper-V no longer knows the export's job; deciding from the staging directory", zap.String("wmi_job", wmiJob))
	}
	switch empty, err := isEmptyDir(p.staging); {
	case err != nil:
		return errs.Wrap(errs.Interrupted, err, "the server stopped during the export and its staging directory cannot be read")
	case empty:
		// Hyper-V never wrote (or was never asked): start over.
		if wmiJob != "" {
			prog.Warn("the export was started again: Hyper-V no longer knew its job and had written nothing")
		}
		return p.restart(ctx, prog)
	}
	files, _, err := hashTree(ctx, p.layout, progress.Discard)
	if err == nil {
		err = p.checkLayout(files)
	}
	if err == nil && p.s.ForgottenJobOutput == ForgottenDiscard {
		err = errors.New("exports.forgotten-job-output is discard")
	}
	if err != nil {
		return &errs.Error{Kind: errs.Interrupted, Err: err,
			Msg:   "the server stopped during the export, Hyper-V no longer knows its job, and what it left in staging was not published (" + errs.Message(err) + "); it was removed: export again",
			Extra: map[string]any{"phase": "exporting"}}
	}
	prog.Warn("Hyper-V no longer knew the export's job; the files it left were checked (configuration present, every disk sound) and published")
	p.reached(prog, stepCopied)
	return p.finish(ctx, prog)
}

// restart runs the export from the beginning, as a fresh plan would.
func (p *Plan) restart(ctx context.Context, prog Progress) error {
	hv, err := p.s.Driver.PrepareExport(ctx, p.Req.VM, p.staging, p.Req.Settings)
	if err != nil {
		return err
	}
	p.hv = hv
	if err := p.runHyperV(ctx, prog); err != nil {
		return err
	}
	return p.finish(ctx, prog)
}

func isEmptyDir(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	return len(entries) == 0, err
}

// VerifyCheckpoint is a verify job's resume state: it only reads, so a
// restart verifies again from the start.
type VerifyCheckpoint struct {
	ExportID string `json:"exportId"`
}

// ResumeVerify rebuilds a verify job a restart interrupted.
func (s *Service) ResumeVerify(raw json.RawMessage) (func(context.Context, Progress) error, error) {
	var cp VerifyCheckpoint
	if err := json.Unmarshal(raw, &cp); err != nil || cp.ExportID == "" {
		return nil, errs.E(errs.Interrupted, "the job's record holds no usable resume state")
	}
	_, work, err := s.Verify(cp.ExportID)
	if err != nil {
		return nil, err
	}
	return work, nil
}
