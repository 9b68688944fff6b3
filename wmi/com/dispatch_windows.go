//go:build windows

package com

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"unsafe"

	ole "github.com/go-ole/go-ole"
)

// invoke calls a member of d. On success the caller owns the result and
// must Clear it; on failure there is nothing to clear.
func invoke(d *ole.IDispatch, kind int16, name string, args ...any) (*ole.VARIANT, error) {
	v, err := d.InvokeWithOptionalArgs(name, kind, args)
	if err != nil {
		if v != nil {
			v.Clear()
		}
		return nil, err
	}
	return v, nil
}

// getObject reads an object-valued property; the caller must Release it.
func getObject(d *ole.IDispatch, name string) (*ole.IDispatch, error) {
	return object(d, ole.DISPATCH_PROPERTYGET, name)
}

// callObject calls a method that returns an object; the caller must
// Release it.
func callObject(d *ole.IDispatch, name string, args ...any) (*ole.IDispatch, error) {
	return object(d, ole.DISPATCH_METHOD, name, args...)
}

var errNoObject = errors.New("returned no object")

func object(d *ole.IDispatch, kind int16, name string, args ...any) (*ole.IDispatch, error) {
	obj, err := maybeObject(d, kind, name, args...)
	if err == nil && obj == nil {
		err = errNoObject
	}
	return obj, at(name, err)
}

// maybeObject is object for members that may return null (nil, nil).
func maybeObject(d *ole.IDispatch, kind int16, name string, args ...any) (*ole.IDispatch, error) {
	v, err := invoke(d, kind, name, args...)
	if err != nil {
		return nil, err
	}
	return takeDispatch(v)
}

// takeDispatch moves the object out of v: the caller owns the reference v
// held, and v must not be cleared afterwards.
func takeDispatch(v *ole.VARIANT) (*ole.IDispatch, error) {
	switch v.VT {
	case ole.VT_DISPATCH:
		return v.ToIDispatch(), nil
	case ole.VT_UNKNOWN:
		defer v.Clear()
		if unk := v.ToIUnknown(); unk != nil {
			return unk.QueryInterface(ole.IID_IDispatch)
		}
		return nil, nil
	case ole.VT_EMPTY, ole.VT_NULL:
		return nil, nil
	}
	vt := v.VT
	v.Clear()
	return nil, fmt.Errorf("want an object, got %s", vtName(vt))
}

func release(d *ole.IDispatch) {
	if d != nil {
		d.Release()
	}
}

// getString reads a string property ("" when null).
func getString(d *ole.IDispatch, name string) (string, error) {
	v, err := invoke(d, ole.DISPATCH_PROPERTYGET, name)
	if err != nil {
		return "", at(name, err)
	}
	defer v.Clear()
	switch v.VT {
	case ole.VT_BSTR:
		return v.ToString(), nil
	case ole.VT_EMPTY, ole.VT_NULL:
		return "", nil
	}
	return "", fmt.Errorf("%s: want a string, got %s", name, vtName(v.VT))
}

// getInt reads an integer property.
func getInt(d *ole.IDispatch, name string) (int64, error) {
	v, err := invoke(d, ole.DISPATCH_PROPERTYGET, name)
	if err != nil {
		return 0, at(name, err)
	}
	defer v.Clear()
	if n, ok := intOf(v.Value()); ok {
		return n, nil
	}
	return 0, fmt.Errorf("%s: want an integer, got %s", name, vtName(v.VT))
}

// getBool reads a boolean property.
func getBool(d *ole.IDispatch, name string) (bool, error) {
	v, err := invoke(d, ole.DISPATCH_PROPERTYGET, name)
	if err != nil {
		return false, at(name, err)
	}
	defer v.Clear()
	if b, ok := v.Value().(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("%s: want a boolean, got %s", name, vtName(v.VT))
}

// putInt sets an integer property (as VT_I4).
func putInt(d *ole.IDispatch, name string, n int32) error {
	v, err := invoke(d, ole.DISPATCH_PROPERTYPUT, name, n)
	if err != nil {
		return at(name, err)
	}
	v.Clear()
	return nil
}

// forEach walks a collection (SWbemObjectSet, SWbemPropertySet) through
// its _NewEnum. fn borrows each item; forEach clears it afterwards. Unlike
// oleutil.ForEach it reports errors from Next: with
// wbemFlagReturnImmediately, that is where a failing query fails.
func forEach(coll *ole.IDispatch, fn func(item *ole.VARIANT) error) error {
	v, err := coll.Invoke(ole.DISPID_NEWENUM, ole.DISPATCH_METHOD|ole.DISPATCH_PROPERTYGET)
	if err != nil {
		if v != nil {
			v.Clear()
		}
		return at("_NewEnum", err)
	}
	defer v.Clear()
	var unk *ole.IUnknown
	switch v.VT {
	case ole.VT_UNKNOWN:
		unk = v.ToIUnknown()
	case ole.VT_DISPATCH:
		if d := v.ToIDispatch(); d != nil {
			unk = &d.IUnknown
		}
	}
	if unk == nil {
		return fmt.Errorf("_NewEnum: want an enumerator, got %s", vtName(v.VT))
	}
	enum, err := unk.IEnumVARIANT(ole.IID_IEnumVariant)
	if err != nil {
		return at("_NewEnum", err)
	}
	defer enum.Release()
	for {
		item, n, err := enum.Next(1)
		if err != nil {
			item.Clear()
			if isHR(err, hrSFalse) { // fewer than asked for: the end
				return nil
			}
			return at("Next", err)
		}
		if n == 0 {
			return nil
		}
		err = fn(&item)
		item.Clear()
		if err != nil {
			return err
		}
	}
}

// dispParams and excepInfo have the layout of DISPPARAMS and EXCEPINFO
// (oaidl.h). go-ole keeps its copies unexported, and its Invoke passes a
// VARIANT argument only by reference; putValue passes it by value, the way
// script engines assign a property.
type dispParams struct {
	args      *ole.VARIANT
	namedArgs *int32
	nArgs     uint32
	nNamed    uint32
}

type excepInfo struct {
	code           uint16
	_              uint16
	source         *uint16
	description    *uint16
	helpFile       *uint16
	helpContext    uint32
	_              uintptr
	deferredFillIn uintptr
	scode          uint32
}

// putValue assigns v to property name of d. v stays owned by the caller.
func putValue(d *ole.IDispatch, name string, v *ole.VARIANT) error {
	id, err := d.GetSingleIDOfName(name)
	if err != nil {
		return at(name, err)
	}
	named := int32(ole.DISPID_PROPERTYPUT)
	params := dispParams{args: v, namedArgs: &named, nArgs: 1, nNamed: 1}
	var ei excepInfo
	hr, _, _ := syscall.SyscallN(d.VTable().Invoke,
		uintptr(unsafe.Pointer(d)),
		uintptr(id),
		uintptr(unsafe.Pointer(ole.IID_NULL)),
		uintptr(ole.GetUserDefaultLCID()),
		uintptr(ole.DISPATCH_PROPERTYPUT),
		uintptr(unsafe.Pointer(&params)),
		0, // a put has no result
		uintptr(unsafe.Pointer(&ei)),
		0)
	if uint32(hr) == 0 {
		return nil
	}
	return at(name, ei.toError(uint32(hr)))
}

// toError frees the exception's strings and returns it as a go-ole error
// whose code already is the scode, when there is one.
func (ei *excepInfo) toError(hr uint32) error {
	if hr == hrDispException && ei.deferredFillIn != 0 {
		syscall.SyscallN(ei.deferredFillIn, uintptr(unsafe.Pointer(ei)))
	}
	desc := strings.TrimSpace(ole.BstrToString(ei.description))
	scode := ei.scode
	for _, s := range []*uint16{ei.source, ei.description, ei.helpFile} {
		if s != nil {
			ole.SysFreeString((*int16)(unsafe.Pointer(s)))
		}
	}
	*ei = excepInfo{}
	return ole.NewErrorWithDescription(uintptr(pickHResult(hr, scode)), desc)
}
