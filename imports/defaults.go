package imports

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/internal/logctx"
	"github.com/hvport/hvport/internal/progress"
	"github.com/hvport/hvport/wmi"
)

// Hyper-V's MessageID for a missing switch (Compare-VM's documented
// example, docs/HYPERV.md#validation). Other MessageIDs are not publicly listed; hvport's
// own findings use the "hvport:" prefix.
const (
	msgMissingSwitch = "33012"
	msgIDInUse       = "hvport:vm-id-in-use"
)

// inspected is what reading an export through a throw-away planned VM
// yields: the defaults and Hyper-V's findings.
type inspected struct {
	v1       *wmi.Object // v1: the host's import setting data
	def      hyperv.Definition
	report   Report
	disks    []string // current paths, index-aligned with Settings.CurrentResourcePaths
	switches []hyperv.Switch
}

// inspect builds the default import settings for an export: it creates a
// planned VM (keeping the id, or with a new one when the id is in use),
// reads it, validates it, and always destroys it.
func (s *Service) inspect(ctx context.Context, dir string) (*inspected, error) {
	if err := s.checkPackage(dir); err != nil {
		return nil, err
	}
	def, err := hyperv.FindDefinition(dir)
	if err != nil {
		return nil, err
	}
	host, err := s.Driver.HostDefaults(ctx)
	if err != nil {
		return nil, err
	}
	switches, err := s.Driver.Switches(ctx)
	if err != nil {
		return nil, err
	}
	if s.Driver.API() == hyperv.V1 {
		return s.inspectV1(ctx, def, switches)
	}
	defer s.lockVM(def.VMID)()
	idInUse := false
	if _, err := s.Driver.FindVM(ctx, def.VMID); err == nil {
		idInUse = true
	} else if planned, err := s.Driver.PlannedVMs(ctx); err == nil {
		for _, pv := range planned {
			if strings.EqualFold(pv.ID, def.VMID) {
				if s.PlannedInUse(pv.ID) {
					return nil, &errs.Error{Kind: errs.Conflict, Msg: "an import of VM " + pv.ID + " is in progress; wait for its job to finish",
						Extra: map[string]any{"plannedVm": pv.ID}}
				}
				// Hyper-V would answer "file in use" (32779); say why.
				return nil, &errs.Error{Kind: errs.Conflict,
					Msg:   "a planned VM with this VM's id (" + pv.ID + ") exists, left by an import that did not finish; discard it with DELETE /v1/planned-vms/" + pv.ID + " if no import is running",
					Extra: map[string]any{"plannedVm": pv.ID}}
			}
		}
	}
	p, err := s.Driver.ImportDefinition(ctx, def, idInUse, progress.Discard)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := s.Driver.DestroyPlanned(ctx, p); err != nil {
			logctx.From(ctx, s.Log).Error("cannot discard the planned VM read for import settings", zap.String("planned", p.Path), zap.Error(err))
		}
	}()
	found, err := s.Driver.ValidatePlanned(ctx, p)
	if err != nil {
		return nil, err
	}

	in := &inspected{def: def, switches: switches}
	// Import-VM -Copy puts disks straight into the host's default disk
	// folder, where a copy collides with the original VM's files (same
	// names). hvport's default is a fresh subfolder named after the VM.
	vhdTarget := freshDir(host.VirtualHardDiskDir, p.Name)
	st := Settings{
		Name: p.Name, SourceVmDataRoot: def.Dir, SourceSnapshotDataRoot: def.Dir,
		SourceVhdDataRoot: filepath.Join(def.Dir, "Virtual Hard Disks"),
		TargetVmDataRoot:  host.ExternalDataRoot, TargetSnapshotDataRoot: host.ExternalDataRoot,
		TargetVhdDataRoot: vhdTarget,
	}
	seen := map[string]bool{}
	for _, d := range p.Disks {
		key := strings.ToLower(d.Path)
		if d.Path == "" || seen[key] {
			continue
		}
		seen[key] = true
		in.disks = append(in.disks, d.Path)
		st.CurrentResourcePaths = append(st.CurrentResourcePaths, d.Path)
		src := d.Path
		if _, err := os.Stat(src); err != nil {
			if alt := join(st.SourceVhdDataRoot, d.Path); fileExists(alt) {
				src = alt
			}
		}
		st.SourceResourcePaths = append(st.SourceResourcePaths, src)
		st.TargetResourcePaths = append(st.TargetResourcePaths, join(vhdTarget, d.Path))
	}
	for _, n := range p.NICs {
		name := s.switchName(ctx, n, found)
		st.SourceNetworkConnections = append(st.SourceNetworkConnections, name)
		if n.Connected {
			st.TargetNetworkConnections = append(st.TargetNetworkConnections, name)
		} else {
			st.TargetNetworkConnections = append(st.TargetNetworkConnections, "")
		}
	}
	nilToEmpty(&st)
	in.report = Report{Directory: def.Dir, VM: VMRef{ID: def.VMID, Name: p.Name}, ConfigurationVersion: p.Version,
		APIVersion: string(s.Driver.API()), Settings: st, Incompatibilities: []Incompatibility{}}
	if idInUse {
		in.report.Incompatibilities = append(in.report.Incompatibilities, inUseIncompatibility(def.VMID))
	}
	for _, f := range found {
		if idInUse && strings.Contains(f.Message, def.VMID) {
			continue // the throw-away planned VM had a new id; reported above
		}
		in.report.Incompatibilities = append(in.report.Incompatibilities, s.explain(p, st, switches, f))
	}
	return in, nil
}

var quotedName = regexp.MustCompile(`'([^']*)'`)

// switchName names the switch an adapter was connected to: the host's
// switch if it exists, else the name Hyper-V's "could not find" message
// quotes, else the switch id from the path.
func (s *Service) switchName(ctx context.Context, n hyperv.PlannedNIC, found []hyperv.Incompatibility) string {
	if n.SwitchPath == "" {
		return ""
	}
	if sw, err := s.Driver.SwitchByPath(ctx, n.SwitchPath); err == nil {
		return sw.Name
	}
	for _, f := range found {
		if f.MessageID == msgMissingSwitch && samePath(f.Source, n.Setting.Path) {
			if m := quotedName.FindStringSubmatch(f.Message); m != nil {
				return m[1]
			}
		}
	}
	return hyperv.SwitchIDFromPath(n.SwitchPath)
}

// explain turns one of Hyper-V's findings into an incompatibility with a
// fix where one can be computed.
func (s *Service) explain(p *hyperv.Planned, st Settings, switches []hyperv.Switch, f hyperv.Incompatibility) Incompatibility {
	inc := Incompatibility{MessageID: f.MessageID, Message: f.Message, Source: f.Source}
	for i, n := range p.NICs {
		if !samePath(f.Source, n.Setting.Path) {
			continue
		}
		inc.Source = "settings.targetNetworkConnections[" + itoa(i) + "]"
		inc.Fix = switchFix(i, st.TargetNetworkConnections, switches)
		return inc
	}
	for i, d := range p.Disks {
		if !samePath(f.Source, d.Setting.Path) {
			continue
		}
		idx := indexFold(st.CurrentResourcePaths, d.Path)
		if idx < 0 {
			idx = i
		}
		inc.Source = "settings.sourceResourcePaths[" + itoa(idx) + "]"
		for _, cand := range []string{join(st.SourceVhdDataRoot, d.Path), join(filepath.Join(st.SourceVmDataRoot, "Virtual Hard Disks"), d.Path)} {
			if fileExists(cand) && idx < len(st.SourceResourcePaths) {
				paths := append([]string(nil), st.SourceResourcePaths...)
				paths[idx] = cand
				inc.Fix = &Fix{Description: "point disk " + itoa(idx) + " at " + cand + ", which exists", Settings: map[string]any{"sourceResourcePaths": paths}}
				return inc
			}
		}
		inc.Fix = &Fix{Description: "set sourceResourcePaths[" + itoa(idx) + "] to the disk file's real location (or sourceVhdDataRoot to the folder that holds all disks)",
			Settings: map[string]any{}}
		return inc
	}
	return inc
}

// switchFix proposes a connection for adapter i whose switch this host
// lacks: the host's first switch (naming them all), or "" (disconnected)
// when the host has none.
func switchFix(i int, current []string, switches []hyperv.Switch) *Fix {
	conns := append([]string(nil), current...)
	if len(switches) == 0 {
		conns[i] = ""
		return &Fix{Description: "this host has no virtual switch: leave adapter " + itoa(i) + " disconnected",
			Settings: map[string]any{"targetNetworkConnections": conns}}
	}
	conns[i] = switches[0].Name
	return &Fix{Description: "connect adapter " + itoa(i) + " to an existing switch (this host has: " + strings.Join(switchNames(switches), ", ") + ") or to \"\" to leave it disconnected",
		Settings: map[string]any{"targetNetworkConnections": conns}}
}
