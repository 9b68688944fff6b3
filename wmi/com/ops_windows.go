//go:build windows

package com

import (
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
// InParameters, set each parameter by name, call ExecMethod_.
func (c *Conn) execMethod(path, method string, in wmi.Params) (*wmi.Object, error) {
	obj, err := callObject(c.services, "Get", path)
	if err != nil {
		return nil, err
	}
	defer obj.Release()
	params, err := inParameters(obj, path, method, in)
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
	o, err := toObject(out, 0)
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
func inParameters(obj *ole.IDispatch, path, method string, in wmi.Params) (*ole.IDispatch, error) {
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
	inst, err := callObject(def, "SpawnInstance_")
	if err != nil {
		return nil, err
	}
	if len(names) > 0 {
		err = setParams(inst, path, method, names, in)
	}
	if err != nil {
		inst.Release()
		return nil, err
	}
	return inst, nil
}

func setParams(inst *ole.IDispatch, path, method string, names []string, in wmi.Params) error {
	props, err := getObject(inst, "Properties_")
	if err != nil {
		return err
	}
	defer props.Release()
	for _, name := range names {
		if err := setParam(props, path, method, name, in[name]); err != nil {
			return err
		}
	}
	return nil
}

// setParam sets one in-parameter, converted to the automation type of its
// declared CIM type. Errors are checked: a misspelt name must not be
// dropped silently.
func setParam(props *ole.IDispatch, path, method, name string, v any) error {
	p, err := callObject(props, "Item", name)
	if err != nil {
		return noParam(path, method, name, err)
	}
	defer p.Release()
	n, err := getInt(p, "CIMType")
	if err != nil {
		return at("parameter "+name, err)
	}
	t, flagged := splitCIMType(n)
	array, err := getBool(p, "IsArray")
	if err != nil {
		return at("parameter "+name, err)
	}
	pv, err := paramValue(t, array || flagged, v)
	if err != nil {
		return paramError(path, method, name, err)
	}
	val, err := toVariant(pv)
	if err != nil {
		return paramError(path, method, name, err)
	}
	defer ole.VariantClear(&val)
	return at("parameter "+name, putValue(p, "Value", &val))
}
