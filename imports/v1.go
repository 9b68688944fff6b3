package imports

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/internal/progress"
)

// inspectV1 reads the defaults from v1's own import setting data
// (GetVirtualSystemImportSettingData), which is the REST model itself.
// v1 has no validation step, so the incompatibilities are hvport's own
// checks of what ImportVirtualSystemEx would fail on.
func (s *Service) inspectV1(ctx context.Context, def hyperv.Definition, switches []hyperv.Switch) (*inspected, error) {
	o, err := s.Driver.ImportSettingData(ctx, def.Dir)
	if err != nil {
		return nil, err
	}
	st := Settings{
		Name: o.String("Name"), GenerateNewID: o.Bool("GenerateNewId"), CreateCopy: o.Bool("CreateCopy"),
		CurrentResourcePaths: o.Strings("CurrentResourcePaths"), SourceResourcePaths: o.Strings("SourceResourcePaths"),
		TargetResourcePaths: o.Strings("TargetResourcePaths"), SourceNetworkConnections: o.Strings("SourceNetworkConnections"),
		TargetNetworkConnections: o.Strings("TargetNetworkConnections"),
		SourceVmDataRoot:         o.String("SourceVmDataRoot"), SourceSnapshotDataRoot: o.String("SourceSnapshotDataRoot"),
		SourceVhdDataRoot: o.String("SourceVhdDataRoot"), TargetVmDataRoot: o.String("TargetVmDataRoot"),
		TargetSnapshotDataRoot: o.String("TargetSnapshotDataRoot"), TargetVhdDataRoot: o.String("TargetVhdDataRoot"),
	}
	if !o.IsNull("SecurityScope") {
		v := o.String("SecurityScope")
		st.SecurityScope = &v
	}
	nilToEmpty(&st)
	// As on v2, copies go into a fresh per-VM folder by default: the host's
	// own disk folder already holds the original's files of the same names.
	if st.TargetVhdDataRoot != "" {
		st.TargetVhdDataRoot = freshDir(st.TargetVhdDataRoot, st.Name)
		st.TargetResourcePaths = st.TargetResourcePaths[:0]
	}
	// Index alignment is the model's rule; fill what the host left NULL
	// (v1 leaves TargetResourcePaths NULL: the data root applies).
	for len(st.SourceResourcePaths) < len(st.CurrentResourcePaths) {
		st.SourceResourcePaths = append(st.SourceResourcePaths, st.CurrentResourcePaths[len(st.SourceResourcePaths)])
	}
	for len(st.TargetResourcePaths) < len(st.CurrentResourcePaths) {
		st.TargetResourcePaths = append(st.TargetResourcePaths, join(st.TargetVhdDataRoot, st.CurrentResourcePaths[len(st.TargetResourcePaths)]))
	}
	for len(st.TargetNetworkConnections) < len(st.SourceNetworkConnections) {
		st.TargetNetworkConnections = append(st.TargetNetworkConnections, st.SourceNetworkConnections[len(st.TargetNetworkConnections)])
	}
	if st.Name == "" {
		st.Name = def.VMID
	}
	in := &inspected{def: def, switches: switches, v1: o}
	in.report = Report{Directory: def.Dir, VM: VMRef{ID: def.VMID, Name: st.Name}, APIVersion: string(hyperv.V1),
		Settings: st, Incompatibilities: []Incompatibility{}}
	if _, err := s.Driver.FindVM(ctx, def.VMID); err == nil {
		in.report.Incompatibilities = append(in.report.Incompatibilities, inUseIncompatibility(def.VMID))
	}
	for i, name := range st.TargetNetworkConnections {
		if name == "" || findSwitch(switches, name) != "" {
			continue
		}
		in.report.Incompatibilities = append(in.report.Incompatibilities, Incompatibility{
			MessageID: msgMissingSwitch, Message: fmt.Sprintf("Could not find Ethernet switch '%s'.", name),
			Source: fmt.Sprintf("settings.targetNetworkConnections[%d]", i),
			Fix:    switchFix(i, st.TargetNetworkConnections, switches),
		})
	}
	for i, p := range st.SourceResourcePaths {
		if fileExists(p) {
			continue
		}
		inc := Incompatibility{MessageID: msgMissingDisk, Message: "The virtual hard disk " + p + " does not exist.",
			Source: fmt.Sprintf("settings.sourceResourcePaths[%d]", i),
			Fix:    &Fix{Description: "set sourceResourcePaths[" + itoa(i) + "] to the disk file's real location", Settings: map[string]any{}}}
		if cand := join(st.SourceVhdDataRoot, st.CurrentResourcePaths[i]); fileExists(cand) {
			paths := append([]string(nil), st.SourceResourcePaths...)
			paths[i] = cand
			inc.Fix = &Fix{Description: "point disk " + itoa(i) + " at " + cand + ", which exists", Settings: map[string]any{"sourceResourcePaths": paths}}
		}
		in.report.Incompatibilities = append(in.report.Incompatibilities, inc)
	}
	return in, nil
}

// runV1 edits a fresh import setting data instance and runs
// ImportVirtualSystemEx; with createCopy Hyper-V's job copies the files and
// cleans up after itself when it fails or is killed.
func (p *Plan) runV1(ctx context.Context, prog Progress) error {
	st, def, d := p.Settings, p.in.def, p.s.Driver
	for _, w := range p.warnings {
		prog.Warn(w)
	}
	prog.Phase("planning")
	o, err := d.ImportSettingData(ctx, def.Dir)
	if err != nil {
		return err
	}
	var scope any
	if st.SecurityScope != nil {
		scope = *st.SecurityScope
	}
	for prop, v := range map[string]any{
		"Name": st.Name, "GenerateNewId": st.GenerateNewID, "CreateCopy": st.CreateCopy, "SecurityScope": scope,
		"SourceResourcePaths": st.SourceResourcePaths, "TargetResourcePaths": st.TargetResourcePaths,
		"TargetNetworkConnections": st.TargetNetworkConnections,
		"SourceVmDataRoot":         st.SourceVmDataRoot, "SourceSnapshotDataRoot": st.SourceSnapshotDataRoot,
		"SourceVhdDataRoot": st.SourceVhdDataRoot, "TargetVmDataRoot": st.TargetVmDataRoot,
		"TargetSnapshotDataRoot": st.TargetSnapshotDataRoot, "TargetVhdDataRoot": st.TargetVhdDataRoot,
	} {
		if err := o.Set(prop, v); err != nil {
			return errs.Wrap(errs.Internal, err, "set %s on the import setting data", prop)
		}
	}
	prog.Phase("importing")
	p.reached(prog, stepPlanning)
	vm, err := d.ImportV1(ctx, def.Dir, o, def.VMID, progress.Scale(prog, 0, 99))
	if err != nil {
		return err
	}
	logctx.From(ctx, p.s.Log).Info("import completed", zap.String("vm", vm.Name), zap.String("vm_id", vm.ID), zap.String("api", "v1"))
	root := st.SourceVmDataRoot
	if st.CreateCopy {
		root = st.TargetVmDataRoot
	}
	res := Result{VM: VMRef{ID: vm.ID, Name: vm.Name}, Mode: st.mode(), ConfigRoot: root, VMLocation: "/v1/vms/" + vm.ID}
	if p.pull != nil {
		res.Transfer = p.pull.result()
	}
	prog.Result(res)
	return nil
}

// msgMissingDisk is hvport's id for a disk file that is not where the
// settings say (Hyper-V publishes no MessageID list).
const msgMissingDisk = "hvport:disk-not-found"

func inUseIncompatibility(id string) Incompatibility {
	return Incompatibility{
		MessageID: msgIDInUse, Source: "settings.generateNewId",
		Message: "a VM with id " + id + " is already registered on this host",
		Fix: &Fix{Description: "import with a new id (the copy mode of Import-VM -Copy -GenerateNewId)",
			Settings: map[string]any{"generateNewId": true, "createCopy": true}},
	}
}

// findSwitch returns the path of the host switch a connection names (by
// name, or by GUID), or "".
func findSwitch(switches []hyperv.Switch, name string) string {
	for _, sw := range switches {
		if sw.Name == name || strings.EqualFold(sw.ID, name) {
			return sw.Path
		}
	}
	return ""
}

func switchNames(switches []hyperv.Switch) []string {
	out := make([]string, len(switches))
	for i, sw := range switches {
		out[i] = sw.Name
	}
	return out
}
