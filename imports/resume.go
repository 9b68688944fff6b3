package imports

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/internal/logctx"
)

// An import a restart interrupted is finished or rolled back, never
// resumed half way:
//
//   - not started yet (queued when the server stopped), or stopped
//     before Hyper-V had anything to show for it (no job recorded, no new
//     planned VM) → planned again from the recorded settings and run, as
//     if just submitted;
//   - realizing (RealizePlannedSystem was called) → its Hyper-V job is
//     followed if Hyper-V still knows it; if the VM now exists the import
//     completed; otherwise rolled back;
//   - any step in between (planning, fix-ups, copying, validating) →
//     rolled back: the planned VM is destroyed and every copied file
//     removed. Why not resume: the copies and fix-ups were made by the
//     stopped process — a copy cut short is indistinguishable from a
//     short disk without re-reading both, and which fix-ups landed is
//     unknown — while a rollback from the recorded checkpoint is exact
//     and an import is cheap to submit again.
//
// The job then fails with kind interrupted, saying what was rolled back.

// Steps an import's checkpoint records.
const (
	stepSubmitted = "submitted" // nothing done on the host yet
	stepPlanning  = "planning"  // ImportSystemDefinition (v2) / ImportVirtualSystemEx (v1) may have been called
	stepPlanned   = "planned"   // the planned VM exists (PlannedID)
	stepRealizing = "realizing" // RealizePlannedSystem may have been called
)

// Checkpoint is an import's resume state.
type Checkpoint struct {
	Step      string   `json:"step"`
	Directory string   `json:"directory"`
	Settings  Settings `json:"settings"`
	Source    VMRef    `json:"source"` // the exported VM
	// PlannedBefore are the planned VMs that existed before this import
	// asked for its own: the one it made is among the others.
	PlannedBefore []string `json:"plannedBefore,omitempty"`
	PlannedID     string   `json:"plannedId,omitempty"`
	// Copied lists every file the import writes, each recorded before it
	// is written.
	Copied []string `json:"copied,omitempty"`
	// Pull is set for an import from another agent (pull.go).
	Pull *PullState `json:"pull,omitempty"`
}

// Checkpoint is the plan's resume state (jobs.Spec.Checkpoint at submit).
func (p *Plan) Checkpoint() Checkpoint {
	if p.cp.Step == "" {
		p.cp = Checkpoint{Step: stepSubmitted, Directory: p.in.def.Dir, Settings: p.Settings, Source: p.in.report.VM}
	}
	cp := p.cp
	cp.Copied = slices.Clone(p.cp.Copied)
	cp.Pull = p.pull
	return cp
}

// reached records a step in the job's checkpoint.
func (p *Plan) reached(prog Progress, step string) {
	p.Checkpoint()
	p.cp.Step = step
	prog.Checkpoint(p.Checkpoint())
}

// Resume rebuilds an import a restart interrupted from its job's last
// checkpoint and recorded Hyper-V job; the returned function finishes or
// rolls it back, as a job's work.
func (s *Service) Resume(raw json.RawMessage, wmiJob string) (func(context.Context, Progress) error, error) {
	var cp Checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil || cp.Directory == "" || cp.Step == "" {
		return nil, errs.E(errs.Interrupted, "the job's record holds no usable resume state")
	}
	if cp.Pull != nil && (cp.Step == stepTransferring || !cp.Pull.Published) {
		return s.resumePull(cp)
	}
	return func(ctx context.Context, prog Progress) error {
		if cp.Step == stepSubmitted {
			p, err := s.replan(ctx, cp)
			if err != nil {
				return err
			}
			return p.Run(ctx, prog)
		}
		return s.finishOrRollBack(ctx, cp, wmiJob, prog)
	}, nil
}

// replan plans an import that had not started again, with the settings
// it was submitted with (the export may have changed meanwhile: every
// check runs again).
func (s *Service) replan(ctx context.Context, cp Checkpoint) (*Plan, error) {
	dir, err := s.confineDirectory("directory", cp.Directory)
	if err != nil {
		return nil, err
	}
	in, err := s.inspect(ctx, dir)
	if err != nil {
		return nil, err
	}
	p := &Plan{s: s, in: in, Settings: cp.Settings}
	if err := p.confine(); err != nil {
		return nil, err
	}
	if err := p.check(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Service) finishOrRollBack(ctx context.Context, cp Checkpoint, wmiJob string, prog Progress) error {
	d := s.Driver
	log := logctx.From(ctx, s.Log).With(zap.String("export", cp.Directory), zap.String("step", cp.Step))
	if wmiJob != "" && (cp.Step == stepPlanning || cp.Step == stepRealizing) {
		// Let the call the stopped process made run to its end first:
		// only then is its outcome (a planned VM, a VM) there to see.
		prog.Phase("waiting for Hyper-V")
		if _, err := d.FollowJob(ctx, "import", wmiJob, prog); err != nil {
			log.Info("the interrupted import's Hyper-V job failed", zap.Error(err))
		}
	}
	if cp.Step == stepRealizing || (d.API() == hyperv.V1 && cp.Step == stepPlanning) {
		if vm, ok := s.importedVM(ctx, cp); ok {
			prog.Warn("the server stopped while Hyper-V was creating the VM; Hyper-V finished it")
			root := cp.Settings.SourceVmDataRoot
			if cp.Settings.CreateCopy {
				root = cp.Settings.TargetVmDataRoot
			}
			prog.Result(Result{VM: VMRef{ID: vm.ID, Name: vm.Name}, Mode: cp.Settings.mode(), CopiedFiles: len(cp.Copied),
				CopiedBytes: sizeOf(cp.Copied), ConfigRoot: root, VMLocation: "/v1/vms/" + vm.ID})
			return nil
		}
	}
	planned := s.plannedOf(ctx, cp)
	if cp.Step == stepPlanning && wmiJob == "" && len(planned) == 0 && len(cp.Copied) == 0 {
		// Stopped before Hyper-V was asked for anything that shows: run
		// it from the start, as if it had just been submitted.
		p, err := s.replan(ctx, cp)
		if err != nil {
			return err
		}
		prog.Warn("the server stopped before the import reached Hyper-V; it was started again from the beginning")
		return p.Run(ctx, prog)
	}
	prog.Phase("cleaning-up")
	var done []string
	for _, vm := range planned {
		if err := d.DestroyPlanned(ctx, &hyperv.Planned{ID: vm.ID, Path: vm.Path}); err != nil {
			prog.Warn("cleanup: could not discard planned VM " + vm.ID + ": " + err.Error())
		} else {
			done = append(done, "discarded planned VM "+vm.ID)
		}
	}
	removed := 0
	for _, f := range cp.Copied {
		if err := os.Remove(f); err == nil {
			removed++
		} else if !os.IsNotExist(err) {
			prog.Warn("cleanup: could not remove " + f + ": " + err.Error())
		}
	}
	if len(cp.Copied) > 0 {
		done = append(done, fmt.Sprintf("removed %d copied file(s)", removed))
	}
	what := "nothing had been created yet"
	if len(done) > 0 {
		what = strings.Join(done, "; ")
		prog.Warn("cleaned up: " + what)
	}
	log.Info("interrupted import rolled back", zap.Strings("cleanup", done))
	return &errs.Error{Kind: errs.Interrupted, Extra: map[string]any{"phase": cp.Step, "rolledBack": true},
		Msg: "the server stopped while this import was " + cp.Step + "; it was rolled back (" + what + ") rather than resumed, " +
			"because the copies and fix-ups of the stopped process cannot be trusted to be complete; submit the import again"}
}

// importedVM finds the VM an interrupted import created, if Hyper-V
// finished creating it.
func (s *Service) importedVM(ctx context.Context, cp Checkpoint) (hyperv.VM, bool) {
	id := cp.PlannedID
	if id == "" && !cp.Settings.GenerateNewID {
		id = cp.Source.ID
	}
	if id == "" {
		return hyperv.VM{}, false
	}
	vm, err := s.Driver.FindVM(ctx, id)
	if err != nil {
		return hyperv.VM{}, false
	}
	if planned, _ := s.Driver.PlannedVMs(ctx); slices.ContainsFunc(planned, func(p hyperv.VM) bool { return strings.EqualFold(p.ID, id) }) {
		return hyperv.VM{}, false // still planned: not realized
	}
	return vm, true
}

// plannedOf lists the planned VMs the interrupted import made: the one it
// recorded, or — stopped before it could record it — those that appeared
// after its checkpoint under the exported VM's name (or id, keeping ids).
func (s *Service) plannedOf(ctx context.Context, cp Checkpoint) []hyperv.VM {
	all, err := s.Driver.PlannedVMs(ctx)
	if err != nil {
		return nil
	}
	var out []hyperv.VM
	for _, p := range all {
		switch {
		case cp.PlannedID != "":
			if strings.EqualFold(p.ID, cp.PlannedID) {
				out = append(out, p)
			}
		case slices.ContainsFunc(cp.PlannedBefore, func(id string) bool { return strings.EqualFold(id, p.ID) }):
		case strings.EqualFold(p.ID, cp.Source.ID), cp.Settings.GenerateNewID && p.Name == cp.Source.Name:
			out = append(out, p)
		}
	}
	return out
}

func sizeOf(files []string) int64 {
	var n int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}
