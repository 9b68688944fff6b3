package sim

import (
	"strings"

	"github.com/hvport/hvport/wmi"
)

// root\virtualization, the v1 namespace of Windows Server 2008 R2 and 2012
// (docs/HYPERV.md#v1): a second view of the same host — the VMs,
// switches, files and busy jobs of root\virtualization\v2 — with v1's
// classes (v1_schema.go), numbers and methods. A VM imported through either
// namespace appears in both; a VM busy with a job of either namespace is
// busy in both (32774); a job's Msvm_ConcreteJob is visible in the
// namespace of the method that started it only. Planned VMs are a v2
// concept and do not appear here.

var nsV1 = &namespace{
	name: wmi.NamespaceV1,
	classes: classMap(classV1ComputerSystem, classV1VirtualSwitch, classV1SystemSettingData,
		classV1GlobalSettingData, classV1ResourceAllocation, classV1SyntheticEthernetPort,
		classV1ManagementService, classV1ManagementServiceSettings, classV1ExportSettingData,
		classV1ImportSettingData, classV1ConcreteJob, classError,
		assocSettingsDefineState, assocElementSettingData, assocSettingDataComponent,
		assocSystemExportSettings, assocAffectedJobElement, assocHostedService),
	listers: v1InstanceListers,
	links:   (*Host).v1LinksLocked,
}

func init() { nsV1.methods = v1MethodImpls }

// v1InstanceListers are v1's enumerable classes, in query order.
// Msvm_VirtualSystemImportSettingData and Msvm_Error have no instances.
var v1InstanceListers = []instanceLister{
	{classV1ComputerSystem, (*Host).v1ComputerSystemsLocked},
	{classV1VirtualSwitch, (*Host).v1SwitchesLocked},
	{classV1SystemSettingData, (*Host).v1SystemSettingDataLocked},
	{classV1GlobalSettingData, (*Host).v1GlobalSettingDataLocked},
	{classV1ResourceAllocation, (*Host).v1ResourceAllocationsLocked},
	{classV1SyntheticEthernetPort, (*Host).v1EthernetPortsLocked},
	{classV1ManagementService, (*Host).v1ManagementServicesLocked},
	{classV1ManagementServiceSettings, (*Host).v1ManagementServiceSettingsLocked},
	{classV1ExportSettingData, (*Host).v1ExportSettingDataLocked},
	{classV1ConcreteJob, (*Host).v1JobsLocked},
}

// v1MethodImpls are v1's modelled methods. The Msvm_ConcreteJob methods
// are v2's: they find only the jobs of the caller's namespace.
var v1MethodImpls = map[string]methodImpl{
	"msvm_virtualsystemmanagementservice.exportvirtualsystemex":             (*Host).v1ExportVirtualSystemEx,
	"msvm_virtualsystemmanagementservice.getvirtualsystemimportsettingdata": (*Host).v1GetVirtualSystemImportSettingData,
	"msvm_virtualsystemmanagementservice.importvirtualsystemex":             (*Host).v1ImportVirtualSystemEx,
	"msvm_concretejob.requeststatechange":                                   (*Host).jobRequestStateChange,
	"msvm_concretejob.geterror":                                             (*Host).jobGetError,
	"msvm_concretejob.geterrorex":                                           (*Host).jobGetErrorEx,
}

// v1Path formats a full object path in root\virtualization.
func (h *Host) v1Path(class string, keys ...wmi.Key) string {
	return h.pathIn(wmi.NamespaceV1, class, keys...)
}

func (h *Host) v1SystemPath(name string) string {
	return h.v1Path(wmi.ClassComputerSystem,
		wmi.Key{Name: "CreationClassName", Value: wmi.ClassComputerSystem}, wmi.Key{Name: "Name", Value: name})
}

func (h *Host) v1SettingPath(id string) string {
	return h.v1Path(wmi.ClassSystemSettingData, wmi.Key{Name: "InstanceID", Value: settingInstanceID(id)})
}

func (h *Host) v1ManagementServicePath() string {
	return h.v1Path(wmi.ClassManagementService,
		wmi.Key{Name: "CreationClassName", Value: wmi.ClassManagementService},
		wmi.Key{Name: "Name", Value: "vmms"},
		wmi.Key{Name: "SystemCreationClassName", Value: wmi.ClassComputerSystem},
		wmi.Key{Name: "SystemName", Value: h.name})
}

// v1SystemRef resolves a REF to a VM's Msvm_ComputerSystem in
// root\virtualization (a path without namespace is taken as this one), or
// nil.
func (h *Host) v1SystemRefLocked(v any) *virtualMachine {
	s, _ := v.(string)
	p, err := wmi.ParsePath(s)
	if err != nil || (p.Namespace != "" && !strings.EqualFold(p.Namespace, wmi.NamespaceV1)) ||
		!strings.EqualFold(p.Class, wmi.ClassComputerSystem) || len(p.Keys) != 2 ||
		!strings.EqualFold(p.Key("CreationClassName"), wmi.ClassComputerSystem) {
		return nil
	}
	return h.vmLocked(p.Key("Name"))
}

// v1EnabledState is a VM's EnabledState as v1 reports it: 2 Enabled and
// 3 Disabled as in v2, the other states with v1's vendor values
// (wmi.EnabledV1*). v1 has no value for v2's 6 Offline or 9 Quiesce: a
// saved VM is 32769 Suspended, a paused one 32768 Paused.
// 32771 Snapshotting has no v2 counterpart the simulator models, so it is
// never reported.
func v1EnabledState(v2 uint16) uint16 {
	switch v2 {
	case wmi.EnabledOffline:
		return wmi.EnabledV1Suspended
	case wmi.EnabledQuiesce:
		return wmi.EnabledV1Paused
	case wmi.EnabledStarting:
		return wmi.EnabledV1Starting
	case wmi.EnabledShuttingDown:
		return wmi.EnabledV1Stopping
	case wmi.EnabledSaving:
		return wmi.EnabledV1Saving
	case wmi.EnabledPausing:
		return wmi.EnabledV1Pausing
	case wmi.EnabledResuming:
		return wmi.EnabledV1Resuming
	}
	return v2 // 2, 3
}

// v1LinksLocked are v1's association instances:
//
//	Msvm_SettingsDefineState          ManagedElement=VM  SettingData=VM's current VSSD
//	Msvm_ElementSettingData           ManagedElement=VM  SettingData=VM's current VSSD, each snapshot's
//	                                                     VSSD (INFERRED) and its global settings
//	                                  ManagedElement=VMMS SettingData=VMMS settings
//	Msvm_VirtualSystemSettingDataComponent
//	                                  GroupComponent=VSSD PartComponent=its drives, disks and adapters
//	Msvm_SystemExportSettingData      ManagedElement=VM  SettingData=export setting data (the
//	                                                     v2 class name; INFERRED for v1)
//	Msvm_HostedService                Antecedent=host    Dependent=VMMS
//	Msvm_AffectedJobElement           AffectedElement=VM AffectingElement=v1 job
//
// So ASSOCIATORS OF {VM} WHERE ResultClass = Msvm_VirtualSystemSettingData
// returns the current settings and every snapshot's, as in v2. v1's
// snapshot-tree associations (Msvm_PreviousSettingData,
// Msvm_ParentChildSettingData, Msvm_LastAppliedSettingData) are not
// modelled: VSSD.Parent names the parent snapshot.
func (h *Host) v1LinksLocked() []link {
	var out []link
	add := func(assoc *classDef, leftRole, left, rightRole, right string) {
		out = append(out, link{assoc, leftRole, left, rightRole, right})
	}
	for _, vm := range h.vms {
		c := vm.config
		system := h.v1SystemPath(c.ID)
		current := h.v1SettingPath(c.ID)
		add(assocSettingsDefineState, "ManagedElement", system, "SettingData", current)
		add(assocElementSettingData, "ManagedElement", system, "SettingData", current)
		for _, s := range vm.snapshots {
			add(assocElementSettingData, "ManagedElement", system, "SettingData", h.v1SettingPath(s.ID))
		}
		add(assocElementSettingData, "ManagedElement", system, "SettingData", h.v1GlobalSettingPath(c.ID))
		for _, cfg := range append([]*vmConfig{c}, vm.snapshots...) {
			group := h.v1SettingPath(cfg.ID)
			for _, o := range h.v1ResourceAllocationsOfLocked(cfg) {
				add(assocSettingDataComponent, "GroupComponent", group, "PartComponent", o.Path)
			}
			for _, o := range h.v1EthernetPortsOfLocked(cfg) {
				add(assocSettingDataComponent, "GroupComponent", group, "PartComponent", o.Path)
			}
		}
		add(assocSystemExportSettings, "ManagedElement", system, "SettingData",
			h.v1Path(wmi.ClassExportSettingData, wmi.Key{Name: "InstanceID", Value: settingInstanceID(c.ID)}))
	}
	add(assocHostedService, "Antecedent", h.v1SystemPath(h.name), "Dependent", h.v1ManagementServicePath())
	add(assocElementSettingData, "ManagedElement", h.v1ManagementServicePath(), "SettingData", h.v1ManagementServiceSettingsPath())
	for _, j := range h.jobs {
		if !j.hidden && j.affected != "" && j.namespace == wmi.NamespaceV1 {
			add(assocAffectedJobElement, "AffectedElement", j.affected, "AffectingElement", h.jobPathOf(j))
		}
	}
	return out
}

// v1JobsLocked lists the jobs v1 methods started, as v1 shows them: v2's
// Msvm_ConcreteJob without JobType (v1_schema.go).
func (h *Host) v1JobsLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, j := range h.jobs {
		if !j.hidden && j.namespace == wmi.NamespaceV1 {
			out = append(out, h.convertInstance(h.jobObjectLocked(j), classV1ConcreteJob, wmi.NamespaceV1, values{"Name": j.caption}))
		}
	}
	return out
}

// convertInstance rebuilds o (built for v2) as an instance of c in
// namespace ns: the properties c declares keep o's values, extra sets
// more; __PATH is made from c's keys.
func (h *Host) convertInstance(o *wmi.Object, c *classDef, ns string, extra values) *wmi.Object {
	v := values{}
	for _, p := range c.props {
		if x := o.Get(p.name); x != nil {
			v[p.name] = x
		}
	}
	for k, x := range extra {
		v[k] = x
	}
	return h.newInstanceIn(ns, c, v)
}
