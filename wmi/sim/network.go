package sim

import "github.com/hvport/hvport/wmi"

// Msvm_VirtualEthernetSwitch ([v2 docs] msvm-virtualethernetswitch): Name
// is the switch GUID, ElementName its friendly name.
//
// Msvm_EthernetPortAllocationSettingData ([v2 docs]
// msvm-ethernetportallocationsettingdata): a network adapter's connection,
// one per adapter of a VM's or snapshot's settings. HostResource holds the
// switch's WMI path (docs/HYPERV.md#import-sequence); a disconnected adapter has
// EnabledState 3 and no HostResource. InstanceID
// Microsoft:<VM or snapshot GUID>\<adapter GUID>\C and ElementName
// "Dynamic Ethernet Switch Port" are INFERRED from memory of real hosts;
// Parent names the adapter's Msvm_SyntheticEthernetPortSettingData, which
// the simulator does not model.
//
// A planned VM's adapters are listed too. An adapter whose switch this
// host does not have keeps that switch's path in HostResource (the path
// names no instance) and LastKnownSwitchName; ValidatePlannedSystem
// reports it. ModifyResourceSettings reconnects (HostResource = [switch
// path]) or disconnects (EnabledState 3) it (docs/HYPERV.md#import-sequence, #pitfall-missing-switch-disk).

func (h *Host) switchPath(id string) string {
	return h.path(wmi.ClassVirtualEthernetSwitch,
		wmi.Key{Name: "CreationClassName", Value: wmi.ClassVirtualEthernetSwitch}, wmi.Key{Name: "Name", Value: id})
}

func (h *Host) switchesLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, s := range h.switches {
		out = append(out, h.newInstance(classVirtualEthernetSwitch, values{
			"CreationClassName":  wmi.ClassVirtualEthernetSwitch,
			"Name":               s.ID,
			"ElementName":        s.Name,
			"Caption":            "Virtual Switch",
			"Description":        "Microsoft Virtual Switch",
			"EnabledState":       wmi.EnabledEnabled,
			"EnabledDefault":     uint16(2),
			"HealthState":        uint16(5),
			"OperationalStatus":  []uint16{2},
			"StatusDescriptions": []string{"OK"},
		}))
	}
	return out
}

// portInstanceID is the InstanceID of an adapter's connection settings.
func portInstanceID(ownerID string, n nicConfig) string {
	return "Microsoft:" + ownerID + `\` + n.ID + `\C`
}

// portSettingPath is the path of an adapter's connection settings.
func (h *Host) portSettingPath(ownerID string, n nicConfig) string {
	return h.path(wmi.ClassEthernetPortAllocation, wmi.Key{Name: "InstanceID", Value: portInstanceID(ownerID, n)})
}

func (h *Host) ethernetPortAllocationsLocked() []*wmi.Object {
	var out []*wmi.Object
	for _, vm := range h.vms {
		out = append(out, h.ethernetPortAllocationsOfLocked(vm.config)...)
		for _, s := range vm.snapshots {
			out = append(out, h.ethernetPortAllocationsOfLocked(s)...)
		}
	}
	for _, p := range h.planned {
		for _, c := range p.configs() {
			out = append(out, h.ethernetPortAllocationsOfLocked(c)...)
		}
	}
	return out
}

func (h *Host) ethernetPortAllocationsOfLocked(c *vmConfig) []*wmi.Object {
	var out []*wmi.Object
	for _, n := range c.NetworkAdapters {
		v := values{
			"InstanceID":            portInstanceID(c.ID, n),
			"Caption":               "Ethernet Switch Port Settings",
			"Description":           "Ethernet Switch Port Settings",
			"ElementName":           "Dynamic Ethernet Switch Port",
			"ResourceType":          uint16(33), // Ethernet Connection
			"ResourceSubType":       "Microsoft:Hyper-V:Ethernet Connection",
			"Parent":                h.path("Msvm_SyntheticEthernetPortSettingData", wmi.Key{Name: "InstanceID", Value: "Microsoft:" + c.ID + `\` + n.ID}),
			"ConsumerVisibility":    uint16(3),
			"AutomaticAllocation":   true,
			"AutomaticDeallocation": true,
			"Weight":                uint32(0),
			"VirtualQuantityUnits":  "count",
			"EnabledState":          wmi.EnabledDisabled,
			"RequiredFeatures":      []string{},
			"RequiredFeatureHints":  []string{},
		}
		if n.SwitchID != "" {
			v["HostResource"] = []string{h.switchPath(n.SwitchID)}
			v["EnabledState"] = wmi.EnabledEnabled
			v["LastKnownSwitchName"] = n.SwitchName
		}
		out = append(out, h.newInstance(classEthernetPortAllocation, v))
	}
	return out
}
