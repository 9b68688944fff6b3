package sim

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"go.uber.org/zap"

	"github.com/hvport/hvport/wmi"
)

// services is the wmi.Services of one connection to the host. Every call
// builds fresh objects from the model, so callers never share memory with
// the simulator (as with a real transport).
type services struct {
	h  *Host
	ns *namespace
}

var _ wmi.Services = (*services)(nil)

func (s *services) Namespace() string { return s.ns.name }

func wmiError(op, path string, hr uint32, format string, args ...any) *wmi.Error {
	return &wmi.Error{Op: op, Path: path, HResult: hr, Msg: fmt.Sprintf(format, args...)}
}

// begin is the common start of every call: a cancelled context or a closed
// host fail the call before it does anything.
func (h *Host) begin(ctx context.Context, op, path string) error {
	if err := ctx.Err(); err != nil {
		return &wmi.Error{Op: op, Path: path, HResult: wmi.WBEMCallCancelled, Err: err}
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return wmiError(op, path, wmi.WBEMTransportFailure, "the simulated host is closed")
	}
	return nil
}

func (h *Host) delay(ctx context.Context, op, path, method string) error {
	if err := h.methodDelay(ctx, method); err != nil {
		return &wmi.Error{Op: op, Path: path, HResult: wmi.WBEMCallCancelled, Err: err}
	}
	return nil
}

// ExecQuery runs a WQL query (wql.go for the supported subset).
func (s *services) ExecQuery(ctx context.Context, wql string) ([]*wmi.Object, error) {
	h := s.h
	if err := h.begin(ctx, "ExecQuery", wql); err != nil {
		return nil, err
	}
	q, err := parseWQL(wql)
	if err != nil {
		return nil, queryError(err, wql)
	}
	if err := h.delay(ctx, "ExecQuery", wql, "ExecQuery"); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeExpiredJobsLocked()
	var out []*wmi.Object
	switch q := q.(type) {
	case *selectQuery:
		out, err = h.selectLocked(s.ns, q)
	case *associatorsQuery:
		out, err = h.associatorsLocked(s.ns, q)
	}
	if err != nil {
		return nil, queryError(err, wql)
	}
	h.log.Debug("ExecQuery", zap.String("wql", wql), zap.Int("results", len(out)))
	return out, nil
}

// queryError names the query in an error that does not name its subject.
func queryError(err error, wql string) error {
	if e, ok := err.(*wmi.Error); ok && e.Path == "" {
		e.Op, e.Path = "ExecQuery", wql
	}
	return err
}

// Get returns the instance at path.
func (s *services) Get(ctx context.Context, path string) (*wmi.Object, error) {
	h := s.h
	if err := h.begin(ctx, "Get", path); err != nil {
		return nil, err
	}
	p, c, err := parseInstancePath("Get", path, s.ns)
	if err != nil {
		return nil, err
	}
	if err := h.delay(ctx, "Get", path, "Get"); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeExpiredJobsLocked()
	o := h.findLocked(s.ns, c, p)
	if o == nil {
		return nil, wmiError("Get", path, wmi.WBEMNotFound, "no such instance")
	}
	return o, nil
}

// parseInstancePath parses an instance path and resolves its class in ns.
// Failures are those of real WMI: a malformed path, another namespace, an
// unknown class. Class objects (a path without keys) are not modelled.
func parseInstancePath(op, path string, ns *namespace) (wmi.ObjectPath, *classDef, error) {
	p, err := wmi.ParsePath(path)
	if err != nil {
		if e, ok := err.(*wmi.Error); ok {
			e.Op = op
		}
		return p, nil, err
	}
	if p.Namespace != "" && !strings.EqualFold(p.Namespace, ns.name) {
		return p, nil, wmiError(op, path, wmi.WBEMInvalidNamespace, "this connection is to %s", ns.name)
	}
	c := ns.lookupClass(p.Class)
	if c == nil {
		if ns.knownClassName(p.Class) {
			return p, nil, wmiError(op, path, wmi.WBEMNotSupported, "the simulator does not model instances of %s by path", p.Class)
		}
		return p, nil, wmiError(op, path, wmi.WBEMInvalidClass, "no class %s", p.Class)
	}
	if len(p.Keys) == 0 {
		return p, c, wmiError(op, path, wmi.WBEMNotSupported, "class objects are not modelled by the simulator")
	}
	return p, c, nil
}

// findLocked returns the instance of class c (or a subclass) of ns whose
// keys match p, or nil. Key values compare case-insensitively, like GUIDs
// in wmi.SamePath.
func (h *Host) findLocked(ns *namespace, c *classDef, p wmi.ObjectPath) *wmi.Object {
	for _, o := range h.instancesLocked(ns, c.name) {
		op, err := wmi.ParsePath(o.Path)
		if err != nil || len(op.Keys) != len(p.Keys) {
			continue
		}
		match := true
		for _, k := range op.Keys {
			if !strings.EqualFold(p.Key(k.Name), k.Value) {
				match = false
				break
			}
		}
		if match {
			return o
		}
	}
	return nil
}

// methodCall is one ExecMethod, its in-parameters checked and converted to
// their CIM types, keyed by their declared names.
type methodCall struct {
	ctx    context.Context
	ns     *namespace // the connection's namespace
	target *wmi.Object
	path   wmi.ObjectPath
	method string
	in     map[string]any
}

// methodImpl runs a method. Implementations take h.mu themselves.
type methodImpl func(h *Host, call *methodCall) (*wmi.Object, error)

// methodImpls maps "class.method" (lower case) to its implementation in
// root\virtualization\v2 (v1's: v1MethodImpls).
var methodImpls = map[string]methodImpl{
	"msvm_virtualsystemmanagementservice.exportsystemdefinition":              (*Host).exportSystemDefinition,
	"msvm_virtualsystemmanagementservice.importsystemdefinition":              (*Host).importSystemDefinition,
	"msvm_virtualsystemmanagementservice.importsnapshotdefinitions":           (*Host).importSnapshotDefinitions,
	"msvm_virtualsystemmanagementservice.validateplannedsystem":               (*Host).validatePlannedSystem,
	"msvm_virtualsystemmanagementservice.realizeplannedsystem":                (*Host).realizePlannedSystem,
	"msvm_virtualsystemmanagementservice.destroysystem":                       (*Host).destroySystem,
	"msvm_virtualsystemmanagementservice.modifysystemsettings":                (*Host).modifySystemSettings,
	"msvm_virtualsystemmanagementservice.modifyresourcesettings":              (*Host).modifyResourceSettings,
	"msvm_virtualsystemmanagementservice.getdefinitionfilesummaryinformation": (*Host).getDefinitionFileSummaryInformation,
	"msvm_concretejob.requeststatechange":                                     (*Host).jobRequestStateChange,
	"msvm_concretejob.geterror":                                               (*Host).jobGetError,
	"msvm_concretejob.geterrorex":                                             (*Host).jobGetErrorEx,
}

// ExecMethod runs a method on the instance at path. The checks come in the
// order a client meets them on a real host: the instance must exist (Get),
// the class must have the method, and each in-parameter must exist and
// take the value (SWbemProperty.Value put); then the method runs.
func (s *services) ExecMethod(ctx context.Context, path, method string, in wmi.Params) (*wmi.Object, error) {
	h := s.h
	op := "ExecMethod"
	if err := h.begin(ctx, op, path); err != nil {
		return nil, err
	}
	p, c, err := parseInstancePath(op, path, s.ns)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.removeExpiredJobsLocked()
	target := h.findLocked(s.ns, c, p)
	h.mu.Unlock()
	if target == nil {
		return nil, wmiError(op, path, wmi.WBEMNotFound, "no such instance")
	}
	c = s.ns.lookupClass(target.Class)
	m := c.method(method)
	if m == nil {
		if c.hasUnmodelledMethod(method) {
			return nil, wmiError(op, path, wmi.WBEMNotSupported, "%s.%s is not modelled by the simulator", c.name, method)
		}
		return nil, wmiError(op, path, wmi.WBEMInvalidMethod, "class %s has no method %s", c.name, method)
	}
	call := &methodCall{ctx: ctx, ns: s.ns, target: target, path: p, method: m.name, in: map[string]any{}}
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic error for several bad parameters
	for _, name := range names {
		var def *paramDef
		for i := range m.in {
			if strings.EqualFold(m.in[i].name, name) {
				def = &m.in[i]
			}
		}
		if def == nil {
			return nil, wmiError(op, path, wmi.WBEMInvalidMethodParam, "method %s has no in-parameter %s", m.name, name)
		}
		v, err := wmi.Convert(def.typ, def.array, in[name])
		if err != nil {
			return nil, &wmi.Error{Op: op, Path: path, HResult: wmi.WBEMTypeMismatch,
				Msg: fmt.Sprintf("in-parameter %s", def.name), Err: err}
		}
		call.in[def.name] = v
	}
	if err := h.delay(ctx, op, path, m.name); err != nil {
		return nil, err
	}
	impl := s.ns.methods[strings.ToLower(c.name+"."+m.name)]
	out, err := impl(h, call)
	if err != nil {
		return nil, err
	}
	h.log.Debug("ExecMethod", zap.String("path", path), zap.String("method", m.name),
		zap.Uint32("returnValue", wmi.ReturnValue(out)))
	return out, nil
}

// outParams builds a method's out-parameters (__PARAMETERS): ReturnValue
// and the declared out-parameters, NULL unless set.
func outParams(ret uint32, props ...wmi.Property) *wmi.Object {
	o := &wmi.Object{Class: wmi.ClassParameters}
	o.MustAdd("ReturnValue", wmi.CIMUint32, false, ret)
	for _, p := range props {
		o.MustAdd(p.Name, p.Type, p.Array, p.Value)
	}
	return o
}
