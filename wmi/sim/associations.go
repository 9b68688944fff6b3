package sim

import (
	"strings"

	"github.com/hvport/hvport/wmi"
)

// The associations the simulator answers ASSOCIATORS OF queries with, by
// association class and roles as in the [v2 docs] pages and the
// samples in docs/HYPERV.md#v2-export-settings, #import-sequence:
//
//	Msvm_SettingsDefineState         ManagedElement=VM        SettingData=VM's VSSD
//	Msvm_ElementSettingData          ManagedElement=VM        SettingData=VM's VSSD
//	                                 ManagedElement=VMMS      SettingData=VMMS settings
//	Msvm_SnapshotOfVirtualSystem     Antecedent=VM            Dependent=snapshot VSSD
//	Msvm_MostCurrentSnapshotInBranch Antecedent=VM            Dependent=VM's newest snapshot VSSD
//	Msvm_VirtualSystemSettingDataComponent
//	                                 GroupComponent=VSSD      PartComponent=its disk and port settings
//	Msvm_SystemExportSettingData     ManagedElement=VM        SettingData=export setting data
//	Msvm_HostedService               Antecedent=host          Dependent=VMMS
//	Msvm_AffectedJobElement          AffectedElement=VM       AffectingElement=job
//	                                 (a planned VM for import jobs; the
//	                                 realized VM once a realize completes)
//
// A planned VM (Msvm_PlannedComputerSystem) has the same settings,
// snapshot and component associations as a realized one, but no export
// setting data.
//
// So ASSOCIATORS OF {VM} WHERE ResultClass = Msvm_VirtualSystemSettingData
// returns the VM's settings and every snapshot's, as on a real host.
// ResultClass and AssocClass match a class or any class derived from it;
// a ResultClass the simulator does not know gives no results.

// link is one instance of an association class.
type link struct {
	assoc            *classDef
	leftRole, left   string // object paths
	rightRole, right string
}

func (h *Host) linksLocked() []link {
	var out []link
	var add addLink = func(assoc *classDef, leftRole, left, rightRole, right string) {
		out = append(out, link{assoc, leftRole, left, rightRole, right})
	}
	for _, vm := range h.vms {
		c := vm.config
		system := h.vmSystemPath(c.ID)
		h.systemLinksLocked(system, c, vm.snapshots, add)
		add(assocSystemExportSettings, "ManagedElement", system, "SettingData",
			h.path(wmi.ClassExportSettingData, wmi.Key{Name: "InstanceID", Value: settingInstanceID(c.ID)}))
	}
	add(assocHostedService, "Antecedent", h.hostSystemPath(), "Dependent", h.managementServicePath())
	add(assocElementSettingData, "ManagedElement", h.managementServicePath(), "SettingData", h.managementServiceSettingsPath())
	for _, p := range h.planned {
		h.plannedLinksLocked(p, add)
	}
	for _, j := range h.jobs {
		if !j.hidden && j.affected != "" && j.namespace == wmi.NamespaceV2 {
			add(assocAffectedJobElement, "AffectedElement", j.affected, "AffectingElement", h.jobPath(j.id))
		}
	}
	return out
}

// addLink records one association instance.
type addLink func(assoc *classDef, leftRole, left, rightRole, right string)

// systemLinksLocked adds the associations a realized or planned VM shares:
// its settings, its snapshots' settings and their resource settings.
func (h *Host) systemLinksLocked(system string, c *vmConfig, snapshots []*vmConfig, add addLink) {
	settings := h.systemSettingPath(c.ID)
	add(assocSettingsDefineState, "ManagedElement", system, "SettingData", settings)
	add(assocElementSettingData, "ManagedElement", system, "SettingData", settings)
	for _, s := range snapshots {
		add(assocSnapshotOfSystem, "Antecedent", system, "Dependent", h.systemSettingPath(s.ID))
	}
	if c.Parent != "" {
		add(assocMostCurrentSnapshot, "Antecedent", system, "Dependent", h.systemSettingPath(c.Parent))
	}
	for _, cfg := range append([]*vmConfig{c}, snapshots...) {
		group := h.systemSettingPath(cfg.ID)
		for _, o := range h.storageAllocationsOfLocked(cfg) {
			add(assocSettingDataComponent, "GroupComponent", group, "PartComponent", o.Path)
		}
		for _, o := range h.ethernetPortAllocationsOfLocked(cfg) {
			add(assocSettingDataComponent, "GroupComponent", group, "PartComponent", o.Path)
		}
	}
}

// associatorsLocked runs an ASSOCIATORS OF query in ns.
func (h *Host) associatorsLocked(ns *namespace, q *associatorsQuery) ([]*wmi.Object, error) {
	src, c, err := parseInstancePath("ExecQuery", q.source, ns)
	if err != nil {
		return nil, err
	}
	source := h.findLocked(ns, c, src)
	if source == nil {
		return nil, &wmi.Error{HResult: wmi.WBEMNotFound, Msg: "no such instance " + q.source}
	}
	objects := map[string]*wmi.Object{}
	for _, o := range h.instancesLocked(ns, "CIM_ManagedElement") {
		objects[pathKey(o.Path)] = o
	}
	out := []*wmi.Object{}
	seen := map[string]bool{}
	for _, l := range ns.links(h) {
		if q.assocClass != "" && !l.assoc.isA(q.assocClass) {
			continue
		}
		for _, side := range [2][4]string{
			{l.leftRole, l.left, l.rightRole, l.right},
			{l.rightRole, l.right, l.leftRole, l.left},
		} {
			role, from, resultRole, to := side[0], side[1], side[2], side[3]
			if !wmi.SamePath(from, source.Path) ||
				(q.role != "" && !strings.EqualFold(q.role, role)) ||
				(q.resultRole != "" && !strings.EqualFold(q.resultRole, resultRole)) {
				continue
			}
			o := objects[pathKey(to)]
			if o == nil || seen[o.Path] {
				continue
			}
			if q.resultClass != "" {
				rc := ns.lookupClass(o.Class)
				if rc == nil || !rc.isA(q.resultClass) {
					continue
				}
			}
			seen[o.Path] = true
			out = append(out, o)
		}
	}
	return out, nil
}

// pathKey normalizes an object path for lookups: relative, and
// case-insensitive like the key comparison of wmi.SamePath.
func pathKey(path string) string {
	p, err := wmi.ParsePath(path)
	if err != nil {
		return strings.ToLower(path)
	}
	return strings.ToLower(p.RelPath())
}
