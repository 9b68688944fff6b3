package hyperv

import (
	"context"
	"strings"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/wmi"
)

// SnapshotMode is Msvm_VirtualSystemExportSettingData.CopySnapshotConfiguration.
type SnapshotMode uint8

// LiveState is Msvm_VirtualSystemExportSettingData.CaptureLiveState.
type LiveState uint8

// The REST names are Hyper-V's enum names in lower camel case, so the
// numbers and the names come from one source (facts §1.3, §2.2).
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
}

// DefaultExportSettings reads the VM's default
// Msvm_VirtualSystemExportSettingData, as Hyper-V hands it out.
func (d *Driver) DefaultExportSettings(ctx context.Context, vm VM) (ExportSettings, error) {
	o, err := d.exportSettingData(ctx, vm)
	if err != nil {
		return ExportSettings{}, err
	}
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
	return s, nil
}

// exportSettingData fetches the VM's default instance through the
// association, as Microsoft's samples do (facts §1.3, §2.2).
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
func (d *Driver) encodeExportSettings(o *wmi.Object, s ExportSettings, snapshotPath string) (string, error) {
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
	var snap any
	if snapshotPath != "" {
		snap = snapshotPath
	}
	if err := set("SnapshotVirtualSystem", snap); err != nil {
		return "", err
	}
	if s.CaptureLiveState != nil {
		if err := set("CaptureLiveState", uint8(*s.CaptureLiveState)); err != nil {
			return "", err
		}
	}
	text, err := wmi.EncodeInstance(o)
	if err != nil {
		return "", errs.Wrap(errs.Internal, err, "encode the export setting data")
	}
	return text, nil
}

// validateExport checks what Hyper-V would refuse, before any job starts,
// so the client gets a 422 naming the field instead of a failed job.
func (d *Driver) validateExport(ctx context.Context, vm VM, s ExportSettings, hostHasLiveState bool) (snapshotPath string, err error) {
	if s.CaptureLiveState != nil && !hostHasLiveState {
		return "", errs.Field("settings.captureLiveState", "this host's Hyper-V API ("+string(d.api)+") has no CaptureLiveState; leave it out")
	}
	if s.CopySnapshotConfiguration > SnapshotMode(wmi.ExportOneSnapshotForBackup) {
		return "", errs.Field("settings.copySnapshotConfiguration", "unknown value", SnapshotModeNames()...)
	}
	if s.CopySnapshotConfiguration == SnapshotMode(wmi.ExportOneSnapshotForBackup) && d.api == V1 {
		return "", errs.Field("settings.copySnapshotConfiguration", "exportOneSnapshotForBackup needs the v2 API (Windows Server 2016 or later)",
			"exportAllSnapshots", "exportNoSnapshots", "exportOneSnapshot")
	}
	one := s.CopySnapshotConfiguration == SnapshotMode(wmi.ExportOneSnapshot) || s.CopySnapshotConfiguration == SnapshotMode(wmi.ExportOneSnapshotForBackup)
	if !one {
		if s.SnapshotVirtualSystem != "" {
			return "", errs.Field("settings.snapshotVirtualSystem", "only used with copySnapshotConfiguration exportOneSnapshot or exportOneSnapshotForBackup; Hyper-V would ignore it")
		}
		return "", nil
	}
	if s.SnapshotVirtualSystem == "" {
		return "", errs.Field("settings.snapshotVirtualSystem", "required with copySnapshotConfiguration "+s.CopySnapshotConfiguration.String()+": the id of one of the VM's checkpoints")
	}
	snaps, err := d.Snapshots(ctx, vm)
	if err != nil {
		return "", err
	}
	ids := make([]string, 0, len(snaps))
	for _, sn := range snaps {
		if strings.EqualFold(sn.ID, s.SnapshotVirtualSystem) {
			return sn.Path, nil
		}
		ids = append(ids, sn.ID)
	}
	return "", errs.Field("settings.snapshotVirtualSystem", "not a checkpoint of VM "+vm.Name, ids...)
}
