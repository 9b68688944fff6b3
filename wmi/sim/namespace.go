package sim

import (
	"sort"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// namespace is one WMI namespace the host serves: its classes, the
// listers of their instances, its association instances and its methods.
// The model behind them — VMs, switches, files, jobs — is the host's and
// shared: root\virtualization\v2 (nsV2) and root\virtualization (nsV1,
// v1_*.go) are two views of the same host, as on a Windows Server 2012
// host, which has both (docs/HYPERV.md#v1-availability).
type namespace struct {
	name    string
	classes map[string]*classDef // by lower-case name
	listers []instanceLister     // the enumerable classes, in query order
	links   func(h *Host) []link // the association instances
	// methods maps "class.method" (lower case) to its implementation. It
	// is set by init: a method that reaches a namespace variable would
	// otherwise make an initialization cycle.
	methods map[string]methodImpl
}

var nsV2 = &namespace{name: wmi.NamespaceV2, classes: allClasses, listers: instanceListers,
	links: (*Host).linksLocked}

func init() { nsV2.methods = methodImpls }

// namespaces are the namespaces Host.Services connects to.
func namespaces() []*namespace { return []*namespace{nsV2, nsV1} }

// namespaceNamed returns the namespace called name (any case, / or \), or
// nil.
func namespaceNamed(name string) *namespace {
	name = strings.ReplaceAll(name, "/", `\`)
	for _, n := range namespaces() {
		if strings.EqualFold(n.name, name) {
			return n
		}
	}
	return nil
}

// lookupClass returns the namespace's class of this name, or nil.
func (n *namespace) lookupClass(name string) *classDef { return n.classes[strings.ToLower(name)] }

// knownClassName reports whether name is one of the namespace's classes
// or an ancestor of one (so "SELECT * FROM CIM_ComputerSystem" is valid, as
// on a real host).
func (n *namespace) knownClassName(name string) bool {
	if n.lookupClass(name) != nil {
		return true
	}
	for _, c := range n.classes {
		if c.isA(name) {
			return true
		}
	}
	return false
}

// pathIn formats a full object path on this host in namespace ns.
func (h *Host) pathIn(ns, class string, keys ...wmi.Key) string {
	return wmi.ObjectPath{Server: h.name, Namespace: ns, Class: class, Keys: keys}.String()
}

// classMap indexes classes by lower-case name, sorting each one's
// properties as WMI writes them.
func classMap(classes ...*classDef) map[string]*classDef {
	m := map[string]*classDef{}
	for _, c := range classes {
		sortProps(c)
		m[strings.ToLower(c.name)] = c
	}
	return m
}

func sortProps(c *classDef) {
	sort.Slice(c.props, func(i, j int) bool { return c.props[i].name < c.props[j].name })
}
