//go:build windows

package com

import (
	"context"
	"fmt"

	ole "github.com/go-ole/go-ole"

	"github.com/hvport/hvport/wmi"
)

var _ wmi.InstanceTexter = (*Conn)(nil)

// wbemObjectTextFormatCIMDTD20 is WbemObjectTextFormatEnum's CIM DTD 2.0
// (wbemdisp.h; WMI_OBJ_TEXT_CIM_DTD_2_0 in wbemcli.h), the format every
// Hyper-V sample passes to GetText_ (docs/HYPERV.md#embedded-instances).
const wbemObjectTextFormatCIMDTD20 = 1

// InstanceText implements wmi.InstanceTexter the way Microsoft's Hyper-V
// samples build an embedded instance: take the live object (SWbemServices.Get
// of o.Path, or SWbemObject.SpawnInstance_ of o.Class's definition when o
// has no path: learn.microsoft.com/windows/win32/wmisdk/swbemobject-spawninstance-),
// set every property of o on it (Properties_.Item(name).Value, converted to
// the property's declared type as method parameters are), and let WMI write
// it with SWbemObjectEx.GetText_(1)
// (learn.microsoft.com/windows/win32/wmisdk/swbemobjectex-gettext-). The
// object is a local copy: nothing is written back to WMI.
//
// Failures are *wmi.Error naming the step (Get, SpawnInstance_, property
// X, GetText_) with its HRESULT; wmi.Embed then falls back to
// wmi.EncodeInstance.
func (c *Conn) InstanceText(ctx context.Context, o *wmi.Object) (string, error) {
	if o == nil || o.Class == "" {
		return "", &wmi.Error{Op: "InstanceText", HResult: wmi.WBEMInvalidParameter, Msg: "object has no class"}
	}
	what := o.Path
	if what == "" {
		what = o.Class
	}
	return call(c.w, ctx, "InstanceText", what, func() (string, error) {
		text, err := c.instanceText(o)
		return text, comError("InstanceText", what, err)
	})
}

// instanceText runs on the COM goroutine.
func (c *Conn) instanceText(o *wmi.Object) (string, error) {
	obj, err := c.liveInstance(o)
	if err != nil {
		return "", err
	}
	defer obj.Release()
	props, err := getObject(obj, "Properties_")
	if err != nil {
		return "", err
	}
	defer props.Release()
	for i := range o.Props {
		if err := setInstanceProperty(obj, props, o, &o.Props[i]); err != nil {
			return "", err
		}
	}
	v, err := invoke(obj, ole.DISPATCH_METHOD, "GetText_", int32(wbemObjectTextFormatCIMDTD20))
	if err != nil {
		return "", at("GetText_", err)
	}
	defer v.Clear()
	if v.VT != ole.VT_BSTR {
		return "", fmt.Errorf("GetText_: want a string, got %s", vtName(v.VT))
	}
	return v.ToString(), nil
}

// liveInstance returns the instance at o.Path, or a new instance of
// o.Class. The caller must Release it.
func (c *Conn) liveInstance(o *wmi.Object) (*ole.IDispatch, error) {
	if o.Path != "" {
		return callObject(c.services, "Get", o.Path)
	}
	class, err := callObject(c.services, "Get", o.Class)
	if err != nil {
		return nil, err
	}
	defer class.Release()
	return callObject(class, "SpawnInstance_")
}

// setInstanceProperty sets p on obj, converted to the property's declared
// type (where SWbemProperty cannot tell it, as on Wine, to p's own).
func setInstanceProperty(obj, props *ole.IDispatch, o *wmi.Object, p *wmi.Property) error {
	step := "property " + p.Name
	item, err := callObject(props, "Item", p.Name)
	if err != nil {
		return at(step, err)
	}
	defer item.Release()
	t, array, err := propertyType(item)
	if isHR(err, hrNotImpl) {
		t, array, err = p.Type, p.Array, nil
	}
	if err != nil {
		return at(step, err)
	}
	pv, err := paramValue(t, array, p.Value)
	if err == nil {
		var val ole.VARIANT
		if val, err = toVariant(pv); err == nil {
			defer ole.VariantClear(&val)
			return at(step, putProperty(obj, item, p.Name, &val))
		}
	}
	return &wmi.Error{Op: "InstanceText", Path: o.Class, HResult: wmi.WBEMTypeMismatch,
		Msg: fmt.Sprintf("%s: %v", step, err)}
}
