package sim

import (
	"sort"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// The simulator's class schema: for each class it serves, the derivation
// chain, the key properties (in path order) and the properties it declares,
// each with its CIM type and CLASSORIGIN (the class that first declares it,
// per the MOF syntax on the class's Microsoft docs page, as in the real
// GetText_ output in wmi/testdata/, README.md there). Every instance the
// simulator returns declares all of its class's properties here, NULL where
// the simulator has no value, as real WMI does. The lists are a subset of
// the real classes' properties: the ones a client plausibly reads.

// propDef declares one property of a class.
type propDef struct {
	name   string
	typ    wmi.CIMType
	array  bool
	origin string
}

// paramDef declares one in-parameter of a method.
type paramDef struct {
	name  string
	typ   wmi.CIMType
	array bool
}

// methodDef declares a method the simulator implements.
type methodDef struct {
	name string
	in   []paramDef
}

// classDef is one simulated class.
type classDef struct {
	name        string
	derivation  []string // nearest ancestor first (__DERIVATION)
	keys        []string // key properties, in path order
	props       []propDef
	methods     []methodDef
	unmodelled  []string // real methods the simulator does not implement
	association bool     // an association class: it has no enumerable instances here
}

func (c *classDef) prop(name string) *propDef {
	for i := range c.props {
		if strings.EqualFold(c.props[i].name, name) {
			return &c.props[i]
		}
	}
	return nil
}

func (c *classDef) method(name string) *methodDef {
	for i := range c.methods {
		if strings.EqualFold(c.methods[i].name, name) {
			return &c.methods[i]
		}
	}
	return nil
}

func (c *classDef) hasUnmodelledMethod(name string) bool {
	for _, m := range c.unmodelled {
		if strings.EqualFold(m, name) {
			return true
		}
	}
	return false
}

// isA reports whether the class is name or derives from it.
func (c *classDef) isA(name string) bool {
	if strings.EqualFold(c.name, name) {
		return true
	}
	for _, d := range c.derivation {
		if strings.EqualFold(d, name) {
			return true
		}
	}
	return false
}

// CLASSORIGIN values.
const (
	originManagedElement   = "CIM_ManagedElement"
	originManagedSystem    = "CIM_ManagedSystemElement"
	originEnabledLogical   = "CIM_EnabledLogicalElement"
	originSystem           = "CIM_System"
	originComputerSystem   = "CIM_ComputerSystem"
	originService          = "CIM_Service"
	originSettingData      = "CIM_SettingData"
	originRASD             = "CIM_ResourceAllocationSettingData"
	originStorageRASD      = "CIM_StorageAllocationSettingData"
	originEthernetPortRASD = "CIM_EthernetPortAllocationSettingData"
	originVSSD             = "CIM_VirtualSystemSettingData"
	originJob              = "CIM_Job"
	originConcreteJob      = "CIM_ConcreteJob"
	originError            = "CIM_Error"
)

const (
	tString = wmi.CIMString
	tBool   = wmi.CIMBoolean
	tU8     = wmi.CIMUint8
	tS8     = wmi.CIMSint8
	tU16    = wmi.CIMUint16
	tU32    = wmi.CIMUint32
	tU64    = wmi.CIMUint64
	tTime   = wmi.CIMDatetime
	tRef    = wmi.CIMReference
)

// Both namespaces' classes are built from one description
// (schema_classes.go): each class, property and method there says which
// namespaces declare it, so that what v1 and v2 share is written once and
// each difference once, next to the Microsoft page it comes from.

// nsSet is a set of the namespaces the simulator serves.
type nsSet uint8

const (
	inV2   nsSet = 1 << iota // root\virtualization\v2
	inV1                     // root\virtualization
	inBoth = inV2 | inV1
)

// row is a property of the description and the namespaces that declare it.
type row struct {
	propDef
	in nsSet
}

// scalar and array declare a property; declared gives a run of them the
// CLASSORIGIN and the namespaces they share.
func scalar(name string, t wmi.CIMType) propDef { return propDef{name: name, typ: t} }

func array(name string, t wmi.CIMType) propDef { return propDef{name: name, typ: t, array: true} }

func declared(origin string, in nsSet, props ...propDef) []row {
	out := make([]row, len(props))
	for i, p := range props {
		p.origin = origin
		out[i] = row{propDef: p, in: in}
	}
	return out
}

// methodRow and nameRow are a modelled and an unmodelled method of the
// description and the namespaces that have them.
type methodRow struct {
	methodDef
	in nsSet
}

type nameRow struct {
	name string
	in   nsSet
}

func methods(in nsSet, defs ...methodDef) []methodRow {
	out := make([]methodRow, len(defs))
	for i, m := range defs {
		out[i] = methodRow{methodDef: m, in: in}
	}
	return out
}

func names(in nsSet, list ...string) []nameRow {
	out := make([]nameRow, len(list))
	for i, n := range list {
		out[i] = nameRow{name: n, in: in}
	}
	return out
}

// classSpec is a class of the description: what its namespaces share and,
// row by row, where they differ. Derivation and keys are the same in every
// namespace that has the class.
type classSpec struct {
	name       string
	in         nsSet
	derivation []string
	keys       []string
	props      []row
	methods    []methodRow
	unmodelled []nameRow
}

// build returns the class as namespace ns declares it, its properties
// sorted by name as WMI writes them. A property declared twice for one
// namespace is a mistake in the description and panics at start-up.
func (c *classSpec) build(ns nsSet) *classDef {
	if c.in&ns == 0 {
		panic("sim: class " + c.name + " is not in this namespace")
	}
	d := &classDef{name: c.name, derivation: c.derivation, keys: c.keys}
	seen := map[string]bool{}
	for _, r := range c.props {
		if r.in&ns == 0 {
			continue
		}
		key := strings.ToLower(r.name)
		if seen[key] {
			panic("sim: class " + c.name + " declares " + r.name + " twice")
		}
		seen[key] = true
		d.props = append(d.props, r.propDef)
	}
	sort.Slice(d.props, func(i, j int) bool { return d.props[i].name < d.props[j].name })
	for _, m := range c.methods {
		if m.in&ns != 0 {
			d.methods = append(d.methods, m.methodDef)
		}
	}
	for _, m := range c.unmodelled {
		if m.in&ns != 0 {
			d.unmodelled = append(d.unmodelled, m.name)
		}
	}
	return d
}

// The classes of root\virtualization\v2 (v1's are in v1_schema.go).
var (
	classComputerSystem            = computerSystemSpec.build(inV2)
	classPlannedComputerSystem     = plannedComputerSystemSpec.build(inV2)
	classVirtualEthernetSwitch     = virtualEthernetSwitchSpec.build(inV2)
	classSystemSettingData         = systemSettingDataSpec.build(inV2)
	classStorageAllocation         = storageAllocationSpec.build(inV2)
	classEthernetPortAllocation    = ethernetPortAllocationSpec.build(inV2)
	classManagementService         = managementServiceSpec.build(inV2)
	classManagementServiceSettings = managementServiceSettingsSpec.build(inV2)
	classExportSettingData         = exportSettingDataSpec.build(inV2)
	classConcreteJob               = concreteJobSpec.build(inV2)
	classSummaryInformation        = summaryInformationSpec.build(inV2)
	// Msvm_Error is the same class in both namespaces: v1's table
	// (v1_services.go) lists this one, as it lists the associations.
	classError = errorSpec.build(inV2)
)

// Association classes the simulator answers ASSOCIATORS OF queries with
// (see associations.go). Their own instances are not enumerable here.
func associationClass(name string, derivation ...string) *classDef {
	return &classDef{name: name, derivation: derivation, association: true}
}

var (
	assocSettingsDefineState  = associationClass("Msvm_SettingsDefineState", "CIM_SettingsDefineState")
	assocElementSettingData   = associationClass(wmi.ClassElementSettingData, "CIM_ElementSettingData")
	assocSnapshotOfSystem     = associationClass("Msvm_SnapshotOfVirtualSystem", "CIM_Dependency")
	assocMostCurrentSnapshot  = associationClass(wmi.ClassMostCurrentSnapshotInBranch, "CIM_Dependency")
	assocSettingDataComponent = associationClass("Msvm_VirtualSystemSettingDataComponent", "CIM_Component")
	assocSystemExportSettings = associationClass(wmi.ClassSystemExportSettingData, "CIM_ElementSettingData")
	assocAffectedJobElement   = associationClass(wmi.ClassAffectedJobElement, "CIM_AffectedJobElement")
	assocHostedService        = associationClass("Msvm_HostedService", "CIM_HostedService", "CIM_HostedDependency", "CIM_Dependency")
)

// allClasses are the classes the simulator knows, by lower-case name.
var allClasses = func() map[string]*classDef {
	m := map[string]*classDef{}
	for _, c := range []*classDef{
		classComputerSystem, classPlannedComputerSystem, classVirtualEthernetSwitch, classSystemSettingData,
		classStorageAllocation, classEthernetPortAllocation, classManagementService, classManagementServiceSettings,
		classExportSettingData, classConcreteJob, classError, classSummaryInformation,
		assocSettingsDefineState, assocElementSettingData, assocSnapshotOfSystem, assocMostCurrentSnapshot,
		assocSettingDataComponent, assocSystemExportSettings, assocAffectedJobElement, assocHostedService,
	} {
		m[strings.ToLower(c.name)] = c
	}
	return m
}()

// lookupClass returns the named simulated class, or nil.
func lookupClass(name string) *classDef { return allClasses[strings.ToLower(name)] }

// knownClassName reports whether name is a simulated class or an ancestor
// of one (so "SELECT * FROM CIM_ComputerSystem" is valid, as on a real host).
func knownClassName(name string) bool {
	if lookupClass(name) != nil {
		return true
	}
	for _, c := range allClasses {
		if c.isA(name) {
			return true
		}
	}
	return false
}
