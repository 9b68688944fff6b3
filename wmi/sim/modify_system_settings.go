package sim

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.ModifySystemSettings
// (docs/HYPERV.md#v2-methods, #import-modes), with the CIM-style return codes:
//
//	uint32 ModifySystemSettings([in] string SystemSettings,
//	    [out] CIM_ConcreteJob REF Job)
//
// SystemSettings is an embedded Msvm_VirtualSystemSettingData, found by its
// InstanceID among the settings of VMs, snapshots, planned VMs and planned
// snapshots. The simulator applies:
//
//   - ElementName and Notes, on any of them (renaming a VM or checkpoint);
//   - ConfigurationDataRoot, SnapshotDataRoot and SwapFileDataRoot on a
//     planned VM's own settings: where RealizePlannedSystem puts the
//     configuration, the snapshots' configurations and the runtime state —
//     Import-VM -VirtualMachinePath / -SnapshotFilePath /
//     -SmartPagingFilePath (docs/HYPERV.md#import-modes, an INFERRED mapping). Each must be an
//     absolute path; it need not exist (realizing creates it).
//
// A NULL property leaves the value as it is; the other properties are
// ignored (SuspendDataRoot and LogDataRoot follow ConfigurationDataRoot
// here). Return codes, in order: a fault rule's; 4 Invalid Parameter when
// SystemSettings is NULL, not CIM-XML, not a VSSD, names no settings, or
// has a data root that is not absolute; 5 Invalid State when its system is
// busy with a job, or when it changes the data roots of anything but a
// planned VM (moving a VM's storage is not modelled); else 0, at once
// (never a job; a real host may start one, UNCERTAIN).
func (h *Host) modifySystemSettings(call *methodCall) (*wmi.Object, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	reply := func(code uint32, reason string) (*wmi.Object, error) {
		if code != 0 {
			h.rejectCall(call, code, reason)
		}
		return outParams(code, jobOutParam("")), nil
	}
	text, _ := call.in["SystemSettings"].(string)
	o, ok := decodeEmbedded(text, classSystemSettingData)
	var owner settingOwner
	found := false
	if ok {
		if id, ok := settingID(o.String("InstanceID")); ok {
			h.allConfigsLocked(func(s settingOwner) bool {
				found = strings.EqualFold(s.config.ID, id)
				owner = s
				return found
			})
		}
	}
	id, name := "", ""
	if found {
		id, name = owner.systemID(), owner.systemName()
	}
	if f := h.takeFaultLocked(call.method, id, name, true); f != nil {
		return reply(f.ReturnValue, "fault rule")
	}
	if !ok {
		return reply(wmi.CIMReturnInvalidParameter, "SystemSettings is NULL or not an embedded Msvm_VirtualSystemSettingData")
	}
	if !found {
		return reply(wmi.CIMReturnInvalidParameter, fmt.Sprintf("no virtual system settings with InstanceID %q", o.String("InstanceID")))
	}
	// A snapshot's settings show its VM's data roots: compare with those.
	sys := owner.systemConfig()
	roots := []*string{&sys.ConfigurationDataRoot, &sys.SnapshotDataRoot, &sys.SwapFileDataRoot}
	newRoots := make([]string, len(roots))
	rootsChange := false
	for i, prop := range []string{"ConfigurationDataRoot", "SnapshotDataRoot", "SwapFileDataRoot"} {
		current := *roots[i]
		newRoots[i] = current
		v, set := nullOrString(o, prop)
		if !set || v == current || (v != "" && current != "" && filepath.Clean(v) == filepath.Clean(current)) {
			continue
		}
		if !filepath.IsAbs(v) {
			return reply(wmi.CIMReturnInvalidParameter, fmt.Sprintf("%s %q is not a fully qualified path", prop, v))
		}
		newRoots[i], rootsChange = filepath.Clean(v), true
	}
	switch {
	case h.busyJobLocked(id) != nil:
		return reply(wmi.CIMReturnInvalidState, fmt.Sprintf("%s is busy with job %s", name, h.busyJobLocked(id).id))
	case rootsChange && (owner.planned == nil || owner.isSnapshot()):
		return reply(wmi.CIMReturnInvalidState, "only a planned virtual machine's data roots can be changed")
	}
	c := owner.config
	before, sysBefore := c.clone(), sys.clone()
	if v, set := nullOrString(o, "ElementName"); set {
		c.Name = v
	}
	if notes, ok := o.Get("Notes").([]string); ok {
		c.Notes = slices.Clone(notes)
	}
	for i := range roots {
		*roots[i] = newRoots[i]
	}
	if err := h.saveOwnerLocked(owner); err != nil {
		*c, *sys = *before, *sysBefore
		return reply(wmi.CIMReturnFailed, err.Error())
	}
	return reply(wmi.CIMReturnOK, "")
}
