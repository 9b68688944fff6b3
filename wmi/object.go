package wmi

import (
	"fmt"
	"slices"
	"strings"
)

// CIMType is the CIM type of a property. The numbers are those of
// WbemCimtypeEnum (wbemdisp.h), which is what SWbemProperty.CIMType returns,
// so the COM transport needs no table.
type CIMType uint16

const (
	CIMSint16    CIMType = 2
	CIMSint32    CIMType = 3
	CIMReal32    CIMType = 4
	CIMReal64    CIMType = 5
	CIMString    CIMType = 8
	CIMBoolean   CIMType = 11
	CIMObject    CIMType = 13
	CIMSint8     CIMType = 16
	CIMUint8     CIMType = 17
	CIMUint16    CIMType = 18
	CIMUint32    CIMType = 19
	CIMSint64    CIMType = 20
	CIMUint64    CIMType = 21
	CIMDatetime  CIMType = 101
	CIMReference CIMType = 102
	CIMChar16    CIMType = 103
)

var cimTypeNames = map[CIMType]string{
	CIMSint8: "sint8", CIMUint8: "uint8", CIMSint16: "sint16", CIMUint16: "uint16",
	CIMSint32: "sint32", CIMUint32: "uint32", CIMSint64: "sint64", CIMUint64: "uint64",
	CIMReal32: "real32", CIMReal64: "real64", CIMBoolean: "boolean", CIMString: "string",
	CIMDatetime: "datetime", CIMReference: "reference", CIMChar16: "char16", CIMObject: "object",
}

// String returns the type's name as CIM-XML writes it in TYPE="...".
func (t CIMType) String() string {
	if s, ok := cimTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("CIMType(%d)", uint16(t))
}

// ParseCIMType is the inverse of CIMType.String.
func ParseCIMType(s string) (CIMType, bool) {
	for t, n := range cimTypeNames {
		if strings.EqualFold(n, s) {
			return t, true
		}
	}
	return 0, false
}

// Property is one named, typed value of an instance.
//
// Value holds the Go type that matches Type: int8, uint8, int16, uint16,
// int32, uint32, int64, uint64, float32, float64, bool, string (string,
// datetime, reference), uint16 (char16) or *Object (object). An array
// property holds a slice of that type. A nil Value is NULL.
type Property struct {
	Name       string
	Type       CIMType
	Array      bool
	Value      any
	Origin     string // CLASSORIGIN: the class that declares the property
	Propagated bool   // PROPAGATED: inherited, or not set on a spawned instance
}

// Object is a WMI class instance (or a method's out-parameters, class
// "__PARAMETERS"). System properties (__PATH, __CLASS, ...) are not in
// Props; they are derived from the fields below.
type Object struct {
	Class      string
	Path       string   // __PATH; empty for a spawned or embedded instance
	SuperClass string   // __SUPERCLASS
	Derivation []string // __DERIVATION, nearest ancestor first
	Props      []Property
}

// Prop returns the named property, or nil. Names compare case-insensitively,
// as WMI does.
func (o *Object) Prop(name string) *Property {
	if o == nil {
		return nil
	}
	for i := range o.Props {
		if strings.EqualFold(o.Props[i].Name, name) {
			return &o.Props[i]
		}
	}
	return nil
}

// Has reports whether the object declares the named property.
func (o *Object) Has(name string) bool { return o.Prop(name) != nil }

// Get returns the property's value, or nil when it is missing or NULL.
func (o *Object) Get(name string) any {
	if p := o.Prop(name); p != nil {
		return p.Value
	}
	return nil
}

// String returns a string-valued property, "" when missing or NULL.
func (o *Object) String(name string) string {
	s, _ := o.Get(name).(string)
	return s
}

// Uint returns an integer-valued property as uint64 (0 when missing, NULL
// or negative).
func (o *Object) Uint(name string) uint64 {
	v := o.Get(name)
	if u, ok := v.(uint64); ok {
		return u
	}
	n, ok := toInt64(v)
	if !ok || n < 0 {
		return 0
	}
	return uint64(n)
}

// Bool returns a boolean property, false when missing or NULL.
func (o *Object) Bool(name string) bool {
	b, _ := o.Get(name).(bool)
	return b
}

// Strings returns a string-array property (nil when missing or NULL).
func (o *Object) Strings(name string) []string {
	s, _ := o.Get(name).([]string)
	return s
}

// IsNull reports whether the property is missing or NULL.
func (o *Object) IsNull(name string) bool { return o.Get(name) == nil }

// Set assigns a value to a property the object already declares, converting
// between Go integer types as long as the value fits, as SWbemProperty.Value
// does. Setting an undeclared property fails like WMI's Put does
// (wbemErrNotFound). A nil value sets NULL.
func (o *Object) Set(name string, v any) error {
	p := o.Prop(name)
	if p == nil {
		return &Error{Op: "Set", Path: o.Class + "." + name, HResult: WBEMNotFound,
			Msg: fmt.Sprintf("class %s has no property %s", o.Class, name)}
	}
	cv, err := Convert(p.Type, p.Array, v)
	if err != nil {
		return &Error{Op: "Set", Path: o.Class + "." + name, HResult: WBEMTypeMismatch, Msg: err.Error()}
	}
	p.Value = cv
	p.Propagated = false
	return nil
}

// MustSet is Set for code that built the object itself.
func (o *Object) MustSet(name string, v any) {
	if err := o.Set(name, v); err != nil {
		panic(err)
	}
}

// Add appends a property declaration (for code that builds objects: the
// simulator and decoders). The value is converted to the declared type.
func (o *Object) Add(name string, t CIMType, array bool, v any) error {
	cv, err := Convert(t, array, v)
	if err != nil {
		return fmt.Errorf("property %s: %w", name, err)
	}
	if p := o.Prop(name); p != nil {
		p.Type, p.Array, p.Value = t, array, cv
		return nil
	}
	o.Props = append(o.Props, Property{Name: name, Type: t, Array: array, Value: cv, Origin: o.Class})
	return nil
}

// MustAdd is Add for literals known to be valid.
func (o *Object) MustAdd(name string, t CIMType, array bool, v any) *Object {
	if err := o.Add(name, t, array, v); err != nil {
		panic(err)
	}
	return o
}

// Clone returns a deep copy, so a caller can edit an object without
// touching the one a transport (or the simulator) holds.
func (o *Object) Clone() *Object {
	if o == nil {
		return nil
	}
	c := *o
	c.Derivation = slices.Clone(o.Derivation)
	// slices.Clone keeps nil apart from empty: an empty array is not NULL.
	c.Props = slices.Clone(o.Props)
	for i := range c.Props {
		c.Props[i].Value = cloneValue(c.Props[i].Value)
	}
	return &c
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case *Object:
		return x.Clone()
	case []*Object:
		if x == nil {
			return x
		}
		out := make([]*Object, len(x))
		for i, e := range x {
			out[i] = e.Clone()
		}
		return out
	case []string:
		return slices.Clone(x)
	case []bool:
		return slices.Clone(x)
	case []int8:
		return slices.Clone(x)
	case []uint8:
		return slices.Clone(x)
	case []int16:
		return slices.Clone(x)
	case []uint16:
		return slices.Clone(x)
	case []int32:
		return slices.Clone(x)
	case []uint32:
		return slices.Clone(x)
	case []int64:
		return slices.Clone(x)
	case []uint64:
		return slices.Clone(x)
	case []float32:
		return slices.Clone(x)
	case []float64:
		return slices.Clone(x)
	}
	return v
}
