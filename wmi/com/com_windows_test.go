//go:build windows

package com

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	ole "github.com/go-ole/go-ole"
	"golang.org/x/sys/windows"

	"github.com/hvport/hvport/wmi"
)

// TestVariantRoundTrip builds each parameter VARIANT (SAFEARRAYs included)
// and reads it back the way property values are read. It needs oleaut32
// but not WMI.
func TestVariantRoundTrip(t *testing.T) {
	for _, s := range samples {
		for _, array := range []bool{false, true} {
			in := s.in
			want := s.canon
			if array {
				in = []any{s.in, s.in}
				w := reflect.MakeSlice(reflect.SliceOf(reflect.TypeOf(s.canon)), 2, 2)
				w.Index(0).Set(reflect.ValueOf(s.canon))
				w.Index(1).Set(reflect.ValueOf(s.canon))
				want = w.Interface()
			}
			pv, err := paramValue(s.t, array, in)
			if err != nil {
				t.Fatal(err)
			}
			v, err := toVariant(pv)
			if err != nil {
				t.Fatalf("toVariant(%#v): %v", pv, err)
			}
			raw, err := decodeVariant(&v, 0)
			ole.VariantClear(&v)
			if err != nil {
				t.Fatalf("decodeVariant(%s): %v", s.t, err)
			}
			got, err := fromAutomation(s.t, array, raw)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s array=%v: got %#v, %v; want %#v", s.t, array, got, err, want)
			}
		}
	}
}

// The tests below talk to the local WMI service (root\cimv2 and
// root\default, read-only); they do not need Hyper-V.

func connect(t *testing.T, namespace string) *Conn {
	t.Helper()
	if testing.Short() {
		t.Skip("talks to the local WMI service")
	}
	c, err := Connect(context.Background(), namespace, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// skipOnWine skips tests that need scripting members Wine leaves
// unimplemented (as of Wine 8: SWbemObject.Path_, Derivation_ and
// SpawnInstance_; SWbemPropertySet._NewEnum; SWbemProperty.Name, CIMType,
// IsArray, Origin, IsLocal and Value puts).
func skipOnWine(t *testing.T) {
	t.Helper()
	if windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil {
		t.Skip("Wine's wbemdisp lacks the members this needs")
	}
}

func TestQueryAndGet(t *testing.T) {
	c := connect(t, `root\cimv2`)
	skipOnWine(t)
	ctx := context.Background()
	objs, err := c.ExecQuery(ctx, "SELECT * FROM Win32_OperatingSystem")
	if err != nil || len(objs) != 1 {
		t.Fatalf("ExecQuery = %d objects, %v", len(objs), err)
	}
	sys := objs[0]
	if sys.Class != "Win32_OperatingSystem" || sys.Path == "" || sys.SuperClass != "CIM_OperatingSystem" ||
		!slices.Contains(sys.Derivation, "CIM_ManagedSystemElement") {
		t.Errorf("system properties: class %q path %q super %q derivation %v", sys.Class, sys.Path, sys.SuperClass, sys.Derivation)
	}
	if p := sys.Prop("FreePhysicalMemory"); p == nil || p.Type != wmi.CIMUint64 {
		t.Errorf("FreePhysicalMemory = %+v", p)
	} else if _, ok := p.Value.(uint64); !ok {
		t.Errorf("FreePhysicalMemory holds %T", p.Value)
	}
	if sys.String("Caption") == "" {
		t.Error("no Caption")
	}
	got, err := c.Get(ctx, sys.Path)
	if err != nil || got.Class != sys.Class || !wmi.SamePath(got.Path, sys.Path) {
		t.Errorf("Get(%s) = %+v, %v", sys.Path, got, err)
	}
}

func TestErrors(t *testing.T) {
	c := connect(t, `root\cimv2`)
	ctx := context.Background()
	_, err := c.Get(ctx, `Win32_Service.Name="hvport-no-such-service"`)
	if !wmi.IsNotFound(err) {
		t.Errorf("Get missing: %v, want not found", err)
	}
	t.Logf("Get missing: %v", err)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Get(cancelled, "Win32_OperatingSystem"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Get: %v", err)
	}
	skipOnWine(t) // Wine answers a query for an unknown class with no objects
	_, err = c.ExecQuery(ctx, "SELECT * FROM Hvport_NoSuchClass")
	var we *wmi.Error
	if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidClass {
		t.Errorf("ExecQuery bad class: %v, want 0x%08X", err, wmi.WBEMInvalidClass)
	}
}

func TestExecMethod(t *testing.T) {
	c := connect(t, `root\default`)
	skipOnWine(t)
	ctx := context.Background()
	const hklm = uint32(0x80000002) // above MaxInt32: travels as a negative VT_I4
	out, err := c.ExecMethod(ctx, "StdRegProv", "GetStringValue", wmi.Params{
		"hDefKey":     hklm,
		"sSubKeyName": `SOFTWARE\Microsoft\Windows NT\CurrentVersion`,
		"sValueName":  "ProductName",
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Class != wmi.ClassParameters || wmi.ReturnValue(out) != 0 || out.String("sValue") == "" {
		t.Errorf("out-parameters: %+v", out)
	}

	_, err = c.ExecMethod(ctx, "StdRegProv", "GetStringValue", wmi.Params{"sValueNmae": "x"})
	var we *wmi.Error
	if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidMethodParam {
		t.Errorf("misspelt parameter: %v, want 0x%08X", err, wmi.WBEMInvalidMethodParam)
	}
	_, err = c.ExecMethod(ctx, "StdRegProv", "HvportNoSuchMethod", nil)
	if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidMethod {
		t.Errorf("missing method: %v, want 0x%08X", err, wmi.WBEMInvalidMethod)
	}
}

func TestClosed(t *testing.T) {
	c := connect(t, `root\cimv2`)
	c.Close()
	if _, err := c.Get(context.Background(), "Win32_OperatingSystem"); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
}

// TestPutValue checks putValue's hand-made IDispatch::Invoke (a VARIANT
// passed by value) against a real automation object: it sets a property of
// a local copy of an instance, which writes nothing back to WMI.
func TestPutValue(t *testing.T) {
	c := connect(t, `root\cimv2`)
	got, err := c.w.do(context.Background(), "test", "", func() (any, error) {
		set, err := callObject(c.services, "ExecQuery", "SELECT * FROM Win32_OperatingSystem")
		if err != nil {
			return nil, err
		}
		defer set.Release()
		var desc string
		err = forEach(set, func(item *ole.VARIANT) error {
			obj := item.ToIDispatch()
			v, err := toVariant("hvport ✓")
			if err != nil {
				return err
			}
			defer ole.VariantClear(&v)
			if err := putValue(obj, "Caption", &v); err != nil {
				return err
			}
			// Read back as Visual Basic does (method or get): Wine 8's
			// SWbemObject answers a plain property get with E_NOTIMPL.
			r, err := invoke(obj, ole.DISPATCH_METHOD|ole.DISPATCH_PROPERTYGET, "Caption")
			if err != nil {
				return err
			}
			defer r.Clear()
			desc = r.ToString()
			return nil
		})
		return desc, err
	})
	if err != nil || got != "hvport ✓" {
		t.Fatalf("Caption after putValue = %q, %v", got, err)
	}

	// A value the property cannot take comes back as an error with an
	// HRESULT (the EXCEPINFO scode, where the object raises one).
	_, err = c.w.do(context.Background(), "test", "", func() (any, error) {
		set, err := callObject(c.services, "ExecQuery", "SELECT * FROM Win32_OperatingSystem")
		if err != nil {
			return nil, err
		}
		defer set.Release()
		return nil, forEach(set, func(item *ole.VARIANT) error {
			v, _ := toVariant("not a number")
			defer ole.VariantClear(&v)
			return putValue(item.ToIDispatch(), "OSType", &v)
		})
	})
	if hr, _, ok := hresult(err); !ok || hr == 0 {
		t.Errorf("putValue with a bad value: %v", err)
	} else {
		t.Logf("putValue with a bad value: %v (0x%08X)", err, hr)
	}
}
