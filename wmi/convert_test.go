package wmi

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestConvertScalars(t *testing.T) {
	for _, tc := range []struct {
		t    CIMType
		in   any
		want any
	}{
		{CIMUint8, 255, uint8(255)},
		{CIMUint8, int64(0), uint8(0)},
		{CIMSint8, -128, int8(-128)},
		{CIMUint16, int32(65535), uint16(65535)}, // COM hands uint16 over as VT_I4
		{CIMSint16, int16(-5), int16(-5)},
		{CIMChar16, 'A', uint16('A')},
		{CIMUint32, int32(4096), uint32(4096)},
		{CIMUint32, uint64(math.MaxUint32), uint32(math.MaxUint32)},
		{CIMSint32, "-12", int32(-12)},
		{CIMSint64, "-9223372036854775808", int64(math.MinInt64)},
		{CIMSint64, int64(math.MaxInt64), int64(math.MaxInt64)},
		// 64-bit integers travel as decimal strings (VT_BSTR).
		{CIMUint64, "18446744073709551615", uint64(math.MaxUint64)},
		{CIMUint64, uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{CIMUint64, uint(math.MaxUint64), uint64(math.MaxUint64)},
		{CIMUint64, 512, uint64(512)},
		{CIMReal32, 1.5, float32(1.5)},
		{CIMReal32, "0.25", float32(0.25)},
		{CIMReal64, float32(0.5), 0.5},
		{CIMReal64, 3, 3.0},
		{CIMBoolean, true, true},
		{CIMString, "ünïcødé", "ünïcødé"},
		{CIMDatetime, "00000000000500.000000:000", "00000000000500.000000:000"},
		{CIMReference, `Msvm_ConcreteJob.InstanceID="J"`, `Msvm_ConcreteJob.InstanceID="J"`},
	} {
		got, err := Convert(tc.t, false, tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Convert(%s, %#v) = %#v, %v; want %#v", tc.t, tc.in, got, err, tc.want)
		}
	}
	o := &Object{Class: "C"}
	if got, err := Convert(CIMObject, false, o); err != nil || got != o {
		t.Errorf("Convert(object) = %v, %v", got, err)
	}
}

func TestConvertRange(t *testing.T) {
	for _, tc := range []struct {
		t    CIMType
		in   any
		want string
	}{
		{CIMUint8, 256, "256 out of range for uint8"},
		{CIMUint8, -1, "-1 out of range for uint8"},
		{CIMSint8, 128, "out of range"},
		{CIMSint8, -129, "out of range"},
		{CIMUint16, 65536, "out of range"},
		{CIMChar16, -1, "out of range"},
		{CIMSint16, int32(math.MinInt16 - 1), "out of range"},
		{CIMUint32, int64(math.MaxUint32 + 1), "out of range"},
		{CIMUint32, int32(-1), "out of range"},
		{CIMSint32, int64(math.MaxInt32 + 1), "out of range"},
		{CIMUint64, -1, "out of range"},
		{CIMUint64, "-1", `want uint64, got "-1"`},
		{CIMUint64, "18446744073709551616", "want uint64"},
		{CIMSint64, uint64(math.MaxInt64 + 1), "out of range for sint64"},
		{CIMSint64, "9223372036854775808", "want sint64"},
		{CIMUint32, uint(math.MaxUint64), "out of range for uint32"},
		{CIMUint8, "12x", `want uint8, got "12x"`},
		{CIMUint8, 1.0, "want uint8, got float64"},
		{CIMBoolean, "TRUE", "want boolean, got string"},
		{CIMString, 5, "want string, got int"},
		{CIMReal64, "abc", `want real64, got "abc"`},
		{CIMReal64, true, "want real64, got bool"},
		{CIMObject, "<INSTANCE/>", "want an embedded object"},
		{CIMType(99), 1, "unknown CIM type 99"},
	} {
		got, err := Convert(tc.t, false, tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Convert(%s, %#v) = %#v, %v; want error with %q", tc.t, tc.in, got, err, tc.want)
		}
	}
}

func TestConvertNull(t *testing.T) {
	for _, tc := range []struct {
		t     CIMType
		array bool
		in    any
	}{
		{CIMString, false, nil},
		{CIMUint64, true, nil},
		{CIMString, true, []string(nil)},
		{CIMObject, false, (*Object)(nil)}, // a typed nil is NULL too
	} {
		if got, err := Convert(tc.t, tc.array, tc.in); got != nil || err != nil {
			t.Errorf("Convert(%s, %v, %#v) = %#v, %v; want NULL", tc.t, tc.array, tc.in, got, err)
		}
	}
}

func TestConvertArrays(t *testing.T) {
	for _, tc := range []struct {
		t    CIMType
		in   any
		want any
	}{
		{CIMUint16, []int{1, 2}, []uint16{1, 2}},
		{CIMUint16, []any{int32(1), uint8(2)}, []uint16{1, 2}},
		{CIMUint64, []string{"1", "18446744073709551615"}, []uint64{1, math.MaxUint64}},
		{CIMString, []any{"a", "b"}, []string{"a", "b"}},
		{CIMReference, []string{`A.K="1"`}, []string{`A.K="1"`}},
		{CIMBoolean, []bool{true}, []bool{true}},
		{CIMReal32, []float64{0.5}, []float32{0.5}},
		// An empty array stays an (empty, non-nil) array: it is not NULL.
		{CIMString, []string{}, []string{}},
		{CIMUint32, []any{}, []uint32{}},
	} {
		got, err := Convert(tc.t, true, tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Convert(%s[], %#v) = %#v, %v; want %#v", tc.t, tc.in, got, err, tc.want)
		}
	}
	objs := []*Object{{Class: "A"}, {Class: "B"}}
	if got, err := Convert(CIMObject, true, objs); err != nil || !reflect.DeepEqual(got, objs) {
		t.Errorf("Convert(object[]) = %#v, %v", got, err)
	}

	for _, tc := range []struct {
		t    CIMType
		in   any
		want string
	}{
		{CIMString, "abc", "want an array of string"},
		{CIMUint8, []int{1, 300}, "element 1: 300 out of range"},
		{CIMString, []any{"a", nil}, "element 1"},
		{CIMObject, []*Object{{Class: "A"}, nil}, "element 1: NULL inside an array"},
		{CIMUint64, []string{"1", "x"}, `element 1: want uint64, got "x"`},
	} {
		got, err := Convert(tc.t, true, tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Convert(%s[], %#v) = %#v, %v; want error with %q", tc.t, tc.in, got, err, tc.want)
		}
	}
}

func TestObjectSet(t *testing.T) {
	o := (&Object{Class: "Msvm_VirtualSystemExportSettingData"}).
		MustAdd("CopySnapshotConfiguration", CIMUint8, false, nil).
		MustAdd("CopyVmStorage", CIMBoolean, false, false).
		MustAdd("ExcludedVirtualHardDisks", CIMString, true, nil).
		MustAdd("Limit", CIMUint64, false, nil)
	o.Prop("CopySnapshotConfiguration").Propagated = true

	if err := o.Set("copysnapshotconfiguration", 1); err != nil { // names are case-insensitive
		t.Fatal(err)
	}
	p := o.Prop("CopySnapshotConfiguration")
	if p.Value != uint8(1) || p.Propagated {
		t.Errorf("after Set: %+v (value converted, no longer propagated)", *p)
	}
	if err := o.Set("Limit", "18446744073709551615"); err != nil || o.Uint("Limit") != math.MaxUint64 {
		t.Errorf("Set 64-bit decimal string: %v, %d", err, o.Uint("Limit"))
	}
	if err := o.Set("ExcludedVirtualHardDisks", []string{}); err != nil || o.Get("ExcludedVirtualHardDisks") == nil {
		t.Errorf("empty array must not become NULL: %v, %#v", err, o.Get("ExcludedVirtualHardDisks"))
	}
	if err := o.Set("ExcludedVirtualHardDisks", []any{"a", "b"}); err != nil || !reflect.DeepEqual(o.Strings("ExcludedVirtualHardDisks"), []string{"a", "b"}) {
		t.Errorf("Set array: %v, %#v", err, o.Get("ExcludedVirtualHardDisks"))
	}
	if err := o.Set("CopyVmStorage", nil); err != nil || !o.IsNull("CopyVmStorage") {
		t.Errorf("Set NULL: %v", err)
	}

	err := o.Set("CopySnapshotConfiguration", 256)
	var we *Error
	if !errors.As(err, &we) || we.HResult != WBEMTypeMismatch || !strings.Contains(we.Msg, "out of range") {
		t.Errorf("Set out of range: %v", err)
	}
	if o.Get("CopySnapshotConfiguration") != uint8(1) {
		t.Error("a failed Set changed the value")
	}
	err = o.Set("NoSuchProperty", 1)
	if !errors.As(err, &we) || we.HResult != WBEMNotFound || !IsNotFound(err) || we.Op != "Set" {
		t.Errorf("Set unknown property: %v", err)
	}
	if o.Has("NoSuchProperty") {
		t.Error("Set declared a property")
	}
}

func TestObjectAccessors(t *testing.T) {
	o := (&Object{Class: "C"}).
		MustAdd("U16", CIMUint16, false, 7).
		MustAdd("S8", CIMSint8, false, -1).
		MustAdd("U64", CIMUint64, false, "42").
		MustAdd("B", CIMBoolean, false, true).
		MustAdd("S", CIMString, false, "x")
	if o.Uint("U16") != 7 || o.Uint("U64") != 42 || o.Uint("S8") != 0 || o.Uint("Missing") != 0 {
		t.Error("Uint")
	}
	if !o.Bool("b") || o.String("s") != "x" || o.String("U16") != "" || !o.IsNull("Missing") {
		t.Error("Bool/String/IsNull")
	}
	if err := o.Add("U16", CIMUint32, false, 70000); err != nil || o.Get("U16") != uint32(70000) || len(o.Props) != 5 {
		t.Errorf("Add redeclares in place: %v %+v", err, o.Props)
	}
	if err := o.Add("Bad", CIMUint8, false, 300); err == nil || !strings.Contains(err.Error(), "property Bad") {
		t.Errorf("Add out of range: %v", err)
	}
	var nilObj *Object
	if nilObj.Prop("X") != nil || nilObj.Clone() != nil {
		t.Error("nil object")
	}
}

func TestObjectClone(t *testing.T) {
	inner := (&Object{Class: "In"}).MustAdd("S", CIMString, false, "a")
	o := &Object{Class: "C", Derivation: []string{"Base"}}
	o.MustAdd("Arr", CIMUint16, true, []uint16{1, 2}).
		MustAdd("Empty", CIMString, true, []string{}).
		MustAdd("Null", CIMString, true, nil).
		MustAdd("Obj", CIMObject, false, inner).
		MustAdd("Objs", CIMObject, true, []*Object{inner})

	c := o.Clone()
	if !reflect.DeepEqual(c, o) {
		t.Fatalf("clone differs:\n%+v\n%+v", c, o)
	}
	// Empty stays empty and NULL stays NULL.
	if c.Get("Empty") == nil || c.Get("Null") != nil {
		t.Error("Clone mixed up empty and NULL arrays")
	}
	if !reflect.DeepEqual((&Object{Class: "X"}).Clone(), &Object{Class: "X"}) {
		t.Error("Clone of an object without properties differs")
	}
	// Deep: editing the clone leaves the original alone.
	c.Get("Arr").([]uint16)[0] = 9
	c.Get("Obj").(*Object).MustSet("S", "b")
	c.Get("Objs").([]*Object)[0].MustSet("S", "c")
	c.Derivation[0] = "Other"
	if o.Get("Arr").([]uint16)[0] != 1 || inner.String("S") != "a" || o.Derivation[0] != "Base" {
		t.Error("Clone is not deep")
	}
}
