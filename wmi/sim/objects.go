package sim

import (
	"fmt"
	"time"

	"github.com/hvport/hvport/wmi"
)

// values are property values for a new instance, by property name.
type values map[string]any

// newInstance builds an instance of c that declares every property of the
// class (NULL unless given in v, as a real instance declares them all),
// with __PATH made from the key properties. A value for a property the
// schema does not declare is a bug in the simulator, so it panics.
func (h *Host) newInstance(c *classDef, v values) *wmi.Object {
	return h.newInstanceIn(wmi.NamespaceV2, c, v)
}

// newInstanceIn is newInstance with __PATH in namespace ns.
func (h *Host) newInstanceIn(ns string, c *classDef, v values) *wmi.Object {
	o := newEmbeddedInstance(c)
	for name, value := range v {
		o.MustSet(name, value)
	}
	if len(c.keys) > 0 {
		keys := make([]wmi.Key, len(c.keys))
		for i, k := range c.keys {
			keys[i] = wmi.Key{Name: k, Value: fmt.Sprint(o.Get(k))}
		}
		o.Path = h.pathIn(ns, c.name, keys...)
	}
	return o
}

// newEmbeddedInstance builds an instance without a path, as embedded
// instances (Msvm_Error) have.
func newEmbeddedInstance(c *classDef) *wmi.Object {
	o := &wmi.Object{Class: c.name, Derivation: append([]string(nil), c.derivation...)}
	if len(c.derivation) > 0 {
		o.SuperClass = c.derivation[0]
	}
	o.Props = make([]wmi.Property, len(c.props))
	for i, p := range c.props {
		o.Props[i] = wmi.Property{Name: p.name, Type: p.typ, Array: p.array, Origin: p.origin}
	}
	return o
}

// instanceLister lists the current instances of one class.
type instanceLister struct {
	class *classDef
	list  func(h *Host) []*wmi.Object
}

// instanceListers are the enumerable classes of root\virtualization\v2,
// in the order their instances are returned by a query on a common
// superclass (v1's: v1InstanceListers).
var instanceListers = []instanceLister{
	{classComputerSystem, (*Host).computerSystemsLocked},
	{classPlannedComputerSystem, (*Host).plannedSystemsLocked},
	{classVirtualEthernetSwitch, (*Host).switchesLocked},
	{classSystemSettingData, (*Host).systemSettingDataLocked},
	{classStorageAllocation, (*Host).storageAllocationsLocked},
	{classEthernetPortAllocation, (*Host).ethernetPortAllocationsLocked},
	{classManagementService, (*Host).managementServicesLocked},
	{classManagementServiceSettings, (*Host).managementServiceSettingsLocked},
	{classExportSettingData, (*Host).exportSettingDataLocked},
	{classConcreteJob, (*Host).jobsLocked},
}

// instancesLocked returns every instance in ns of className or of a class
// derived from it.
func (h *Host) instancesLocked(ns *namespace, className string) []*wmi.Object {
	var out []*wmi.Object
	for _, l := range ns.listers {
		if l.class.isA(className) {
			out = append(out, l.list(h)...)
		}
	}
	return out
}

// cimTimestamp formats t as a CIM datetime in UTC ("+000"): the
// simulator's clock is zone-less, where a real host writes its local
// offset.
func cimTimestamp(t time.Time) string { return wmi.FormatDatetime(t.UTC()) }
