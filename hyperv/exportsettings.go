package hyperv

import (
	"context"
	"fmt"
	"strings"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/wmi"
)

// SnapshotMode is Msvm_VirtualSystemExportSettingData.CopySnapshotConfiguration.
type SnapshotMode uint8

// LiveState is Msvm_VirtualSystemExportSettingData.CaptureLiveState.
type LiveState uint8

// The REST names are Hyper-V's enum names in lower camel case, so the
// numbers and the names come from one source (docs/HYPERV.md#v1-export-settings, #v2-export-settings).
var (
	snapshotModeNames = []string{
		wmi.ExportAllSnapshots: "exportAllSnapshots", wmi.ExportNoSnapshots: "exportNoSnapshots",
		wmi.ExportOneSnapshot: "exportOneSnapshot", wmi.ExportOneSnapshotForBackup: "exportOneSnapshotForBackup",
	}
	liveStateNames = []string{
		wmi.CaptureCrashConsistentState: "captureCrashConsistentState", wmi.CaptureSavedState: "captureSavedState",
		wmi.CaptureAppConsistentState: "captureAppConsistentState",
	}
)

func (m SnapshotMode) String() string { return nameOf(snapshotModeNames, int(m)) }
func (l LiveState) String() string    { return nameOf(liveStateNames, int(l)) }

// SnapshotModeNames lists the allowed REST values.
func SnapshotModeNames() []string { return append([]string(nil), snapshotModeNames...) }

// LiveStateNames lists the allowed REST values.
func LiveStateNames() []string { return append([]string(nil), liveStateNames...) }

// ParseSnapshotMode parses a REST name.
func ParseSnapshotMode(s string) (SnapshotMode, bool) {
	i := indexOf(snapshotModeNames, s)
	return SnapshotMode(i), i >= 0
}

// ParseLiveState parses a REST name.
func ParseLiveState(s string) (LiveState, bool) {
	i := indexOf(liveStateNames, s)
	return LiveState(i), i >= 0
}

func nameOf(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return "unknown"
}

func indexOf(names []string, s string) int {
	for i, n := range names {
		if n == s {
			return i
		}
	}
	return -1
}

// ExportSettings is the export setting data in the driver's terms.
type ExportSettings struct {
	CopyVmStorage              bool
	CopyVmRuntimeInformation   bool
	CopySnapshotConfiguration  SnapshotMode
	SnapshotVirtualSystem      string // snapshot id; "" = none
	CreateVmExportSubdirectory bool
	// CaptureLiveState is nil when the host's export setting data has no
	// such property (v1, Windows Server 2012).
	CaptureLiveState *LiveState

	// The v2 fields below are nil when the host lacks them (v1, and older
	// v2 hosts: docs/HYPERV.md#v2-export-settings gives the Windows version of each).
	BackupIntent                        *BackupIntent
	ExportForLiveMigration              *bool
	DisableDifferentialOfIgnoredStorage *bool
	// ExcludedVirtualHardDisks are InstanceIDs of the VM's disks
	// (Msvm_StorageAllocationSettingData) not to export.
	ExcludedVirtualHardDisks []string
	// DifferentialBackupBase is a checkpoint id; "" = none.
	DifferentialBackupBase string
	// has records which of the optional properties the host's instance
	// declares.
	has map[string]bool
}

// BackupIntent is Msvm_VirtualSystemExportSettingData.BackupIntent (this
// class's numbering: 0 PreserveChain, 1 Merge; docs/HYPERV.md#v2-export-settings warns other
// classes number it differently).
type BackupIntent uint8

var backupIntentNames = []string{0: "preserveChain", 1: "merge"}

func (b BackupIntent) String() string { return nameOf(backupIntentNames, int(b)) }

// BackupIntentNames lists the allowed REST values.
func BackupIntentNames() []string { return append([]string(nil), backupIntentNames...) }

// ParseBackupIntent parses a REST name.
func ParseBackupIntent(s string) (BackupIntent, bool) {
	i := indexOf(backupIntentNames, s)
	return BackupIntent(i), i >= 0
}

// HostHas reports whether the host's export setting data has the property
// (e.g. "ExcludedVirtualHardDisks"), as read with the defaults.
func (s ExportSettings) HostHas(property string) bool { return s.has[property] }

// DefaultExportSettings reads the VM's default
// Msvm_VirtualSystemExportSettingData, as Hyper-V hands it out.
func (d *Driver) DefaultExportSettings(ctx context.Context, vm VM) (ExportSettings, error) {
	o, err := d.exportSettingData(ctx, vm)
	if err != nil {
		return ExportSettings{}, err
	}
	return settingsFrom(o), nil
}

// settingsFrom reads an export setting data instance.
func settingsFrom(o *wmi.Object) ExportSettings {
	s := ExportSettings{
		CopyVmStorage:              o.Bool("CopyVmStorage"),
		CopyVmRuntimeInformation:   o.Bool("CopyVmRuntimeInformation"),
		CopySnapshotConfiguration:  SnapshotMode(o.Uint("CopySnapshotConfiguration")),
		CreateVmExportSubdirectory: o.Bool("CreateVmExportSubdirectory"),
	}
	if p := o.String("SnapshotVirtualSystem"); p != "" {
		if pp, err := wmi.ParsePath(p); err == nil {
			s.SnapshotVirtualSystem = settingID(pp.Key("InstanceID"))
		}
	}
	if o.Has("CaptureLiveState") {
		l := LiveState(o.Uint("CaptureLiveState"))
		s.CaptureLiveState = &l
	}
	s.has = map[string]bool{}
	for _, p := range []string{"CaptureLiveState", "BackupIntent", "ExportForLiveMigration",
		"DisableDifferentialOfIgnoredStorage", "ExcludedVirtualHardDisks", "DifferentialBackupBase"} {
		s.has[p] = o.Has(p)
	}
	if o.Has("BackupIntent") {
		b := BackupIntent(o.Uint("BackupIntent"))
		s.BackupIntent = &b
	}
	if o.Has("ExportForLiveMigration") {
		b := o.Bool("ExportForLiveMigration")
		s.ExportForLiveMigration = &b
	}
	if o.Has("DisableDifferentialOfIgnoredStorage") {
		b := o.Bool("DisableDifferentialOfIgnoredStorage")
		s.DisableDifferentialOfIgnoredStorage = &b
	}
	s.ExcludedVirtualHardDisks = o.Strings("ExcludedVirtualHardDisks")
	if p := o.String("DifferentialBackupBase"); p != "" {
		if pp, err := wmi.ParsePath(p); err == nil {
			s.DifferentialBackupBase = settingID(pp.Key("InstanceID"))
		}
	}
	return s
}

// exportSettingData fetches the VM's default instance through the
// association, as Microsoft's samples do (docs/HYPERV.md#v1-export-settings, #v2-export-settings).
func (d *Driver) exportSettingData(ctx context.Context, vm VM) (*wmi.Object, error) {
	objs, err := d.svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vm.Path+"} WHERE ResultClass = "+wmi.ClassExportSettingData)
	if err != nil {
		return nil, fromWMI("read the default export settings", err)
	}
	if len(objs) == 0 {
		return nil, errs.E(errs.HostFailed, "Hyper-V returned no %s for VM %s", wmi.ClassExportSettingData, vm.ID)
	}
	return objs[0], nil
}

// encodeExportSettings writes s into Hyper-V's own default instance and
// encodes it as the embedded-instance string the export method takes.
// Editing the instance Hyper-V gave us (rather than building one) keeps
// every property we do not model at the host's value.
func (d *Driver) encodeExportSettings(ctx context.Context, o *wmi.Object, s ExportSettings, refs exportRefs) (string, error) {
	set := func(name string, v any) error {
		if err := o.Set(name, v); err != nil {
			return errs.Wrap(errs.Internal, err, "set %s on the export setting data", name)
		}
		return nil
	}
	for _, e := range []struct {
		name string
		v    any
	}{
		{"CopyVmStorage", s.CopyVmStorage},
		{"CopyVmRuntimeInformation", s.CopyVmRuntimeInformation},
		{"CopySnapshotConfiguration", uint8(s.CopySnapshotConfiguration)},
		{"CreateVmExportSubdirectory", s.CreateVmExportSubdirectory},
	} {
		if err := set(e.name, e.v); err != nil {
			return "", err
		}
	}
	if err := set("SnapshotVirtualSystem", nullIfEmpty(refs.snapshot)); err != nil {
		return "", err
	}
	optional := []struct {
		name string
		v    any
		use  bool
	}{
		{"CaptureLiveState", ptrValue(s.CaptureLiveState, func(l LiveState) any { return uint8(l) }), s.CaptureLiveState != nil},
		{"BackupIntent", ptrValue(s.BackupIntent, func(b BackupIntent) any { return uint8(b) }), s.BackupIntent != nil},
		{"ExportForLiveMigration", ptrValue(s.ExportForLiveMigration, func(b bool) any { return b }), s.ExportForLiveMigration != nil},
		{"DisableDifferentialOfIgnoredStorage", ptrValue(s.DisableDifferentialOfIgnoredStorage, func(b bool) any { return b }), s.DisableDifferentialOfIgnoredStorage != nil},
		{"ExcludedVirtualHardDisks", s.ExcludedVirtualHardDisks, len(s.ExcludedVirtualHardDisks) > 0},
		{"DifferentialBackupBase", nullIfEmpty(refs.differentialBase), refs.differentialBase != ""},
	}
	for _, p := range optional {
		if p.use {
			if err := set(p.name, p.v); err != nil {
				return "", err
			}
		}
	}
	text, err := d.embed(ctx, o)
	if err != nil {
		return "", errs.Wrap(errs.Internal, err, "encode the export setting data")
	}
	return text, nil
}

// exportRefs are the WMI paths the settings' ids resolve to.
type exportRefs struct {
	snapshot         string // SnapshotVirtualSystem
	differentialBase string // DifferentialBackupBase
}

// validateExport checks what Hyper-V would refuse (or silently ignore),
// before any job starts, so the client gets a 422 naming the field instead
// of a failed job. host is the default instance's settings: it says which
// properties this host has.
func (d *Driver) validateExport(ctx context.Context, vm VM, s ExportSettings, host ExportSettings) (exportRefs, error) {
	var refs exportRefs
	unsupported := func(field, property string) error {
		return errs.Field(field, "this host's Hyper-V ("+string(d.api)+" API) has no "+property+"; leave it out")
	}
	for _, c := range []struct {
		set             bool
		field, property string
	}{
		{s.CaptureLiveState != nil, "settings.captureLiveState", "CaptureLiveState"},
		{s.BackupIntent != nil, "settings.backupIntent", "BackupIntent"},
		{s.ExportForLiveMigration != nil, "settings.exportForLiveMigration", "ExportForLiveMigration"},
		{s.DisableDifferentialOfIgnoredStorage != nil, "settings.disableDifferentialOfIgnoredStorage", "DisableDifferentialOfIgnoredStorage"},
		{len(s.ExcludedVirtualHardDisks) > 0, "settings.excludedVirtualHardDisks", "ExcludedVirtualHardDisks"},
		{s.DifferentialBackupBase != "", "settings.differentialBackupBase", "DifferentialBackupBase"},
	} {
		if c.set && !host.HostHas(c.property) {
			return refs, unsupported(c.field, c.property)
		}
	}
	mode := s.CopySnapshotConfiguration
	if mode > SnapshotMode(wmi.ExportOneSnapshotForBackup) {
		return refs, errs.Field("settings.copySnapshotConfiguration", "unknown value", SnapshotModeNames()...)
	}
	if mode == SnapshotMode(wmi.ExportOneSnapshotForBackup) && d.api == V1 {
		return refs, errs.Field("settings.copySnapshotConfiguration", "exportOneSnapshotForBackup needs the v2 API (Windows Server 2016 or later)",
			"exportAllSnapshots", "exportNoSnapshots", "exportOneSnapshot")
	}
	if s.BackupIntent != nil && *s.BackupIntent > 1 {
		return refs, errs.Field("settings.backupIntent", "unknown value", BackupIntentNames()...)
	}
	if len(s.ExcludedVirtualHardDisks) > 0 {
		if mode == SnapshotMode(wmi.ExportAllSnapshots) {
			// Hyper-V rejects the two together (docs/HYPERV.md#pitfall-excluded-disks).
			return refs, errs.Field("settings.excludedVirtualHardDisks", "cannot be used with copySnapshotConfiguration exportAllSnapshots (Hyper-V rejects the combination); choose exportNoSnapshots, exportOneSnapshot or exportOneSnapshotForBackup")
		}
		if err := d.checkDiskIDs(ctx, vm, s.ExcludedVirtualHardDisks); err != nil {
			return refs, err
		}
	}
	snaps, err := d.Snapshots(ctx, vm)
	if err != nil {
		return refs, err
	}
	findSnap := func(field, id string) (string, error) {
		ids := make([]string, 0, len(snaps))
		for _, sn := range snaps {
			if strings.EqualFold(sn.ID, id) {
				return sn.Path, nil
			}
			ids = append(ids, sn.ID)
		}
		return "", errs.Field(field, "not a checkpoint of VM "+vm.Name, ids...)
	}
	if s.DifferentialBackupBase != "" {
		if mode != SnapshotMode(wmi.ExportOneSnapshotForBackup) {
			return refs, errs.Field("settings.differentialBackupBase", "only used with copySnapshotConfiguration exportOneSnapshotForBackup; Hyper-V would ignore it")
		}
		if refs.differentialBase, err = findSnap("settings.differentialBackupBase", s.DifferentialBackupBase); err != nil {
			return refs, err
		}
	}
	one := mode == SnapshotMode(wmi.ExportOneSnapshot) || mode == SnapshotMode(wmi.ExportOneSnapshotForBackup)
	if !one {
		if s.SnapshotVirtualSystem != "" {
			return refs, errs.Field("settings.snapshotVirtualSystem", "only used with copySnapshotConfiguration exportOneSnapshot or exportOneSnapshotForBackup; Hyper-V would ignore it")
		}
		return refs, nil
	}
	if s.SnapshotVirtualSystem == "" {
		return refs, errs.Field("settings.snapshotVirtualSystem", "required with copySnapshotConfiguration "+mode.String()+": the id of one of the VM's checkpoints")
	}
	refs.snapshot, err = findSnap("settings.snapshotVirtualSystem", s.SnapshotVirtualSystem)
	return refs, err
}

// checkDiskIDs makes sure every id names one of the VM's disks; Hyper-V
// fails the whole export otherwise (docs/HYPERV.md#v2-export-settings).
func (d *Driver) checkDiskIDs(ctx context.Context, vm VM, ids []string) error {
	det, err := d.VMDetails(ctx, vm)
	if err != nil {
		return err
	}
	valid := make([]string, 0, len(det.Disks))
	for _, disk := range det.Disks {
		valid = append(valid, disk.ID)
	}
	for i, id := range ids {
		found := false
		for _, v := range valid {
			if v == id {
				found = true
			}
		}
		if !found {
			return errs.Field(fmt.Sprintf("settings.excludedVirtualHardDisks[%d]", i), "not a disk of VM "+vm.Name+" (see the disks' ids in GET /v1/vms/{vm})", valid...)
		}
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func ptrValue[T any](p *T, f func(T) any) any {
	if p == nil {
		return nil
	}
	return f(*p)
}
