package wmi

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// Convert turns v into the canonical Go representation of a CIM value of
// type t (see Property). It accepts any Go integer kind for integer types
// (range-checked), decimal strings for 64-bit integers (COM hands uint64
// and sint64 over as BSTR), and any slice for arrays. nil stays nil (NULL).
func Convert(t CIMType, array bool, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !array {
		return convertScalar(t, v)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil, fmt.Errorf("want an array of %s, got %T", t, v)
	}
	if rv.IsNil() {
		return nil, nil
	}
	out := reflect.MakeSlice(reflect.SliceOf(goType(t)), rv.Len(), rv.Len())
	for i := 0; i < rv.Len(); i++ {
		e, err := convertScalar(t, rv.Index(i).Interface())
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		if e == nil {
			return nil, fmt.Errorf("element %d: NULL inside an array", i)
		}
		out.Index(i).Set(reflect.ValueOf(e))
	}
	return out.Interface(), nil
}

func goType(t CIMType) reflect.Type {
	switch t {
	case CIMSint8:
		return reflect.TypeOf(int8(0))
	case CIMUint8:
		return reflect.TypeOf(uint8(0))
	case CIMSint16:
		return reflect.TypeOf(int16(0))
	case CIMUint16, CIMChar16:
		return reflect.TypeOf(uint16(0))
	case CIMSint32:
		return reflect.TypeOf(int32(0))
	case CIMUint32:
		return reflect.TypeOf(uint32(0))
	case CIMSint64:
		return reflect.TypeOf(int64(0))
	case CIMUint64:
		return reflect.TypeOf(uint64(0))
	case CIMReal32:
		return reflect.TypeOf(float32(0))
	case CIMReal64:
		return reflect.TypeOf(float64(0))
	case CIMBoolean:
		return reflect.TypeOf(false)
	case CIMObject:
		return reflect.TypeOf((*Object)(nil))
	}
	return reflect.TypeOf("")
}

func convertScalar(t CIMType, v any) (any, error) {
	switch t {
	case CIMString, CIMDatetime, CIMReference:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want %s, got %T", t, v)
		}
		return s, nil
	case CIMBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want boolean, got %T", v)
		}
		return b, nil
	case CIMObject:
		o, ok := v.(*Object)
		if !ok {
			return nil, fmt.Errorf("want an embedded object, got %T", v)
		}
		if o == nil { // a typed nil is NULL too
			return nil, nil
		}
		return o, nil
	case CIMReal32, CIMReal64:
		var f float64
		switch x := v.(type) {
		case float32:
			f = float64(x)
		case float64:
			f = x
		case string:
			p, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return nil, fmt.Errorf("want %s, got %q", t, x)
			}
			f = p
		default:
			n, ok := toInt64(v)
			if !ok {
				return nil, fmt.Errorf("want %s, got %T", t, v)
			}
			f = float64(n)
		}
		if t == CIMReal32 {
			return float32(f), nil
		}
		return f, nil
	}
	return convertInt(t, v)
}

func convertInt(t CIMType, v any) (any, error) {
	if u, ok := v.(uint); ok { // may exceed MaxInt64, like uint64
		v = uint64(u)
	}
	if u, ok := v.(uint64); ok && u > math.MaxInt64 {
		if t == CIMUint64 {
			return u, nil
		}
		return nil, fmt.Errorf("%d out of range for %s", u, t)
	}
	if s, ok := v.(string); ok {
		// 64-bit integers travel as decimal strings through COM.
		if t == CIMUint64 {
			u, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("want %s, got %q", t, s)
			}
			return u, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want %s, got %q", t, s)
		}
		v = n
	}
	n, ok := toInt64(v)
	if !ok {
		return nil, fmt.Errorf("want %s, got %T", t, v)
	}
	lo, hi := intRange(t)
	if n < lo || (hi >= 0 && n > hi) {
		return nil, fmt.Errorf("%d out of range for %s", n, t)
	}
	switch t {
	case CIMSint8:
		return int8(n), nil
	case CIMUint8:
		return uint8(n), nil
	case CIMSint16:
		return int16(n), nil
	case CIMUint16, CIMChar16:
		return uint16(n), nil
	case CIMSint32:
		return int32(n), nil
	case CIMUint32:
		return uint32(n), nil
	case CIMSint64:
		return n, nil
	case CIMUint64:
		return uint64(n), nil
	}
	return nil, fmt.Errorf("unknown CIM type %d", uint16(t))
}

// intRange returns the bounds of an integer type; hi < 0 means no upper
// bound below MaxInt64.
func intRange(t CIMType) (lo, hi int64) {
	switch t {
	case CIMSint8:
		return math.MinInt8, math.MaxInt8
	case CIMUint8:
		return 0, math.MaxUint8
	case CIMSint16:
		return math.MinInt16, math.MaxInt16
	case CIMUint16, CIMChar16:
		return 0, math.MaxUint16
	case CIMSint32:
		return math.MinInt32, math.MaxInt32
	case CIMUint32:
		return 0, math.MaxUint32
	case CIMUint64:
		return 0, -1
	}
	return math.MinInt64, -1
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	}
	return 0, false
}
