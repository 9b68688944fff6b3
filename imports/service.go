package imports

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/internal/progress"
	"github.com/hvport/hvport/roots"
	"github.com/hvport/hvport/transfers"
)

// Progress is what an import job reports to (the registry's Reporter).
type Progress = progress.Reporter

// Service runs imports.
type Service struct {
	Driver *hyperv.Driver
	// Exports resolves an export id to its directory; optional.
	Exports *exports.Store
	// Roots confine every path an import reads or writes; nil refuses
	// every path (deny by default). See DefaultRoots.
	Roots *roots.Set
	Log   *zap.Logger
	// CopyFile copies one disk for createCopy imports; default fcopy.Copy.
	// Tests wrap it to hold a copy mid-way.
	CopyFile func(ctx context.Context, src, dst string, progress func(done int64)) error
	// Puller and Connect pull exports from other agents (pull.go); nil
	// refuses imports with a remote source.
	Puller  *transfers.Puller
	Connect Connector
	// SecretsDir keeps a pull's grant across a restart (owner-only files;
	// <data-dir>/transfers).
	SecretsDir string

	mu       sync.Mutex
	active   map[string]bool        // guarded by mu; planned VMs an import job is working on
	readings map[string]*sync.Mutex // guarded by mu; one inspection per VM id at a time
}

// lockVM serializes work that creates a planned VM with a given VM id in
// this process: two at once would collide in Hyper-V ("file in use").
func (s *Service) lockVM(id string) func() {
	s.mu.Lock()
	if s.readings == nil {
		s.readings = map[string]*sync.Mutex{}
	}
	m := s.readings[strings.ToUpper(id)]
	if m == nil {
		m = &sync.Mutex{}
		s.readings[strings.ToUpper(id)] = m
	}
	s.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// PlannedInUse reports whether an import job of this process is working on
// the planned VM (so it must not be discarded under it).
func (s *Service) PlannedInUse(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active[strings.ToUpper(id)]
}

func (s *Service) setActive(id string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil {
		s.active = map[string]bool{}
	}
	if on {
		s.active[strings.ToUpper(id)] = true
	} else {
		delete(s.active, strings.ToUpper(id))
	}
}

// Source names what to import: a directory, or an export by id.
type Source struct {
	Directory string
	ExportID  string
}

// ResolveDirectory turns a Source into the export's directory.
func (s *Service) ResolveDirectory(src Source) (string, error) {
	switch {
	case src.Directory != "" && src.ExportID != "":
		return "", errs.Field("exportId", "give either directory or exportId, not both")
	case src.ExportID != "":
		if s.Exports == nil {
			return "", errs.Field("exportId", "this server keeps no export store; give a directory")
		}
		e, err := s.Exports.Get(src.ExportID)
		if err != nil {
			return "", err
		}
		return s.confineDirectory("exportId", e.Dir)
	case src.Directory == "":
		return "", errs.Field("directory", "required (or exportId): the absolute path of an export on the Hyper-V host")
	}
	return s.confineDirectory("directory", src.Directory)
}

// DefaultSettings returns the import settings Hyper-V would use for the
// export, with incompatibilities and fixes.
func (s *Service) DefaultSettings(ctx context.Context, src Source) (Report, error) {
	dir, err := s.ResolveDirectory(src)
	if err != nil {
		return Report{}, err
	}
	in, err := s.Inspect(ctx, dir)
	if err != nil {
		return Report{}, err
	}
	return in.report, nil
}

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
	in, err := s.Inspect(ctx, dir)
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

// apply lays a patch over the defaults. Per-resource paths win over data
// roots; a changed data root alone moves every resource that has no path
// of its own; Target* without createCopy are ignored with a warning, as
// Hyper-V ignores them.
func apply(def Settings, p *Patch, api hyperv.APIVersion) (Settings, []string, error) {
	st := def
	st.CurrentResourcePaths = append([]string(nil), def.CurrentResourcePaths...)
	st.SourceResourcePaths = append([]string(nil), def.SourceResourcePaths...)
	st.TargetResourcePaths = append([]string(nil), def.TargetResourcePaths...)
	st.TargetNetworkConnections = append([]string(nil), def.TargetNetworkConnections...)
	if p == nil {
		return st, nil, nil
	}
	var bad []errs.FieldError
	field := func(name, reason string, allowed ...string) {
		bad = append(bad, errs.FieldError{Field: "settings." + name, Reason: reason, Allowed: allowed})
	}
	if p.CurrentResourcePaths != nil && !reflect.DeepEqual(p.CurrentResourcePaths, def.CurrentResourcePaths) {
		field("currentResourcePaths", "read-only: it lists the resources recorded in the export; edit sourceResourcePaths / targetResourcePaths instead")
	}
	if p.SourceNetworkConnections != nil && !reflect.DeepEqual(p.SourceNetworkConnections, def.SourceNetworkConnections) {
		field("sourceNetworkConnections", "read-only: it lists the switches recorded in the export; edit targetNetworkConnections instead")
	}
	if p.SecurityScope != nil && api != hyperv.V1 {
		field("securityScope", "only the v1 API (Windows Server 2008 R2 / 2012) has SecurityScope; leave it out")
	}
	if p.Name != nil {
		if reason := vmNameProblem(*p.Name); reason != "" {
			field("name", reason)
		}
		st.Name = *p.Name
	}
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&st.GenerateNewID, p.GenerateNewID)
	set(&st.CreateCopy, p.CreateCopy)
	st.SecurityScope = p.SecurityScope
	roots := []struct {
		name string
		dst  *string
		v    *string
	}{
		{"sourceVmDataRoot", &st.SourceVmDataRoot, p.SourceVmDataRoot},
		{"sourceSnapshotDataRoot", &st.SourceSnapshotDataRoot, p.SourceSnapshotDataRoot},
		{"sourceVhdDataRoot", &st.SourceVhdDataRoot, p.SourceVhdDataRoot},
		{"targetVmDataRoot", &st.TargetVmDataRoot, p.TargetVmDataRoot},
		{"targetSnapshotDataRoot", &st.TargetSnapshotDataRoot, p.TargetSnapshotDataRoot},
		{"targetVhdDataRoot", &st.TargetVhdDataRoot, p.TargetVhdDataRoot},
	}
	for _, r := range roots {
		if r.v == nil {
			continue
		}
		if !filepath.IsAbs(*r.v) {
			field(r.name, "must be an absolute path on the Hyper-V host")
			continue
		}
		*r.dst = filepath.Clean(*r.v)
	}
	n := len(def.CurrentResourcePaths)
	// A data root alone moves every resource into it (keeping file names).
	if p.SourceVhdDataRoot != nil && st.SourceVhdDataRoot != def.SourceVhdDataRoot {
		for i := range st.SourceResourcePaths {
			st.SourceResourcePaths[i] = join(st.SourceVhdDataRoot, def.CurrentResourcePaths[i])
		}
	}
	if p.TargetVhdDataRoot != nil && st.TargetVhdDataRoot != def.TargetVhdDataRoot {
		for i := range st.TargetResourcePaths {
			st.TargetResourcePaths[i] = join(st.TargetVhdDataRoot, def.CurrentResourcePaths[i])
		}
	}
	// Per-resource paths override the roots.
	perResource := func(name string, patch []*string, dst []string) {
		for i, v := range patch {
			if i >= n {
				field(fmt.Sprintf("%s[%d]", name, i), fmt.Sprintf("no resource at index %d: currentResourcePaths has %d entries", i, n))
				continue
			}
			if v == nil {
				continue
			}
			if !filepath.IsAbs(*v) {
				field(fmt.Sprintf("%s[%d]", name, i), "must be an absolute path on the Hyper-V host")
				continue
			}
			dst[i] = filepath.Clean(*v)
		}
	}
	perResource("sourceResourcePaths", p.SourceResourcePaths, st.SourceResourcePaths)
	perResource("targetResourcePaths", p.TargetResourcePaths, st.TargetResourcePaths)
	for i, v := range p.TargetNetworkConnections {
		if i >= len(def.SourceNetworkConnections) {
			field(fmt.Sprintf("targetNetworkConnections[%d]", i), fmt.Sprintf("no network adapter at index %d: the VM has %d", i, len(def.SourceNetworkConnections)))
			continue
		}
		if v != nil {
			st.TargetNetworkConnections[i] = *v
		}
	}
	if len(bad) > 0 {
		return st, nil, &errs.Error{Kind: errs.Invalid, Msg: "invalid import settings", Fields: bad}
	}
	var warnings []string
	if !st.CreateCopy {
		var ignored []string
		if p.TargetVmDataRoot != nil {
			ignored = append(ignored, "targetVmDataRoot")
		}
		if p.TargetSnapshotDataRoot != nil {
			ignored = append(ignored, "targetSnapshotDataRoot")
		}
		if p.TargetVhdDataRoot != nil {
			ignored = append(ignored, "targetVhdDataRoot")
		}
		if p.TargetResourcePaths != nil {
			ignored = append(ignored, "targetResourcePaths")
		}
		if len(ignored) > 0 {
			warnings = append(warnings, strings.Join(ignored, ", ")+" ignored: Target* settings take effect only with createCopy true (the VM is registered where its files are)")
		}
	}
	return st, warnings, nil
}

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

// maxVMName is Hyper-V's limit on a VM's name (ElementName): New-VM and
// Rename-VM refuse longer names (100 characters).
const maxVMName = 100

// vmNameProblem says what makes name unusable as a VM name, or "".
func vmNameProblem(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "must not be empty"
	case utf8.RuneCountInString(name) > maxVMName:
		return fmt.Sprintf("at most %d characters (Hyper-V's limit), got %d", maxVMName, utf8.RuneCountInString(name))
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "must not contain control characters (NUL, line breaks, tabs)"
	}
	return ""
}
