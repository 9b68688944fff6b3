package sim

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.ModifyResourceSettings
// (docs/HYPERV.md#v2-methods, #import-sequence, #pitfall-missing-switch-disk), with the CIM-style return
// codes:
//
//	uint32 ModifyResourceSettings([in] string ResourceSettings[],
//	    [out] CIM_ResourceAllocationSettingData REF ResultingResourceSettings[],
//	    [out] CIM_ConcreteJob REF Job)
//
// Each element is an embedded resource setting found by its InstanceID.
// Modelled are the import fix-ups on a planned VM and its planned
// snapshots:
//
//   - Msvm_StorageAllocationSettingData: HostResource[0] is the disk's new
//     file (absolute; it need not exist yet — ValidatePlannedSystem checks;
//     NULL leaves the disk as it is, an empty array is not modelled).
//     The parents of a differencing disk are looked for next to the new
//     file by name and kept where they were otherwise, as a VHDX parent
//     locator's relative path is tried first (INFERRED; the simulator's
//     .avhdx hold no locator, doc.go).
//   - Msvm_EthernetPortAllocationSettingData: EnabledState 3 disconnects
//     the adapter (HostResource is then ignored); otherwise HostResource
//     must hold one switch path, which connects the adapter to that switch
//     (docs/HYPERV.md#import-sequence: ConnectVmToSwitch). To connect a disconnected adapter, set
//     EnabledState 2 (or NULL) too.
//
// A setting passed back unchanged is accepted on any VM. Return codes, in
// order, for the first element that fails (nothing is changed then): a
// fault rule's; 4 Invalid Parameter for a NULL or empty array, text that
// is not CIM-XML, a class other than these two, an InstanceID the host
// does not have, a disk path that is not absolute, a switch path that
// names no switch of this host; 6 Incompatible Parameters for an element
// whose class does not match the setting its InstanceID names, or a
// HostResource with more than one entry, or an adapter left enabled
// without a switch; 5 Invalid State for a change to a realized VM's or
// snapshot's setting (not modelled) or to a system busy with a job. Else
// 0 and ResultingResourceSettings, the paths of the settings, at once
// (never a job; UNCERTAIN whether a real host starts one).
func (h *Host) modifyResourceSettings(call *methodCall) (*wmi.Object, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	reply := func(code uint32, reason string, paths []string) (*wmi.Object, error) {
		if code != 0 {
			h.rejectCall(call, code, reason)
		}
		return outParams(code, refArrayProp("ResultingResourceSettings", paths), jobOutParam("")), nil
	}
	if f := h.takeFaultLocked(call.method, "", "", true); f != nil {
		return reply(f.ReturnValue, "fault rule", nil)
	}
	texts, _ := call.in["ResourceSettings"].([]string)
	if len(texts) == 0 {
		return reply(wmi.CIMReturnInvalidParameter, "ResourceSettings is NULL or empty", nil)
	}
	var changes []resourceChange
	for i, text := range texts {
		ch, code, reason := h.planResourceChangeLocked(text)
		if code != 0 {
			return reply(code, fmt.Sprintf("ResourceSettings[%d]: %s", i, reason), nil)
		}
		changes = append(changes, ch)
	}
	var paths []string
	touched := map[*plannedVM]bool{}
	for _, ch := range changes {
		ch.apply()
		if ch.changed {
			touched[ch.owner.planned] = true
		}
		paths = append(paths, ch.path)
	}
	for p := range touched {
		if err := h.writePlannedLocked(p); err != nil {
			return reply(wmi.CIMReturnFailed, err.Error(), nil)
		}
	}
	return reply(wmi.CIMReturnOK, "", paths)
}

// resourceChange is one checked element of ResourceSettings.
type resourceChange struct {
	owner   settingOwner
	path    string // the setting's object path
	changed bool
	apply   func()
}

// planResourceChangeLocked checks one element and prepares its change.
func (h *Host) planResourceChangeLocked(text string) (ch resourceChange, code uint32, reason string) {
	bad := func(code uint32, format string, args ...any) (resourceChange, uint32, string) {
		return resourceChange{}, code, fmt.Sprintf(format, args...)
	}
	o, err := wmi.DecodeInstance(text)
	if text == "" || err != nil {
		return bad(wmi.CIMReturnInvalidParameter, "not an embedded instance")
	}
	class := lookupClass(o.Class)
	isDisk := class != nil && class.isA(wmi.ClassStorageAllocation)
	isPort := class != nil && class.isA(wmi.ClassEthernetPortAllocation)
	if !isDisk && !isPort {
		return bad(wmi.CIMReturnInvalidParameter, "%s settings cannot be modified in the simulator", o.Class)
	}
	instanceID := o.String("InstanceID")
	var owner settingOwner
	disk, nic := -1, -1
	h.allConfigsLocked(func(s settingOwner) bool {
		for i, d := range s.config.Disks {
			if strings.EqualFold(storageInstanceID(s.config.ID, d), instanceID) {
				owner, disk = s, i
				return true
			}
		}
		for i, n := range s.config.NetworkAdapters {
			if strings.EqualFold(portInstanceID(s.config.ID, n), instanceID) {
				owner, nic = s, i
				return true
			}
		}
		return false
	})
	switch {
	case disk < 0 && nic < 0:
		return bad(wmi.CIMReturnInvalidParameter, "no resource settings with InstanceID %q", instanceID)
	case isDisk != (disk >= 0):
		return bad(wmi.CIMReturnIncompatibleParameters, "a %s for the InstanceID %q of another kind of setting", o.Class, instanceID)
	}
	hostResource, _ := o.Get("HostResource").([]string)
	if len(hostResource) > 1 {
		return bad(wmi.CIMReturnIncompatibleParameters, "HostResource has %d entries; one is modelled", len(hostResource))
	}
	c := owner.config
	ch = resourceChange{owner: owner}
	if disk >= 0 {
		d := &c.Disks[disk]
		ch.path = h.storageSettingPath(c.ID, *d)
		if hostResource != nil && len(hostResource) == 0 {
			return bad(wmi.CIMReturnInvalidParameter, "an empty HostResource (removing the disk's media) is not modelled")
		}
		if len(hostResource) == 1 {
			newPath := hostResource[0]
			if !filepath.IsAbs(newPath) {
				return bad(wmi.CIMReturnInvalidParameter, "HostResource[0] %q is not a fully qualified path", newPath)
			}
			newPath = filepath.Clean(newPath)
			if newPath != d.Path {
				ch.changed = true
				ch.apply = func() { relinkDisk(d, newPath) }
			}
		}
	} else {
		n := &c.NetworkAdapters[nic]
		ch.path = h.portSettingPath(c.ID, *n)
		state, stateSet := o.Get("EnabledState").(uint16)
		switch {
		case stateSet && state == wmi.EnabledDisabled:
			if n.SwitchID != "" {
				ch.changed = true
				ch.apply = func() { n.SwitchID = "" }
			}
		case len(hostResource) == 0:
			if n.SwitchID != "" || (stateSet && state == wmi.EnabledEnabled) {
				return bad(wmi.CIMReturnIncompatibleParameters, "an enabled connection needs a switch in HostResource")
			}
		case n.SwitchID != "" && wmi.SamePath(hostResource[0], h.switchPath(n.SwitchID)):
			// unchanged (even if the switch is missing: validation says so)
		default:
			sw := h.switchOfPathLocked(hostResource[0])
			if sw == nil {
				return bad(wmi.CIMReturnInvalidParameter, "HostResource[0] %q names no switch of this host", hostResource[0])
			}
			ch.changed = true
			ch.apply = func() { n.SwitchID, n.SwitchName = sw.ID, sw.Name }
		}
	}
	if !ch.changed {
		ch.apply = func() {}
		return ch, 0, ""
	}
	if owner.planned == nil {
		return bad(wmi.CIMReturnInvalidState, "changing the settings of a realized virtual machine is not modelled")
	}
	if j := h.busyJobLocked(owner.systemID()); j != nil {
		return bad(wmi.CIMReturnInvalidState, "%s is busy with job %s", owner.systemName(), j.id)
	}
	return ch, 0, ""
}

// relinkDisk points a disk at a new file and records its parents: those
// the file's parent locators lead to, or else (the file does not open
// yet: a caller that points the disk at a copy before copying) the
// recorded parents' names next to the new file where they exist there.
// Validation and realization read the chain from the files again.
func relinkDisk(d *diskConfig, newPath string) {
	if parents, ok := fileChain(newPath); ok {
		d.Path, d.ParentPaths = newPath, parents
		return
	}
	dir := filepath.Dir(newPath)
	for i, parent := range d.ParentPaths {
		if candidate := filepath.Join(dir, filepath.Base(parent)); isRegularFile(candidate) {
			d.ParentPaths[i] = candidate
		}
	}
	d.Path = newPath
}

// switchOfPathLocked resolves a Msvm_VirtualEthernetSwitch path to one of
// the host's switches, or nil.
func (h *Host) switchOfPathLocked(path string) *virtualSwitch {
	p, err := wmi.ParsePath(path)
	if err != nil || !strings.EqualFold(p.Class, wmi.ClassVirtualEthernetSwitch) ||
		(p.Namespace != "" && !strings.EqualFold(p.Namespace, wmi.NamespaceV2)) {
		return nil
	}
	for _, sw := range h.switches {
		if strings.EqualFold(sw.ID, p.Key("Name")) {
			return sw
		}
	}
	return nil
}
