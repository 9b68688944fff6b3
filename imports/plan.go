// A validated import, ready to run: the settings over the defaults, the
// checks Hyper-V would make, and what the job reports about it.

package imports

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
)

// Plan is a validated import ready to run.
type Plan struct {
	s        *Service
	in       *inspected
	Settings Settings
	copies   []copyPair
	warnings []string
	cp       Checkpoint // resume state (resume.go)
	pull     *PullState // set when the export was pulled from another agent (pull.go)
}

type copyPair struct{ src, dst string }

// Plan validates an import: the patch over the defaults, the rules of the
// settings model (Target* only with createCopy, index alignment, per-file
// paths over data roots), switches, id conflicts and copy targets.
func (s *Service) Plan(ctx context.Context, src Source, patch *Patch) (*Plan, error) {
	dir, err := s.ResolveDirectory(src)
	if err != nil {
		return nil, err
	}
	in, err := s.inspect(ctx, dir)
	if err != nil {
		return nil, err
	}
	def := in.report.Settings
	st, warnings, err := apply(def, patch, s.Driver.API())
	if err != nil {
		return nil, err
	}
	p := &Plan{s: s, in: in, Settings: st, warnings: warnings}
	if err := p.confine(); err != nil {
		return nil, err
	}
	if err := p.check(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// check enforces what Hyper-V would refuse, before any job starts.
func (p *Plan) check(ctx context.Context) error {
	st := p.Settings
	if !st.GenerateNewID {
		if vm, err := p.s.Driver.FindVM(ctx, p.in.def.VMID); err == nil {
			return &errs.Error{Kind: errs.Conflict, Msg: "a VM with id " + vm.ID + " (" + vm.Name + ") is already registered; import with \"generateNewId\": true (and \"createCopy\": true), or remove that VM first",
				Extra: map[string]any{"fix": map[string]any{"generateNewId": true, "createCopy": true}}}
		}
	}
	names := make([]string, len(p.in.switches))
	for i, sw := range p.in.switches {
		names[i] = sw.Name
	}
	for i, c := range st.TargetNetworkConnections {
		if c != "" && p.switchPath(c) == "" {
			return errs.Field(fmt.Sprintf("settings.targetNetworkConnections[%d]", i), "no virtual switch named \""+c+"\" on this host; use one of the host's switches or \"\" to leave the adapter disconnected", names...)
		}
	}
	if !st.CreateCopy {
		return nil
	}
	// confine checked every path: inside the import roots, canonical,
	// sources that are disk images, targets that do not exist yet.
	for i, src := range st.SourceResourcePaths {
		p.copies = append(p.copies, copyPair{src, st.TargetResourcePaths[i]})
	}
	for _, root := range []struct{ field, dir string }{{"settings.targetVmDataRoot", st.TargetVmDataRoot}, {"settings.targetSnapshotDataRoot", st.TargetSnapshotDataRoot}} {
		if root.dir == "" {
			return errs.Field(root.field, "required with createCopy: an absolute path inside the import roots")
		}
	}
	cfg := filepath.Join(st.TargetVmDataRoot, "Virtual Machines", p.in.def.VMID+".vmcx")
	if !st.GenerateNewID && fileExists(cfg) {
		return &errs.Error{Kind: errs.Conflict, Msg: "the copy target " + cfg + " already exists", Extra: map[string]any{"target": cfg}}
	}
	return nil
}

func (p *Plan) switchPath(name string) string { return findSwitch(p.in.switches, name) }

// discardLeftover destroys a planned VM a failed ImportSystemDefinition
// left behind (docs/HYPERV.md#pitfall-import-twice). Only a keep-id import can tell its own planned
// VM from another import's: it has the export's GUID.
func (p *Plan) discardLeftover(ctx context.Context, prog Progress) {
	if p.Settings.GenerateNewID {
		return
	}
	left, err := p.s.Driver.PlannedVMs(ctx)
	if err != nil {
		return
	}
	for _, vm := range left {
		if strings.EqualFold(vm.ID, p.in.def.VMID) {
			if err := p.s.Driver.DestroyPlanned(ctx, &hyperv.Planned{Path: vm.Path, ID: vm.ID}); err == nil {
				prog.Warn("cleaned up: discarded planned VM " + vm.ID + " left by the failed import")
			}
		}
	}
}

// Directory is where the import reads from.
func (p *Plan) Directory() string { return p.in.def.Dir }

// VM names the exported VM.
func (p *Plan) VM() VMRef { return p.in.report.VM }

// Paths lists the host paths the import reads and writes, by request
// field (for the audit log).
func (p *Plan) Paths() map[string]string {
	st := p.Settings
	out := map[string]string{"directory": p.in.def.Dir}
	for i, src := range st.SourceResourcePaths {
		out[fmt.Sprintf("settings.sourceResourcePaths[%d]", i)] = src
		if st.CreateCopy && i < len(st.TargetResourcePaths) {
			out[fmt.Sprintf("settings.targetResourcePaths[%d]", i)] = st.TargetResourcePaths[i]
		}
	}
	if st.CreateCopy {
		out["settings.targetVmDataRoot"] = st.TargetVmDataRoot
		out["settings.targetSnapshotDataRoot"] = st.TargetSnapshotDataRoot
	}
	return out
}
