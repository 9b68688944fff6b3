package com

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"

	ole "github.com/go-ole/go-ole"

	"github.com/hvport/hvport/wmi"
)

// Flags of SWbemServices.ExecQuery (WbemFlagEnum). Returning at once and
// enumerating forward only is the semisynchronous mode WMI recommends: WMI
// does not have to keep every object of the result set alive.
const (
	wbemFlagReturnImmediately = 0x10
	wbemFlagForwardOnly       = 0x20
)

// cimFlagArray is CIM_FLAG_ARRAY, which the native API ORs into a CIM type.
// SWbemProperty.CIMType should not carry it, but stripping it costs nothing.
const cimFlagArray = 0x2000

// errObjectParam rejects values for parameters of CIM type object: those
// need a live SWbemObject, which this transport does not build. Hyper-V
// declares its embedded-instance parameters as strings (CIM-XML) instead.
var errObjectParam = errors.New("parameters of CIM type object are not supported; pass embedded instances to string parameters")

// errEncode marks a failure to encode an embedded instance as CIM-XML.
var errEncode = errors.New("cannot encode embedded instance")

// paramValue converts an in-parameter value for a parameter declared with
// CIM type t into the Go value whose VARIANT (see vtOf) has the automation
// type WMI uses for t (the "Numbers (WMI)" table of the WMI SDK): nil (VT_NULL), bool, uint8, int16, int32, float32, float64 or
// string, or a slice of one of those for an array. A *wmi.Object given for
// a string parameter is encoded as CIM-XML (wmi.EncodeInstance).
func paramValue(t wmi.CIMType, array bool, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if t == wmi.CIMObject {
		return nil, errObjectParam
	}
	v, err := encodeEmbedded(t, v)
	if err != nil {
		return nil, err
	}
	cv, err := wmi.Convert(t, array, v)
	if err != nil || cv == nil {
		return nil, err
	}
	if !array {
		return automationScalar(t, cv), nil
	}
	in := reflect.ValueOf(cv)
	elem := reflect.TypeOf(automationScalar(t, reflect.Zero(in.Type().Elem()).Interface()))
	out := reflect.MakeSlice(reflect.SliceOf(elem), in.Len(), in.Len())
	for i := 0; i < in.Len(); i++ {
		out.Index(i).Set(reflect.ValueOf(automationScalar(t, in.Index(i).Interface())))
	}
	return out.Interface(), nil
}

func encodeEmbedded(t wmi.CIMType, v any) (any, error) {
	if t != wmi.CIMString {
		return v, nil
	}
	switch x := v.(type) {
	case *wmi.Object:
		return encodeOne(x)
	case []*wmi.Object:
		out := make([]string, len(x))
		for i, o := range x {
			s, err := encodeOne(o)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = s
		}
		return out, nil
	}
	return v, nil
}

func encodeOne(o *wmi.Object) (string, error) {
	s, err := wmi.EncodeInstance(o)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errEncode, err)
	}
	return s, nil
}

// automationScalar maps a canonical value of CIM type t to its automation
// representation. The unsigned types that automation widens into a signed
// VARIANT (uint32 into VT_I4, char16 into VT_I2) keep their bits: this is
// how WMI itself stores them.
func automationScalar(t wmi.CIMType, v any) any {
	switch x := v.(type) {
	case int8:
		return int16(x)
	case int16, int32, uint8, bool, float32, float64, string:
		return x
	case uint16:
		if t == wmi.CIMChar16 {
			return int16(x)
		}
		return int32(x)
	case uint32:
		return int32(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	}
	return v
}

// vtOf is the VARIANT type for a value from paramValue.
func vtOf(v any) (ole.VT, bool) {
	var vt ole.VT
	switch v.(type) {
	case nil:
		return ole.VT_NULL, true
	case bool, []bool:
		vt = ole.VT_BOOL
	case uint8, []uint8:
		vt = ole.VT_UI1
	case int16, []int16:
		vt = ole.VT_I2
	case int32, []int32:
		vt = ole.VT_I4
	case float32, []float32:
		vt = ole.VT_R4
	case float64, []float64:
		vt = ole.VT_R8
	case string, []string:
		vt = ole.VT_BSTR
	default:
		return 0, false
	}
	if reflect.TypeOf(v).Kind() == reflect.Slice {
		vt |= ole.VT_ARRAY
	}
	return vt, true
}

// fromAutomation converts a value read from a VARIANT into the canonical Go
// value of CIM type t. raw is what VARIANT.Value gives for a scalar, []any
// for a SAFEARRAY, or *wmi.Object for an embedded object.
func fromAutomation(t wmi.CIMType, array bool, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	if items, ok := raw.([]any); ok && array {
		fixed := make([]any, len(items))
		for i, e := range items {
			fixed[i] = fixScalar(t, e)
		}
		raw = fixed
	} else if !array {
		raw = fixScalar(t, raw)
	}
	return wmi.Convert(t, array, raw)
}

// fixScalar undoes automation's signed widening: a uint32 at or above 2^31
// arrives as a negative VT_I4, a char16 at or above 0x8000 as a negative
// VT_I2. Everything else wmi.Convert handles as it is.
func fixScalar(t wmi.CIMType, v any) any {
	switch x := v.(type) {
	case int32:
		if t == wmi.CIMUint32 && x < 0 {
			return uint32(x)
		}
	case int16:
		if (t == wmi.CIMChar16 || t == wmi.CIMUint16) && x < 0 {
			return uint16(x)
		}
	}
	return v
}

// splitCIMType reads SWbemProperty.CIMType.
func splitCIMType(n int64) (t wmi.CIMType, array bool) {
	return wmi.CIMType(n &^ cimFlagArray), n&cimFlagArray != 0
}

// isScalarVT reports whether VARIANT.Value returns a plain Go value for vt.
func isScalarVT(vt ole.VT) bool {
	switch vt {
	case ole.VT_I1, ole.VT_UI1, ole.VT_I2, ole.VT_UI2, ole.VT_I4, ole.VT_UI4,
		ole.VT_I8, ole.VT_UI8, ole.VT_INT, ole.VT_UINT,
		ole.VT_R4, ole.VT_R8, ole.VT_BOOL, ole.VT_BSTR:
		return true
	}
	return false
}

// intOf reads an integer VARIANT value (CIMType, for one).
func intOf(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case uint8:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}

// vtName formats a VARIANT type with its flags, e.g. "VT_ARRAY|VT_VARIANT"
// (go-ole's String knows only the bare types).
func vtName(vt ole.VT) string {
	s := (vt &^ (ole.VT_ARRAY | ole.VT_BYREF)).String()
	if vt&ole.VT_BYREF != 0 {
		s = "VT_BYREF|" + s
	}
	if vt&ole.VT_ARRAY != 0 {
		s = "VT_ARRAY|" + s
	}
	return s
}
