package sim

import (
	"fmt"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// v1's Msvm_VirtualSystemExportSettingData (docs/HYPERV.md#v1-export-settings): a
// default instance per VM, reached through Msvm_SystemExportSettingData,
// with the values of the PowerShell dump in the Hyper-V team blog's
// "Import/Export Part 2" (2009): Caption "Virtual System Export Setting
// Data", Description and ElementName "Microsoft Virtual System Export
// Setting Data", InstanceID "Microsoft:<VM GUID>", CopySnapshotConfiguration
// 0, CopyVmRuntimeInformation TRUE, CopyVmStorage TRUE,
// CreateVmExportSubdirectory FALSE, SnapshotVirtualSystem NULL. The class
// has none of v2's later properties (CaptureLiveState, BackupIntent,
// ExcludedVirtualHardDisks, ...).

func (h *Host) v1ExportSettingDataLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, vm := range h.vms {
		out = append(out, h.newInstanceIn(wmi.NamespaceV1, classV1ExportSettingData, values{
			"InstanceID":                 settingInstanceID(vm.config.ID),
			"Caption":                    "Virtual System Export Setting Data",
			"Description":                "Microsoft Virtual System Export Setting Data",
			"ElementName":                "Microsoft Virtual System Export Setting Data",
			"CopySnapshotConfiguration":  wmi.ExportAllSnapshots,
			"CopyVmRuntimeInformation":   true,
			"CopyVmStorage":              true,
			"CreateVmExportSubdirectory": false,
		}))
	}
	return out
}

// decodeV1ExportSettings decodes ExportVirtualSystemEx's ExportSettingData
// into the settings v2's export engine takes. As for v2, NULL booleans
// count as FALSE and NULL CopySnapshotConfiguration as 0 (a spawned
// instance leaves unset properties NULL; INFERRED). Failures (all 32773 for
// the caller):
//
//   - NULL, not CIM-XML, or another class;
//   - a property v1's class does not declare — v2's CaptureLiveState,
//     BackupIntent, ... — because putting an undeclared property into an
//     instance of the v1 class fails;
//   - CopySnapshotConfiguration other than 0, 1 or 2 (v1 has no 3,
//     ExportOneSnapshotForBackup).
//
// The engine's CaptureLiveState is 1 (saved state): only Off and Saved VMs
// reach it, and a Saved VM's saved state is what CopyVmRuntimeInformation
// exports.
func decodeV1ExportSettings(v any) (*exportSettings, error) {
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
	got, err := declaredValues(o, classV1ExportSettingData, "ExportSettingData")
	if err != nil {
		return nil, err
	}
	s := &exportSettings{captureLiveState: wmi.CaptureSavedState}
	s.copySnapshots, _ = got["CopySnapshotConfiguration"].(uint8)
	s.copyRuntime, _ = got["CopyVmRuntimeInformation"].(bool)
	s.copyStorage, _ = got["CopyVmStorage"].(bool)
	s.createSubdirectory, _ = got["CreateVmExportSubdirectory"].(bool)
	s.snapshotSystem, _ = got["SnapshotVirtualSystem"].(string)
	if s.copySnapshots > wmi.ExportOneSnapshot {
		return nil, fmt.Errorf("CopySnapshotConfiguration %d is not 0-2 (v1 has no ExportOneSnapshotForBackup)", s.copySnapshots)
	}
	return s, nil
}

// declaredValues returns o's property values converted to the types class
// c declares, by declared name; a property c does not declare, or a value
// of the wrong type, is an error (what == the parameter's name).
func declaredValues(o *wmi.Object, c *classDef, what string) (map[string]any, error) {
	got := map[string]any{}
	for _, p := range o.Props {
		def := c.prop(p.Name)
		if def == nil {
			return nil, fmt.Errorf("%s has a property %s that %s in %s does not declare", what, p.Name, c.name, wmi.NamespaceV1)
		}
		cv, err := wmi.Convert(def.typ, def.array, p.Value)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", what, def.name, err)
		}
		got[def.name] = cv
	}
	return got, nil
}
