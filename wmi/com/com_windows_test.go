//go:build windows

package com

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"sync"
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

// onWine reports whether the test runs under Wine (CI's smoke test, see
// ci/wine/run-smoke.sh) rather than on Windows.
func onWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

func TestQueryAndGet(t *testing.T) {
	c := connect(t, `root\cimv2`)
	ctx := context.Background()
	objs, err := c.ExecQuery(ctx, "SELECT * FROM Win32_OperatingSystem")
	if err != nil || len(objs) != 1 {
		t.Fatalf("ExecQuery = %d objects, %v", len(objs), err)
	}
	sys := objs[0]
	t.Logf("class %q path %q super %q derivation %q, %d properties", sys.Class, sys.Path, sys.SuperClass, sys.Derivation, len(sys.Props))
	if sys.Class != "Win32_OperatingSystem" || sys.Path == "" {
		t.Errorf("system properties: class %q path %q", sys.Class, sys.Path)
	}
	if _, err := wmi.ParsePath(sys.Path); err != nil {
		t.Errorf("__PATH %q: %v", sys.Path, err)
	}
	if s := sys.String("Caption"); s == "" {
		t.Error("no Caption")
	}
	// VT_BOOL and VT_I4 values.
	if p := sys.Prop("Primary"); p == nil || p.Type != wmi.CIMBoolean || p.Value != true {
		t.Errorf("Primary = %+v", p)
	}
	if sys.Uint("OSType") == 0 {
		t.Errorf("OSType = %+v", sys.Prop("OSType"))
	}
	p := sys.Prop("FreePhysicalMemory")
	if onWine() {
		// Read by name: the automation type (a decimal string) is all
		// there is to go by.
		if p == nil || p.Type != wmi.CIMString {
			t.Errorf("FreePhysicalMemory = %+v", p)
		} else if _, err := strconv.ParseUint(p.Value.(string), 10, 64); err != nil {
			t.Errorf("FreePhysicalMemory = %q: %v", p.Value, err)
		}
		if p := sys.Prop("OSType"); p == nil || p.Type != wmi.CIMSint32 {
			t.Errorf("OSType = %+v", p)
		}
	} else {
		if sys.SuperClass != "CIM_OperatingSystem" || !slices.Contains(sys.Derivation, "CIM_ManagedSystemElement") {
			t.Errorf("super %q derivation %v", sys.SuperClass, sys.Derivation)
		}
		if p == nil || p.Type != wmi.CIMUint64 {
			t.Errorf("FreePhysicalMemory = %+v", p)
		} else if _, ok := p.Value.(uint64); !ok {
			t.Errorf("FreePhysicalMemory holds %T", p.Value)
		}
		if p := sys.Prop("OSType"); p == nil || p.Type != wmi.CIMUint16 {
			t.Errorf("OSType = %+v", p)
		}
	}
	got, err := c.Get(ctx, sys.Path)
	if err != nil || got.Class != sys.Class {
		t.Errorf("Get(%s) = %+v, %v", sys.Path, got, err)
	}
}

// TestProcesses enumerates Win32_Process and finds the test's own process,
// then reads it again by query and by path.
func TestProcesses(t *testing.T) {
	c := connect(t, `root\cimv2`)
	ctx := context.Background()
	pid := uint64(os.Getpid())
	objs, err := c.ExecQuery(ctx, "SELECT * FROM Win32_Process")
	if err != nil || len(objs) == 0 {
		t.Fatalf("ExecQuery = %d objects, %v", len(objs), err)
	}
	var self *wmi.Object
	for _, o := range objs {
		if o.Class != "Win32_Process" || o.Path == "" || o.String("Name") == "" {
			t.Errorf("process %+v", o)
		}
		if o.Uint("ProcessId") == pid {
			self = o
		}
	}
	if self == nil {
		t.Fatalf("pid %d is not among the %d processes", pid, len(objs))
	}
	if want := strconv.FormatUint(pid, 10); self.String("Handle") != want {
		t.Errorf("Handle = %q, want %q", self.String("Handle"), want)
	}
	byQuery, err := c.ExecQuery(ctx, fmt.Sprintf("SELECT * FROM Win32_Process WHERE ProcessId = %d", pid))
	if err != nil || len(byQuery) != 1 || byQuery[0].Uint("ProcessId") != pid {
		t.Errorf("ExecQuery WHERE ProcessId = %d: %v, %v", pid, byQuery, err)
	}
	none, err := c.ExecQuery(ctx, "SELECT * FROM Win32_Process WHERE Name = 'hvport-no-such-process.exe'")
	if err != nil || len(none) != 0 {
		t.Errorf("empty result = %v, %v", none, err)
	}
	got, err := c.Get(ctx, self.Path)
	if err != nil || got.Uint("ProcessId") != pid || !wmi.SamePath(got.Path, self.Path) {
		t.Errorf("Get(%s) = %+v, %v", self.Path, got, err)
	}
}

func TestErrors(t *testing.T) {
	c := connect(t, `root\cimv2`)
	ctx := context.Background()
	var we *wmi.Error
	_, err := c.Get(ctx, `Win32_Service.Name="hvport-no-such-service"`)
	if !wmi.IsNotFound(err) {
		t.Errorf("Get missing: %v, want not found", err)
	}
	t.Logf("Get missing: %v", err)
	_, err = c.ExecQuery(ctx, "SELEC * FRM nothing")
	if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidQuery {
		t.Errorf("ExecQuery bad syntax: %v, want 0x%08X", err, wmi.WBEMInvalidQuery)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Get(cancelled, "Win32_OperatingSystem"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Get: %v", err)
	}
	_, err = Connect(ctx, `root\hvport-no-such-namespace`, Options{})
	if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidNamespace {
		t.Errorf("Connect to a missing namespace: %v, want 0x%08X", err, wmi.WBEMInvalidNamespace)
	}
	t.Logf("Connect missing namespace: %v", err)
}

func TestQueryUnknownClass(t *testing.T) {
	c := connect(t, `root\cimv2`)
	if onWine() {
		t.Skip("Wine answers a query for an unknown class with no objects")
	}
	var we *wmi.Error
	_, err := c.ExecQuery(context.Background(), "SELECT * FROM Hvport_NoSuchClass")
	if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidClass {
		t.Errorf("ExecQuery bad class: %v, want 0x%08X", err, wmi.WBEMInvalidClass)
	}
}

// TestExecMethodWithoutInParameters calls Win32_Process.GetOwner, which has
// out-parameters only, on the test's own process: no InParameters are
// spawned. Under Wine the out-parameters are read by their declared names
// (signature_windows.go), so User is there too.
func TestExecMethodWithoutInParameters(t *testing.T) {
	c := connect(t, `root\cimv2`)
	ctx := context.Background()
	self := fmt.Sprintf(`Win32_Process.Handle="%d"`, os.Getpid())
	out, err := c.ExecMethod(ctx, self, "GetOwner", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("GetOwner: %+v", out)
	if out.Class != wmi.ClassParameters || wmi.ReturnValue(out) != 0 || !out.Has("ReturnValue") {
		t.Errorf("out-parameters: %+v", out)
	}
	if out.String("User") == "" || out.Prop("ReturnValue").Type != wmi.CIMUint32 {
		t.Errorf("want User and a uint32 ReturnValue: %+v", out)
	}
	var we *wmi.Error
	_, err = c.ExecMethod(ctx, self, "GetOwner", wmi.Params{"NoSuchParameter": 1})
	if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidMethodParam {
		t.Errorf("parameter for a method without any: %v, want 0x%08X", err, wmi.WBEMInvalidMethodParam)
	}
	_, err = c.ExecMethod(ctx, self, "HvportNoSuchMethod", nil)
	if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidMethod {
		t.Errorf("missing method: %v, want 0x%08X", err, wmi.WBEMInvalidMethod)
	}
}

// TestManyCallsAndConcurrency runs many calls from several goroutines on
// one Conn (they take turns on its COM goroutine), then closes it: every
// object, enumerator and VARIANT is released along the way, and the COM
// goroutine ends.
func TestManyCallsAndConcurrency(t *testing.T) {
	c := connect(t, `root\cimv2`)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				objs, err := c.ExecQuery(ctx, "SELECT * FROM Win32_OperatingSystem")
				if err == nil && (len(objs) != 1 || objs[0].String("Caption") == "") {
					err = fmt.Errorf("got %d objects", len(objs))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c.Close()
	select {
	case <-c.w.done:
	default:
		t.Error("the COM goroutine is still running after Close")
	}
}

func TestExecMethod(t *testing.T) {
	c := connect(t, `root\default`)
	ctx := context.Background()
	const hklm = uint32(0x80000002) // above MaxInt32: travels as a negative VT_I4
	out, err := c.ExecMethod(ctx, "StdRegProv", "GetStringValue", wmi.Params{
		"hDefKey":     hkey(hklm), // see hkey (methods_windows_test.go)
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
