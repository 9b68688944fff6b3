//go:build windows

package com

import (
	"fmt"

	ole "github.com/go-ole/go-ole"

	"github.com/hvport/hvport/wmi"
)

// toObject converts an SWbemObject, which stays owned by the caller. It
// reads the object only through Path_, Derivation_ and Properties_ (see
// the package doc for why).
func toObject(d *ole.IDispatch, depth int) (*wmi.Object, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("embedded objects nest deeper than %d", maxDepth)
	}
	o := &wmi.Object{}
	if err := readPath(d, o); err != nil {
		return nil, err
	}
	if err := readDerivation(d, o); err != nil {
		return nil, err
	}
	props, err := getObject(d, "Properties_")
	if err != nil {
		return nil, err
	}
	defer props.Release()
	err = forEach(props, func(item *ole.VARIANT) error {
		p := item.ToIDispatch()
		if p == nil {
			return fmt.Errorf("Properties_: want an SWbemProperty, got %s", vtName(item.VT))
		}
		prop, err := toProperty(p, depth)
		if err != nil {
			return err
		}
		o.Props = append(o.Props, prop)
		return nil
	})
	if err != nil {
		return nil, at("Properties_", err)
	}
	return o, nil
}

// readPath fills Class and Path from Path_ (an SWbemObjectPath). Path is
// "" for a spawned or embedded instance.
func readPath(d *ole.IDispatch, o *wmi.Object) error {
	p, err := getObject(d, "Path_")
	if err != nil {
		return err
	}
	defer p.Release()
	if o.Path, err = getString(p, "Path"); err != nil {
		return at("Path_", err)
	}
	if o.Class, err = getString(p, "Class"); err != nil {
		return at("Path_", err)
	}
	return nil
}

// readDerivation fills Derivation and SuperClass from Derivation_ (nearest
// ancestor first). An implementation without Derivation_ leaves them empty.
func readDerivation(d *ole.IDispatch, o *wmi.Object) error {
	v, err := invoke(d, ole.DISPATCH_PROPERTYGET, "Derivation_")
	if err != nil {
		if isMissingMember(err) {
			return nil
		}
		return at("Derivation_", err)
	}
	defer v.Clear()
	raw, err := decodeVariant(v, 0)
	if err != nil {
		return at("Derivation_", err)
	}
	der, err := fromAutomation(wmi.CIMString, true, raw)
	if err != nil {
		return at("Derivation_", err)
	}
	o.Derivation, _ = der.([]string)
	if len(o.Derivation) > 0 {
		o.SuperClass = o.Derivation[0]
	}
	return nil
}

// toProperty converts an SWbemProperty, which stays owned by the caller.
func toProperty(p *ole.IDispatch, depth int) (wmi.Property, error) {
	var prop wmi.Property
	var err error
	if prop.Name, err = getString(p, "Name"); err != nil {
		return prop, err
	}
	fail := func(err error) (wmi.Property, error) { return prop, at("property "+prop.Name, err) }
	n, err := getInt(p, "CIMType")
	if err != nil {
		return fail(err)
	}
	var flagged bool
	prop.Type, flagged = splitCIMType(n)
	if prop.Array, err = getBool(p, "IsArray"); err != nil {
		return fail(err)
	}
	prop.Array = prop.Array || flagged
	// Origin and IsLocal only describe the property; go without them
	// where they are not implemented.
	if prop.Origin, err = getString(p, "Origin"); err != nil && !isMissingMember(err) {
		return fail(err)
	}
	local, err := getBool(p, "IsLocal")
	if err != nil && !isMissingMember(err) {
		return fail(err)
	}
	prop.Propagated = err == nil && !local
	raw, err := getValue(p, "Value", depth)
	if err != nil {
		return fail(err)
	}
	if prop.Value, err = fromAutomation(prop.Type, prop.Array, raw); err != nil {
		return fail(err)
	}
	return prop, nil
}

// getValue reads a property of any type as a raw value (see decodeVariant).
func getValue(d *ole.IDispatch, name string, depth int) (any, error) {
	v, err := invoke(d, ole.DISPATCH_PROPERTYGET, name)
	if err != nil {
		return nil, at(name, err)
	}
	defer v.Clear()
	raw, err := decodeVariant(v, depth)
	return raw, at(name, err)
}
