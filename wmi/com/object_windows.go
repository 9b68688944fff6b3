//go:build windows

package com

import (
	"errors"
	"fmt"

	ole "github.com/go-ole/go-ole"

	"github.com/hvport/hvport/wmi"
)

// toObject converts an SWbemObject, which stays owned by the caller. It
// reads the object through Path_, Derivation_ and Properties_ (see the
// package doc for why), and falls back to reading the properties by name
// where those members are not implemented (readByName).
func toObject(d *ole.IDispatch, depth int) (*wmi.Object, error) {
	return readObject(d, depth, nil)
}

// readObject is toObject for an object whose properties the caller can
// name when the scripting objects cannot: where Properties_ cannot be
// enumerated, declared (when not nil) gives the names and CIM types to
// read (a method's out-parameters, from its signature), else they come
// from the object's MOF text.
func readObject(d *ole.IDispatch, depth int, declared func() ([]decl, error)) (*wmi.Object, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("embedded objects nest deeper than %d", maxDepth)
	}
	o := &wmi.Object{}
	props, err := getObject(d, "Properties_")
	if err != nil {
		return nil, err
	}
	defer props.Release()
	if err := readPath(d, props, o); err != nil {
		return nil, err
	}
	if err := readDerivation(d, props, o); err != nil {
		return nil, err
	}
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
	if err != nil && len(o.Props) == 0 && isMissingMember(err) {
		// Without declarations (or when looking them up fails) the names
		// come from MOF text, as for any other object.
		if decls, derr := callDeclared(declared); derr == nil {
			err = readDeclared(props, o, decls, depth)
		} else {
			err = readByName(d, props, o, depth)
		}
	}
	if err != nil {
		return nil, at("Properties_", err)
	}
	return o, nil
}

// readPath fills Class and Path from Path_ (an SWbemObjectPath). Path is
// "" for a spawned or embedded instance. Where Path_ is not implemented,
// they come from the system properties __PATH and __CLASS, read by name.
func readPath(d, props *ole.IDispatch, o *wmi.Object) error {
	p, err := getObject(d, "Path_")
	if err != nil {
		if !isMissingMember(err) {
			return err
		}
		o.Path, _ = systemString(props, "__PATH")
		o.Class, _ = systemString(props, "__CLASS")
		return nil
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
// ancestor first), or from the system property __DERIVATION where
// Derivation_ is not implemented. An object that has neither leaves them
// empty.
func readDerivation(d, props *ole.IDispatch, o *wmi.Object) error {
	v, err := invoke(d, ole.DISPATCH_PROPERTYGET, "Derivation_")
	if err != nil {
		if !isMissingMember(err) {
			return at("Derivation_", err)
		}
		if v, err = propertyValue(props, "__DERIVATION"); err != nil {
			return nil
		}
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
	if len(o.Derivation) == 0 {
		o.Derivation = nil // none and empty are the same (as in DecodeInstance)
	} else {
		o.SuperClass = o.Derivation[0]
	}
	return nil
}

// readByName reads the properties of an object whose Properties_ cannot be
// enumerated: the names come from its MOF text (GetObjectText_), each value
// from Properties_.Item(name).Value, and the type from the value's
// automation type (inferCIMType), since SWbemProperty.CIMType is not
// readable either where this runs. NULL properties are missing from MOF
// text, so they are missing here too; Origin and Propagated stay empty.
func readByName(d, props *ole.IDispatch, o *wmi.Object, depth int) error {
	v, err := invoke(d, ole.DISPATCH_METHOD, "GetObjectText_")
	if err != nil {
		return at("GetObjectText_", err)
	}
	text := v.ToString()
	v.Clear()
	class, names := mofPropertyNames(text)
	if o.Class == "" {
		o.Class = class
	}
	for _, name := range names {
		pv, err := propertyValue(props, name)
		if err != nil {
			if isHR(err, wmi.WBEMNotFound) {
				continue // not a property after all (see mofPropertyNames)
			}
			return at("property "+name, err)
		}
		raw, err := decodeVariant(pv, depth)
		pv.Clear()
		if err != nil {
			return at("property "+name, err)
		}
		t, array := inferCIMType(raw)
		val, err := fromAutomation(t, array, raw)
		if err != nil {
			return at("property "+name, err)
		}
		o.Props = append(o.Props, wmi.Property{Name: name, Type: t, Array: array, Value: val})
	}
	return nil
}

func callDeclared(declared func() ([]decl, error)) ([]decl, error) {
	if declared == nil {
		return nil, errNoDeclarations
	}
	return declared()
}

var errNoDeclarations = errors.New("no declarations")

// readDeclared reads the declared properties by name, with their declared
// types, into o: unlike MOF text, declarations name array and NULL
// properties too. Origin and Propagated stay empty.
func readDeclared(props *ole.IDispatch, o *wmi.Object, decls []decl, depth int) error {
	for _, d := range decls {
		pv, err := propertyValue(props, d.name)
		if err != nil {
			return at("property "+d.name, err)
		}
		raw, err := decodeVariant(pv, depth)
		pv.Clear()
		if err != nil {
			return at("property "+d.name, err)
		}
		val, err := fromAutomation(d.t, d.array, raw)
		if err != nil {
			return at("property "+d.name, err)
		}
		o.Props = append(o.Props, wmi.Property{Name: d.name, Type: d.t, Array: d.array, Value: val})
	}
	return nil
}

// propertyValue reads Properties_.Item(name).Value; the caller must Clear
// the result.
func propertyValue(props *ole.IDispatch, name string) (*ole.VARIANT, error) {
	p, err := callObject(props, "Item", name)
	if err != nil {
		return nil, err
	}
	defer p.Release()
	v, err := invoke(p, ole.DISPATCH_PROPERTYGET, "Value")
	return v, at(name, err)
}

// systemString reads a string-valued system property by name.
func systemString(props *ole.IDispatch, name string) (string, error) {
	v, err := propertyValue(props, name)
	if err != nil {
		return "", err
	}
	defer v.Clear()
	if v.VT != ole.VT_BSTR {
		return "", fmt.Errorf("%s: want a string, got %s", name, vtName(v.VT))
	}
	return trimNUL(v.ToString()), nil
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
