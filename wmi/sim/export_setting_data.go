package sim

import (
	"fmt"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemExportSettingData ([v2 docs]
// msvm-virtualsystemexportsettingdata): each VM has a default instance,
// InstanceID "Microsoft:<VM GUID>" (the VM's VSSD InstanceID, which os-win
// queries by), reached through Msvm_SystemExportSettingData. Its defaults
// are those the Hyper-V team blog shows (docs/HYPERV.md#v1-export-settings):
// CopySnapshotConfiguration 0, CopyVmRuntimeInformation TRUE, CopyVmStorage
// TRUE, CreateVmExportSubdirectory FALSE, Caption "Virtual System Export
// Setting Data", SnapshotVirtualSystem NULL; and for the v2 additions
// (docs/HYPERV.md#v2-export-settings) BackupIntent 0, ExportForLiveMigration FALSE,
// DisableDifferentialOfIgnoredStorage FALSE, ExcludedVirtualHardDisks and
// DifferentialBackupBase NULL. CaptureLiveState's default is not
// documented: the host setting (1 CaptureSavedState unless seeded
// otherwise) — UNCERTAIN. Description and ElementName are not documented
// and left NULL.

func (h *Host) exportSettingDataLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, vm := range h.vms {
		out = append(out, h.newInstance(classExportSettingData, values{
			"InstanceID":                          settingInstanceID(vm.config.ID),
			"Caption":                             "Virtual System Export Setting Data",
			"CaptureLiveState":                    h.settings.ExportCaptureLiveState,
			"CopySnapshotConfiguration":           wmi.ExportAllSnapshots,
			"CopyVmRuntimeInformation":            true,
			"CopyVmStorage":                       true,
			"CreateVmExportSubdirectory":          false,
			"BackupIntent":                        uint8(0),
			"ExportForLiveMigration":              false,
			"DisableDifferentialOfIgnoredStorage": false,
		}))
	}
	return out
}

// backupIntentMerge is BackupIntentMerge in v2's
// Msvm_VirtualSystemExportSettingData.BackupIntent (docs/HYPERV.md#v2-export-settings: 0
// BackupIntentPreserveChain, 1 BackupIntentMerge; the collection class
// numbers them differently).
const backupIntentMerge uint8 = 1

// exportSettings are the decoded ExportSettingData of one export.
type exportSettings struct {
	captureLiveState     uint8
	copySnapshots        uint8
	copyRuntime          bool
	copyStorage          bool
	createSubdirectory   bool
	snapshotSystem       string
	backupIntent         uint8
	excludedDisks        []string
	differentialBackBase string
}

// decodeExportSettings decodes the ExportSettingData parameter. NULL
// booleans count as FALSE and NULL numbers as 0 (a spawned instance leaves
// unset properties NULL; INFERRED), except CaptureLiveState, where NULL
// means the host default.
func (h *Host) decodeExportSettings(v any) (*exportSettings, error) {
	text, _ := v.(string)
	if text == "" {
		return nil, fmt.Errorf("ExportSettingData is NULL or empty")
	}
	o, err := wmi.DecodeInstance(text)
	if err != nil {
		return nil, fmt.Errorf("ExportSettingData is not a CIM-XML instance: %w", err)
	}
	if !strings.EqualFold(o.Class, wmi.ClassExportSettingData) {
		return nil, fmt.Errorf("ExportSettingData is a %s, not a %s", o.Class, wmi.ClassExportSettingData)
	}
	got := map[string]any{}
	for _, p := range o.Props {
		def := classExportSettingData.prop(p.Name)
		if def == nil {
			return nil, fmt.Errorf("ExportSettingData has a property %s that %s does not declare", p.Name, wmi.ClassExportSettingData)
		}
		cv, err := wmi.Convert(def.typ, def.array, p.Value)
		if err != nil {
			return nil, fmt.Errorf("ExportSettingData.%s: %w", def.name, err)
		}
		got[def.name] = cv
	}
	u8 := func(name string, def uint8) uint8 {
		if x, ok := got[name].(uint8); ok {
			return x
		}
		return def
	}
	flag := func(name string) bool { b, _ := got[name].(bool); return b }
	str := func(name string) string { s, _ := got[name].(string); return s }
	s := &exportSettings{
		captureLiveState:     u8("CaptureLiveState", h.settings.ExportCaptureLiveState),
		copySnapshots:        u8("CopySnapshotConfiguration", wmi.ExportAllSnapshots),
		copyRuntime:          flag("CopyVmRuntimeInformation"),
		copyStorage:          flag("CopyVmStorage"),
		createSubdirectory:   flag("CreateVmExportSubdirectory"),
		snapshotSystem:       str("SnapshotVirtualSystem"),
		backupIntent:         u8("BackupIntent", 0),
		differentialBackBase: str("DifferentialBackupBase"),
	}
	s.excludedDisks, _ = got["ExcludedVirtualHardDisks"].([]string)
	switch {
	case s.copySnapshots > wmi.ExportOneSnapshotForBackup:
		return nil, fmt.Errorf("CopySnapshotConfiguration %d is not 0-3", s.copySnapshots)
	case s.captureLiveState > wmi.CaptureAppConsistentState:
		return nil, fmt.Errorf("CaptureLiveState %d is not 0-2", s.captureLiveState)
	case s.backupIntent > 1:
		return nil, fmt.Errorf("BackupIntent %d is not 0 or 1", s.backupIntent)
	}
	return s, nil
}
