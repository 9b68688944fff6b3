//go:build windows

package com

import (
	"fmt"
	"math"
	"unsafe"

	ole "github.com/go-ole/go-ole"
	"golang.org/x/sys/windows"
)

// SAFEARRAY functions. go-ole wraps them but does not export the wrappers,
// and its SafeArrayConversion.ToValueArray drops errors, cannot read object
// elements and reads a VT_BOOL element (2 bytes) into a Go bool (1 byte).
var (
	oleaut32                  = windows.NewLazySystemDLL("oleaut32.dll")
	procSafeArrayCreateVector = oleaut32.NewProc("SafeArrayCreateVector")
	procSafeArrayPutElement   = oleaut32.NewProc("SafeArrayPutElement")
	procSafeArrayGetElement   = oleaut32.NewProc("SafeArrayGetElement")
	procSafeArrayGetDim       = oleaut32.NewProc("SafeArrayGetDim")
	procSafeArrayGetVartype   = oleaut32.NewProc("SafeArrayGetVartype")
	procSafeArrayGetLBound    = oleaut32.NewProc("SafeArrayGetLBound")
	procSafeArrayGetUBound    = oleaut32.NewProc("SafeArrayGetUBound")
)

// maxDepth bounds how deeply embedded objects may nest.
const maxDepth = 16

// decodeVariant reads v, which stays owned by the caller, as the raw value
// that fromAutomation takes: a Go scalar, []any for an array, *wmi.Object
// for an embedded object, nil for null.
func decodeVariant(v *ole.VARIANT, depth int) (any, error) {
	switch {
	case v.VT == ole.VT_EMPTY || v.VT == ole.VT_NULL:
		return nil, nil
	case v.VT&ole.VT_ARRAY != 0:
		sa := v.ToArray()
		if sa == nil || sa.Array == nil {
			return nil, nil
		}
		return decodeArray(sa.Array, depth)
	case v.VT == ole.VT_DISPATCH:
		d := v.ToIDispatch()
		if d == nil {
			return nil, nil
		}
		return toObject(d, depth+1)
	case v.VT == ole.VT_UNKNOWN:
		unk := v.ToIUnknown()
		if unk == nil {
			return nil, nil
		}
		d, err := unk.QueryInterface(ole.IID_IDispatch)
		if err != nil {
			return nil, err
		}
		defer d.Release()
		return toObject(d, depth+1)
	case isScalarVT(v.VT):
		return v.Value(), nil
	}
	return nil, fmt.Errorf("unsupported VARIANT type %s", vtName(v.VT))
}

func decodeArray(sa *ole.SafeArray, depth int) ([]any, error) {
	psa := uintptr(unsafe.Pointer(sa))
	if dims, _, _ := procSafeArrayGetDim.Call(psa); dims != 1 {
		return nil, fmt.Errorf("want a one-dimensional array, got %d dimensions", dims)
	}
	var vt ole.VT
	if hr, _, _ := procSafeArrayGetVartype.Call(psa, uintptr(unsafe.Pointer(&vt))); hr != 0 {
		return nil, ole.NewError(hr)
	}
	var lo, hi int32
	if hr, _, _ := procSafeArrayGetLBound.Call(psa, 1, uintptr(unsafe.Pointer(&lo))); hr != 0 {
		return nil, ole.NewError(hr)
	}
	if hr, _, _ := procSafeArrayGetUBound.Call(psa, 1, uintptr(unsafe.Pointer(&hi))); hr != 0 {
		return nil, ole.NewError(hr)
	}
	out := make([]any, 0, max(0, int64(hi)-int64(lo)+1))
	for i := int64(lo); i <= int64(hi); i++ {
		e, err := arrayElement(psa, vt, int32(i), depth)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i-int64(lo), err)
		}
		out = append(out, e)
	}
	return out, nil
}

// arrayElement copies element i out of the array. SafeArrayGetElement
// copies BSTRs, VARIANTs and interface pointers, so each copy is freed
// here once converted.
func arrayElement(psa uintptr, vt ole.VT, i int32, depth int) (any, error) {
	switch vt {
	case ole.VT_VARIANT:
		var v ole.VARIANT
		if err := getElement(psa, i, unsafe.Pointer(&v)); err != nil {
			return nil, err
		}
		defer v.Clear()
		return decodeVariant(&v, depth)
	case ole.VT_BSTR:
		var b *uint16
		if err := getElement(psa, i, unsafe.Pointer(&b)); err != nil {
			return nil, err
		}
		defer ole.SysFreeString((*int16)(unsafe.Pointer(b)))
		return ole.BstrToString(b), nil
	case ole.VT_DISPATCH:
		var d *ole.IDispatch
		if err := getElement(psa, i, unsafe.Pointer(&d)); err != nil || d == nil {
			return nil, err
		}
		defer d.Release()
		return toObject(d, depth+1)
	case ole.VT_BOOL:
		var b int16 // VARIANT_BOOL
		err := getElement(psa, i, unsafe.Pointer(&b))
		return b != 0, err
	case ole.VT_I1:
		return element[int8](psa, i)
	case ole.VT_UI1:
		return element[uint8](psa, i)
	case ole.VT_I2:
		return element[int16](psa, i)
	case ole.VT_UI2:
		return element[uint16](psa, i)
	case ole.VT_I4, ole.VT_INT:
		return element[int32](psa, i)
	case ole.VT_UI4, ole.VT_UINT:
		return element[uint32](psa, i)
	case ole.VT_I8:
		return element[int64](psa, i)
	case ole.VT_UI8:
		return element[uint64](psa, i)
	case ole.VT_R4:
		return element[float32](psa, i)
	case ole.VT_R8:
		return element[float64](psa, i)
	}
	return nil, fmt.Errorf("unsupported array element type %s", vtName(vt))
}

func element[T any](psa uintptr, i int32) (any, error) {
	var x T
	if err := getElement(psa, i, unsafe.Pointer(&x)); err != nil {
		return nil, err
	}
	return x, nil
}

func getElement(psa uintptr, i int32, p unsafe.Pointer) error {
	if hr, _, _ := procSafeArrayGetElement.Call(psa, uintptr(unsafe.Pointer(&i)), uintptr(p)); hr != 0 {
		return ole.NewError(hr)
	}
	return nil
}

// toVariant builds the VARIANT for a value from paramValue. The caller
// must VariantClear it.
func toVariant(pv any) (ole.VARIANT, error) {
	vt, ok := vtOf(pv)
	if !ok {
		return ole.VARIANT{}, fmt.Errorf("no VARIANT type for %T", pv)
	}
	switch x := pv.(type) {
	case nil:
		return ole.NewVariant(ole.VT_NULL, 0), nil
	// The unsigned conversions leave the VARIANT's bytes beyond the value
	// zero rather than sign-filled; readers look only at the value's size.
	case bool:
		return ole.NewVariant(vt, int64(uint16(variantBool(x)))), nil
	case uint8:
		return ole.NewVariant(vt, int64(x)), nil
	case int16:
		return ole.NewVariant(vt, int64(uint16(x))), nil
	case int32:
		return ole.NewVariant(vt, int64(uint32(x))), nil
	case float32:
		return ole.NewVariant(vt, int64(math.Float32bits(x))), nil
	case float64:
		return ole.NewVariant(vt, int64(math.Float64bits(x))), nil
	case string:
		return ole.NewVariant(vt, int64(uintptr(unsafe.Pointer(ole.SysAllocStringLen(x))))), nil
	case []bool:
		b := make([]int16, len(x))
		for i, e := range x {
			b[i] = variantBool(e)
		}
		return newArray(ole.VT_BOOL, b)
	case []uint8:
		return newArray(ole.VT_UI1, x)
	case []int16:
		return newArray(ole.VT_I2, x)
	case []int32:
		return newArray(ole.VT_I4, x)
	case []float32:
		return newArray(ole.VT_R4, x)
	case []float64:
		return newArray(ole.VT_R8, x)
	case []string:
		return newStringArray(x)
	}
	return ole.VARIANT{}, fmt.Errorf("no VARIANT for %T", pv)
}

// variantBool is VARIANT_TRUE (-1) or VARIANT_FALSE (0).
func variantBool(b bool) int16 {
	if b {
		return -1
	}
	return 0
}

// newArray builds a VT_ARRAY|vt VARIANT from fixed-size elements.
func newArray[T any](vt ole.VT, items []T) (ole.VARIANT, error) {
	sa, arr, err := newVector(vt, len(items))
	if err != nil {
		return arr, err
	}
	for i := range items {
		if err := putElement(sa, int32(i), unsafe.Pointer(&items[i])); err != nil {
			ole.VariantClear(&arr)
			return ole.VARIANT{}, err
		}
	}
	return arr, nil
}

// newStringArray builds a VT_ARRAY|VT_BSTR VARIANT. SafeArrayPutElement
// stores a copy of each BSTR, so the one made here is freed at once
// (go-ole's own []string argument leaks it).
func newStringArray(items []string) (ole.VARIANT, error) {
	sa, arr, err := newVector(ole.VT_BSTR, len(items))
	if err != nil {
		return arr, err
	}
	for i, s := range items {
		b := ole.SysAllocStringLen(s)
		err := putElement(sa, int32(i), unsafe.Pointer(b)) // a BSTR is passed as itself
		ole.SysFreeString(b)
		if err != nil {
			ole.VariantClear(&arr)
			return ole.VARIANT{}, err
		}
	}
	return arr, nil
}

// newVector creates a zero-based SAFEARRAY of n elements, already owned by
// the returned VARIANT.
func newVector(vt ole.VT, n int) (uintptr, ole.VARIANT, error) {
	sa, _, _ := procSafeArrayCreateVector.Call(uintptr(vt), 0, uintptr(n))
	if sa == 0 {
		return 0, ole.VARIANT{}, ole.NewError(ole.E_OUTOFMEMORY)
	}
	return sa, ole.NewVariant(ole.VT_ARRAY|vt, int64(sa)), nil
}

func putElement(sa uintptr, i int32, p unsafe.Pointer) error {
	if hr, _, _ := procSafeArrayPutElement.Call(sa, uintptr(unsafe.Pointer(&i)), uintptr(p)); hr != 0 {
		return ole.NewError(hr)
	}
	return nil
}
