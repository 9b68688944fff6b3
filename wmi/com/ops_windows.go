//go:build windows

package com

import (
	"errors"
	"fmt"

	ole "github.com/go-ole/go-ole"

	"github.com/hvport/hvport/wmi"
)

// The methods here run on the COM goroutine.

func (c *Conn) execQuery(wql string) ([]*wmi.Object, error) {
	set, err := callObject(c.services, "ExecQuery", wql, "WQL", int32(wbemFlagForwardOnly|wbemFlagReturnImmediately))
	if err != nil {
		return nil, err
	}
	defer set.Release()
	objs := []*wmi.Object{}
	err = forEach(set, func(item *ole.VARIANT) error {
		d := item.ToIDispatch()
		if d == nil {
			return fmt.Errorf("want an SWbemObject, got %s", vtName(item.VT))
		}
		o, err := toObject(d, 0)
		if err != nil {
			return err
		}
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return objs, nil
}

func (c *Conn) get(path string) (*wmi.Object, error) {
	obj, err := callObject(c.services, "Get", path)
	if err != nil {
		return nil, err
	}
	defer obj.Release()
	return toObject(obj, 0)
}

// execMethod follows the scripting samples: spawn the method's
// InParameters, set each parameter by name, call ExecMethod_
// (learn.microsoft.com/windows/win32/wmisdk/swbemobject-execmethod-;
// docs/HYPERV.md#com-calls).
func (c *Conn) execMethod(path, method string, in wmi.Params) (*wmi.Object, error) {
	obj, err := callObject(c.services, "Get", path)
	if err != nil {
		return nil, err
	}
	defer obj.Release()
	// The declared parameters, looked up only where the scripting objects
	// cannot describe them (Wine; signature_windows.go), and then once.
	var sig *signature
	declared := func() (*signature, error) {
		if sig != nil {
			return sig, nil
		}
		props, err := getObject(obj, "Properties_")
		if err != nil {
			return nil, err
		}
		defer props.Release()
		class, err := systemString(props, "__CLASS")
		if err != nil {
			return nil, err
		}
		sig, err = c.signature(class, method)
		return sig, err
	}
	params, err := inParameters(obj, path, method, in, declared)
	if err != nil {
		return nil, err
	}
	args := []any{method}
	if params != nil {
		defer params.Release()
		args = append(args, params)
	}
	out, err := maybeObject(obj, ole.DISPATCH_METHOD, "ExecMethod_", args...)
	if err != nil {
		return nil, at(method, err)
	}
	if out == nil { // a method without out-parameters
		return &wmi.Object{Class: wmi.ClassParameters}, nil
	}
	defer out.Release()
	o, err := readObject(out, 0, func() ([]decl, error) {
		s, err := declared()
		if err != nil {
			return nil, err
		}
		return s.out, nil
	})
	if err != nil {
		return nil, err
	}
	// Out-parameters are of class __PARAMETERS; where the class comes from
	// MOF text (readByName) Wine names the method's own class instead.
	o.Class = wmi.ClassParameters
	return o, nil
}

// inParameters returns a spawned instance of method's InParameters with in
// set, or nil for a method without in-parameters. The caller must Release
// it.
func inParameters(obj *ole.IDispatch, path, method string, in wmi.Params, declared func() (*signature, error)) (*ole.IDispatch, error) {
	methods, err := getObject(obj, "Methods_")
	if err != nil {
		return nil, err
	}
	defer methods.Release()
	m, err := callObject(methods, "Item", method)
	if err != nil {
		if isHR(err, wmi.WBEMNotFound) {
			return nil, &wmi.Error{Op: "ExecMethod", Path: path, HResult: wmi.WBEMInvalidMethod,
				Msg: fmt.Sprintf("no method %s", method)}
		}
		return nil, err
	}
	defer m.Release()
	def, err := maybeObject(m, ole.DISPATCH_PROPERTYGET, "InParameters")
	if err != nil {
		return nil, at("InParameters", err)
	}
	names := sortedNames(in)
	if def == nil {
		if len(names) > 0 {
			return nil, noParam(path, method, names[0], nil)
		}
		return nil, nil
	}
	defer def.Release()
	// SWbemMethod.InParameters is the parameters' class definition, to be
	// spawned into an instance before use
	// (learn.microsoft.com/windows/win32/wmisdk/swbemmethod-inparameters,
	// "Constructing InParameters Objects").
	inst, err := callObject(def, "SpawnInstance_")
	if isHR(err, hrNotImpl) {
		// Wine: SpawnInstance_ is not implemented, and InParameters
		// already is a spawned instance (dlls/wbemdisp/locator.c,
		// method_get_InParameters calls IWbemClassObject::SpawnInstance).
		def.AddRef()
		inst, err = def, nil
	}
	if err != nil {
		return nil, err
	}
	if len(names) > 0 {
		err = setParams(inst, path, method, names, in, declared)
	}
	if err != nil {
		inst.Release()
		return nil, err
	}
	return inst, nil
}

func setParams(inst *ole.IDispatch, path, method string, names []string, in wmi.Params, declared func() (*signature, error)) error {
	props, err := getObject(inst, "Properties_")
	if err != nil {
		return err
	}
	defer props.Release()
	for _, name := range names {
		if err := setParam(inst, props, path, method, name, in[name], declared); err != nil {
			return err
		}
	}
	return nil
}

// setParam sets one in-parameter, converted to the automation type of its
// declared CIM type. Errors are checked: a misspelt name must not be
// dropped silently.
func setParam(inst, props *ole.IDispatch, path, method, name string, v any, declared func() (*signature, error)) error {
	p, err := callObject(props, "Item", name)
	if err != nil {
		return noParam(path, method, name, err)
	}
	defer p.Release()
	t, array, err := propertyType(p)
	if isHR(err, hrNotImpl) {
		// Wine: SWbemProperty cannot tell its type; the method's
		// signature can.
		s, serr := declared()
		if serr != nil {
			return at("parameter "+name, errors.Join(err, serr))
		}
		d := find(s.in, name)
		if d == nil {
			return noParam(path, method, name, nil)
		}
		t, array, err = d.t, d.array, nil
	}
	if err != nil {
		return at("parameter "+name, err)
	}
	pv, err := paramValue(t, array, v)
	if err != nil {
		return paramError(path, method, name, err)
	}
	val, err := toVariant(pv)
	if err != nil {
		return paramError(path, method, name, err)
	}
	defer ole.VariantClear(&val)
	return at("parameter "+name, putProperty(inst, p, name, &val))
}

// propertyType reads an SWbemProperty's declared CIM type and array flag.
func propertyType(p *ole.IDispatch) (wmi.CIMType, bool, error) {
	n, err := getInt(p, "CIMType")
	if err != nil {
		return 0, false, err
	}
	t, flagged := splitCIMType(n)
	array, err := getBool(p, "IsArray")
	if err != nil {
		return 0, false, err
	}
	return t, array || flagged, nil
}

// putProperty sets property p (named name) of obj to val through
// SWbemProperty.Value, the way the samples do
// (Properties_.Item(name).Value = v; docs/HYPERV.md#com-calls). Where that
// is not implemented (Wine), it sets the object's own named property
// instead (obj.Name = v, which Wine's SWbemObject converts to the declared
// type itself: dlls/wbemdisp/locator.c, object_Invoke).
func putProperty(obj, p *ole.IDispatch, name string, val *ole.VARIANT) error {
	err := putValue(p, "Value", val)
	if isHR(err, hrNotImpl) {
		err = putValue(obj, name, val)
	}
	return err
}
