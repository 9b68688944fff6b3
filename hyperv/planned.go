package hyperv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/internal/progress"
	"github.com/hvport/hvport/wmi"
)

// Definition is the VM definition file of an export and its snapshot
// folder, as ImportSystemDefinition takes them.
type Definition struct {
	Dir            string // the export's root (holds "Virtual Machines")
	File           string // <Dir>/Virtual Machines/<GUID>.vmcx (.xml, .exp)
	SnapshotFolder string // <Dir>/Snapshots, or "" when there is none
	VMID           string // from the file name
}

// FindDefinition locates the VM definition in an export directory, laid
// out as Export-VM writes it (docs/HYPERV.md#export-layout).
func FindDefinition(dir string) (Definition, error) {
	if !filepath.IsAbs(dir) {
		return Definition{}, errs.Field("directory", "must be an absolute path on the Hyper-V host")
	}
	dir = filepath.Clean(dir)
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return Definition{}, errs.E(errs.NotFound, "the import directory %s does not exist", dir)
	} else if err != nil {
		return Definition{}, errs.Wrap(errs.Invalid, err, "cannot read the import directory %s", dir)
	} else if !fi.IsDir() {
		return Definition{}, errs.Field("directory", dir+" is a file, not an export directory")
	}
	vmDir := filepath.Join(dir, "Virtual Machines")
	entries, _ := os.ReadDir(vmDir)
	var found []Definition
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		id := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".vmcx" && ext != ".xml" && ext != ".exp") {
			continue
		}
		if _, err := uuid.Parse(id); err != nil {
			continue
		}
		found = append(found, Definition{Dir: dir, File: filepath.Join(vmDir, e.Name()), VMID: strings.ToUpper(id)})
	}
	switch len(found) {
	case 0:
		return Definition{}, errs.Field("directory", dir+" is not a Hyper-V export: looked for Virtual Machines/<VM GUID>.vmcx (or .xml, .exp) and found none")
	case 1:
	default:
		names := make([]string, len(found))
		for i, f := range found {
			names[i] = filepath.Base(f.File)
		}
		return Definition{}, errs.Field("directory", dir+" holds several VM definitions; import one export at a time", names...)
	}
	def := found[0]
	if fi, err := os.Stat(filepath.Join(dir, "Snapshots")); err == nil && fi.IsDir() {
		def.SnapshotFolder = filepath.Join(dir, "Snapshots")
	}
	return def, nil
}

// Planned is a planned VM (Msvm_PlannedComputerSystem) and its settings.
type Planned struct {
	Path      string
	ID        string
	Name      string
	Version   string
	Settings  *wmi.Object   // its Msvm_VirtualSystemSettingData
	Snapshots []*wmi.Object // its checkpoints' settings
	Disks     []PlannedDisk // of the VM and of every checkpoint
	NICs      []PlannedNIC  // of the VM
}

// PlannedDisk is a virtual hard disk of a planned VM or of one of its
// checkpoints.
type PlannedDisk struct {
	Setting  *wmi.Object // Msvm_StorageAllocationSettingData
	Path     string      // HostResource[0]
	Snapshot bool        // belongs to a checkpoint
}

// PlannedNIC is a network connection of a planned VM.
type PlannedNIC struct {
	Setting    *wmi.Object // Msvm_EthernetPortAllocationSettingData
	SwitchPath string      // HostResource[0]; may name a switch this host lacks
	Connected  bool
}

// ImportDefinition creates a planned VM from an export's definition
// (ImportSystemDefinition, then ImportSnapshotDefinitions for checkpoints
// it did not pick up) and reads it back.
func (d *Driver) ImportDefinition(ctx context.Context, def Definition, newID bool, prog Progress) (*Planned, error) {
	if d.api != V2 {
		return nil, errs.E(errs.NotSupported, "planned VMs exist only in the v2 API")
	}
	in := wmi.Params{"SystemDefinitionFile": def.File, "GenerateNewSystemIdentifier": newID}
	if def.SnapshotFolder != "" {
		in["SnapshotFolder"] = def.SnapshotFolder
	}
	out, job, err := d.call(ctx, "import", "ImportSystemDefinition", in, false, prog)
	if err != nil {
		return nil, err
	}
	// A job names the planned VM through Msvm_AffectedJobElement (the
	// Pvm sample, docs/HYPERV.md#import-sequence; the out-parameter is NULL then on most hosts,
	// docs/HYPERV.md#pitfall-jobs); when the association names nothing, the out-parameter
	// ImportedSystem is what os-win's import_vm_definition reads.
	path := out.String("ImportedSystem")
	if job != "" {
		objs, err := d.affected(ctx, job, wmi.ClassPlannedComputerSystem)
		if err != nil {
			return nil, err
		}
		if len(objs) > 0 {
			path = objs[0].Path
		}
	}
	if path == "" {
		return nil, errs.E(errs.HostFailed, "ImportSystemDefinition finished but names no planned VM (neither its job nor its ImportedSystem out-parameter)")
	}
	p, err := d.ReadPlanned(ctx, path)
	if err != nil {
		return nil, err
	}
	if def.SnapshotFolder != "" && len(p.Snapshots) < countDefinitions(def.SnapshotFolder) {
		if _, _, err := d.call(ctx, "import the checkpoints", "ImportSnapshotDefinitions",
			wmi.Params{"PlannedSystem": p.Path, "SnapshotFolder": def.SnapshotFolder}, false, prog); err != nil {
			return p, err
		}
		return d.ReadPlanned(ctx, path)
	}
	return p, nil
}

func countDefinitions(dir string) int {
	n := 0
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".vmcx", ".xml", ".exp":
			n++
		}
	}
	return n
}

// ReadPlanned reads a planned VM with its settings, disks and adapters.
func (d *Driver) ReadPlanned(ctx context.Context, path string) (*Planned, error) {
	sys, err := d.svc.Get(ctx, path)
	if err != nil {
		return nil, fromWMI("read the planned VM", err)
	}
	p := &Planned{Path: sys.Path, ID: sys.String("Name"), Name: sys.String("ElementName")}
	settings, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+sys.Path+"} WHERE ResultClass = "+wmi.ClassSystemSettingData)
	if err != nil {
		return nil, fromWMI("read the planned VM's settings", err)
	}
	for _, s := range settings {
		if strings.HasPrefix(s.String("VirtualSystemType"), "Microsoft:Hyper-V:Snapshot:") {
			p.Snapshots = append(p.Snapshots, s)
		} else if p.Settings == nil {
			p.Settings = s
		}
	}
	if p.Settings == nil {
		return nil, errs.E(errs.HostFailed, "Hyper-V returned no settings for planned VM %s", p.ID)
	}
	p.Version = p.Settings.String("Version")
	for _, s := range append([]*wmi.Object{p.Settings}, p.Snapshots...) {
		disks, err := d.diskSettings(ctx, s)
		if err != nil {
			return nil, err
		}
		for _, ds := range disks {
			p.Disks = append(p.Disks, PlannedDisk{Setting: ds.obj, Path: ds.path, Snapshot: s != p.Settings})
		}
	}
	ports, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+p.Settings.Path+"} WHERE ResultClass = "+wmi.ClassEthernetPortAllocation)
	if err != nil {
		return nil, fromWMI("read the planned VM's network adapters", err)
	}
	for _, o := range ports {
		n := PlannedNIC{Setting: o, Connected: o.Uint("EnabledState") != uint64(wmi.EnabledDisabled)}
		if hr := o.Strings("HostResource"); len(hr) > 0 {
			n.SwitchPath = hr[0]
		}
		p.NICs = append(p.NICs, n)
	}
	return p, nil
}

// DataRoots are a VM's folders (Msvm_VirtualSystemSettingData).
type DataRoots struct {
	Configuration string // ConfigurationDataRoot
	Snapshot      string // SnapshotDataRoot
	SwapFile      string // SwapFileDataRoot (smart paging)
}

// ModifyPlanned renames a planned VM and sets its data roots
// (ModifySystemSettings); empty values are left as they are.
func (d *Driver) ModifyPlanned(ctx context.Context, p *Planned, name string, roots DataRoots) error {
	s := p.Settings.Clone()
	for prop, v := range map[string]string{"ElementName": name, "ConfigurationDataRoot": roots.Configuration,
		"SnapshotDataRoot": roots.Snapshot, "SwapFileDataRoot": roots.SwapFile} {
		if v == "" {
			continue
		}
		if err := s.Set(prop, v); err != nil {
			return errs.Wrap(errs.Internal, err, "set %s", prop)
		}
	}
	text, err := d.embed(ctx, s)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "encode the planned VM's settings")
	}
	_, _, err = d.call(ctx, "change the planned VM's settings", "ModifySystemSettings", wmi.Params{"SystemSettings": text}, true, progress.Discard)
	return err
}

// SetDiskPath points one of a planned VM's disks at another file
// (ModifyResourceSettings on its HostResource).
func (d *Driver) SetDiskPath(ctx context.Context, disk PlannedDisk, path string) error {
	s := disk.Setting.Clone()
	if err := s.Set("HostResource", []string{path}); err != nil {
		return errs.Wrap(errs.Internal, err, "set HostResource")
	}
	return d.modifyResource(ctx, "change a disk's path", s)
}

// ConnectNIC connects an adapter to a switch (by its WMI path), or
// disconnects it when switchPath is "" (EnabledState 3, as Microsoft's
// ConnectVmToSwitch sample does; docs/HYPERV.md#import-sequence).
func (d *Driver) ConnectNIC(ctx context.Context, nic PlannedNIC, switchPath string) error {
	s := nic.Setting.Clone()
	var err error
	if switchPath == "" {
		err = s.Set("EnabledState", wmi.EnabledDisabled)
	} else {
		if err = s.Set("HostResource", []string{switchPath}); err == nil && s.Has("EnabledState") {
			err = s.Set("EnabledState", wmi.EnabledEnabled)
		}
	}
	if err != nil {
		return errs.Wrap(errs.Internal, err, "edit the network connection")
	}
	return d.modifyResource(ctx, "change a network connection", s)
}

func (d *Driver) modifyResource(ctx context.Context, op string, s *wmi.Object) error {
	text, err := d.embed(ctx, s)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "encode %s", s.Class)
	}
	_, _, err = d.call(ctx, op, "ModifyResourceSettings", wmi.Params{"ResourceSettings": []string{text}}, true, progress.Discard)
	return err
}

// Incompatibility is one problem ValidatePlannedSystem reported (an
// Msvm_Error; PowerShell's VMCompatibilityReport.Incompatibilities).
type Incompatibility struct {
	MessageID string
	Message   string
	Source    string // path of the object at fault (Msvm_Error.ErrorSource)
}

// ValidatePlanned runs ValidatePlannedSystem and returns its
// incompatibilities; a job failure without Msvm_Error details is an error.
//
// A real host reports incompatibilities on a validation job that
// *completed* (JobState 7 or 32768), read with GetErrorEx (docs/HYPERV.md#validation:
// Microsoft's Pvm sample ValidatePvm lists the job's errors
// after success; the Hyper-V PowerShell client's
// EndValidatePlannedVirtualSystem throws only for a failed job, then
// returns the errors). A job that failed with a list of Msvm_Error is read
// the same way; a failure without one is an error.
func (d *Driver) ValidatePlanned(ctx context.Context, p *Planned) ([]Incompatibility, error) {
	_, job, err := d.call(ctx, "validate the planned VM", "ValidatePlannedSystem", wmi.Params{"PlannedSystem": p.Path}, false, progress.Discard)
	var found []*wmi.Object
	var je *wmi.JobError
	switch {
	case err == nil && job != "":
		found = d.jobErrors(context.WithoutCancel(ctx), job)
	case err == nil:
		return nil, nil // finished synchronously: no job to read errors from
	case errors.As(err, &je) && len(je.Errors) > 0:
		found = je.Errors
	default:
		return nil, err
	}
	out := make([]Incompatibility, 0, len(found))
	for _, e := range found {
		out = append(out, Incompatibility{MessageID: e.String("MessageID"), Message: e.String("Message"), Source: e.String("ErrorSource")})
	}
	return out, nil
}

// RealizePlanned turns the planned VM into a VM (RealizePlannedSystem).
func (d *Driver) RealizePlanned(ctx context.Context, p *Planned, prog Progress) (VM, error) {
	out, job, err := d.call(ctx, "realize the planned VM", "RealizePlannedSystem", wmi.Params{"PlannedSystem": p.Path}, false, prog)
	if err != nil {
		return VM{}, err
	}
	// As for ImportSystemDefinition: the job's Msvm_AffectedJobElement
	// first (the Pvm sample), the out-parameter ResultingSystem when the
	// association names nothing (os-win's realize_vm).
	path := out.String("ResultingSystem")
	if job != "" {
		objs, err := d.affected(ctx, job, wmi.ClassComputerSystem)
		if err != nil {
			return VM{}, err
		}
		for _, o := range objs {
			if strings.EqualFold(o.String("Name"), p.ID) {
				return vmFrom(o), nil
			}
		}
		if len(objs) > 0 {
			return vmFrom(objs[0]), nil
		}
	}
	if path == "" {
		return VM{}, errs.E(errs.HostFailed, "RealizePlannedSystem finished but names no VM (neither its job nor its ResultingSystem out-parameter)")
	}
	o, err := d.svc.Get(ctx, path)
	if err != nil {
		return VM{}, fromWMI("read the imported VM", err)
	}
	return vmFrom(o), nil
}

// DestroyPlanned discards a planned VM (DestroySystem), as PowerShell and
// os-win do after a failed import. It runs even when ctx is cancelled:
// cleanup must not be skipped because the job was.
func (d *Driver) DestroyPlanned(ctx context.Context, p *Planned) error {
	_, _, err := d.call(context.WithoutCancel(ctx), "discard the planned VM", "DestroySystem", wmi.Params{"AffectedSystem": p.Path}, true, progress.Discard)
	return err
}

// PlannedVMs lists the host's planned VMs (leftovers of failed imports show
// up here).
func (d *Driver) PlannedVMs(ctx context.Context) ([]VM, error) {
	if d.api == V1 {
		// root\virtualization has no Msvm_PlannedComputerSystem (it came
		// with v2, docs/HYPERV.md#planned-vm): a v1 host has no planned VMs, and asking
		// WMI for the class fails with 0x80041010 (invalid class).
		return []VM{}, nil
	}
	objs, err := d.svc.ExecQuery(ctx, "SELECT * FROM "+wmi.ClassPlannedComputerSystem)
	if err != nil {
		return nil, fromWMI("list planned VMs", err)
	}
	out := make([]VM, 0, len(objs))
	for _, o := range objs {
		out = append(out, vmFrom(o))
	}
	return out, nil
}
