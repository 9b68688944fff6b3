// Package wmitest is the conformance suite of the wmi seam: the behaviour
// the Hyper-V driver relies on, written once and run against every
// transport — the simulator always (wmi/sim), a real host through COM when
// HVPORT_TEST_HYPERV=1 is set on Windows (wmi/com). A difference between
// the simulator and Hyper-V shows up here first.
//
// The suite is read-only: it queries and reads, and calls only methods that
// change nothing (an unknown method, a bad parameter).
package wmitest

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hvport/hvport/wmi"
)

// Run runs the suite against svc, a connection to a Hyper-V namespace.
func Run(t *testing.T, svc wmi.Services) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := strings.ToLower(svc.Namespace())
	if ns != strings.ToLower(wmi.NamespaceV2) && ns != strings.ToLower(wmi.NamespaceV1) {
		t.Fatalf("namespace %q is not a Hyper-V namespace", svc.Namespace())
	}

	var vms []*wmi.Object
	t.Run("ComputerSystemHoldsHostAndVMs", func(t *testing.T) {
		objs, err := svc.ExecQuery(ctx, "SELECT * FROM "+wmi.ClassComputerSystem)
		if err != nil {
			t.Fatal(err)
		}
		host := 0
		for _, o := range objs {
			if _, err := uuid.Parse(o.String("Name")); err == nil {
				vms = append(vms, o)
			} else {
				host++
			}
			if o.Path == "" || o.Class == "" {
				t.Errorf("object without path or class: %+v", o)
			}
			if p := o.Prop("EnabledState"); p == nil || p.Type != wmi.CIMUint16 {
				t.Errorf("%s: EnabledState missing or not uint16: %+v", o.Path, p)
			}
		}
		if host != 1 {
			t.Errorf("want exactly the host itself besides the VMs, got %d non-GUID systems", host)
		}
	})

	t.Run("GetByPathRoundTrips", func(t *testing.T) {
		if len(vms) == 0 {
			t.Skip("the host has no VM")
		}
		o, err := svc.Get(ctx, vms[0].Path)
		if err != nil {
			t.Fatal(err)
		}
		if !wmi.SamePath(o.Path, vms[0].Path) || o.String("Name") != vms[0].String("Name") {
			t.Fatalf("Get(%s) = %s", vms[0].Path, o.Path)
		}
	})

	t.Run("UnknownInstanceIsNotFound", func(t *testing.T) {
		p := wmi.ObjectPath{Namespace: svc.Namespace(), Class: wmi.ClassComputerSystem,
			Keys: []wmi.Key{{Name: "CreationClassName", Value: wmi.ClassComputerSystem}, {Name: "Name", Value: "00000000-0000-0000-0000-000000000000"}}}
		_, err := svc.Get(ctx, p.String())
		if !wmi.IsNotFound(err) {
			t.Fatalf("Get of a missing VM: %v, want WBEM_E_NOT_FOUND", err)
		}
	})

	t.Run("BadQueryIsInvalidQuery", func(t *testing.T) {
		_, err := svc.ExecQuery(ctx, "SELEKT nonsense")
		var we *wmi.Error
		if !errors.As(err, &we) || (we.HResult != wmi.WBEMInvalidQuery && we.HResult != wmi.WBEMInvalidQueryType) {
			t.Fatalf("bad WQL: %v", err)
		}
	})

	var vsms *wmi.Object
	t.Run("ManagementServiceExists", func(t *testing.T) {
		objs, err := svc.ExecQuery(ctx, "SELECT * FROM "+wmi.ClassManagementService)
		if err != nil || len(objs) != 1 {
			t.Fatalf("management service: %d, %v", len(objs), err)
		}
		vsms = objs[0]
	})

	t.Run("ExportSettingDataThroughAssociation", func(t *testing.T) {
		if len(vms) == 0 {
			t.Skip("the host has no VM")
		}
		objs, err := svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vms[0].Path+"} WHERE ResultClass = "+wmi.ClassExportSettingData)
		if err != nil || len(objs) != 1 {
			t.Fatalf("export setting data: %d, %v", len(objs), err)
		}
		o := objs[0]
		for name, typ := range map[string]wmi.CIMType{"CopyVmStorage": wmi.CIMBoolean, "CopyVmRuntimeInformation": wmi.CIMBoolean,
			"CopySnapshotConfiguration": wmi.CIMUint8, "CreateVmExportSubdirectory": wmi.CIMBoolean, "SnapshotVirtualSystem": wmi.CIMString} {
			if p := o.Prop(name); p == nil || p.Type != typ {
				t.Errorf("%s: %+v, want %s", name, p, typ)
			}
		}
		// What the driver sends back must decode to the same values.
		text, err := wmi.EncodeInstance(o)
		if err != nil {
			t.Fatal(err)
		}
		back, err := wmi.DecodeInstance(text)
		if err != nil || back.Bool("CopyVmStorage") != o.Bool("CopyVmStorage") || back.Class != o.Class {
			t.Fatalf("re-encoded instance differs: %v", err)
		}
	})

	// The embedded instance the driver sends (wmi.Embed: the transport's
	// own text on a real host, GetText_(1); EncodeInstance's on the
	// simulator) must decode to the instance it was made from, edits
	// included, whether the instance has a path or is new.
	t.Run("EmbeddedInstanceDecodesBack", func(t *testing.T) {
		if len(vms) == 0 {
			t.Skip("the host has no VM")
		}
		objs, err := svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vms[0].Path+"} WHERE ResultClass = "+wmi.ClassExportSettingData)
		if err != nil || len(objs) != 1 {
			t.Fatalf("export setting data: %d, %v", len(objs), err)
		}
		edited := objs[0].Clone()
		if err := edited.Set("CreateVmExportSubdirectory", !edited.Bool("CreateVmExportSubdirectory")); err != nil {
			t.Fatal(err)
		}
		fresh := edited.Clone()
		fresh.Path = ""
		for _, tc := range []struct {
			name string
			o    *wmi.Object
		}{{"ByPath", edited}, {"New", fresh}} {
			t.Run(tc.name, func(t *testing.T) {
				text, fallback, err := wmi.Embed(ctx, svc, tc.o)
				if err != nil {
					t.Fatal(err)
				}
				if fallback != nil {
					t.Errorf("the transport could not write the instance, Embed fell back: %v", fallback)
				}
				back, err := wmi.DecodeInstance(text)
				if err != nil {
					t.Fatalf("DecodeInstance: %v\n%s", err, text)
				}
				if back.Class != tc.o.Class || !wmi.SamePath(back.Path, tc.o.Path) {
					t.Errorf("decoded class %q path %q, want %q %q", back.Class, back.Path, tc.o.Class, tc.o.Path)
				}
				for _, p := range tc.o.Props {
					q := back.Prop(p.Name)
					if q == nil || q.Type != p.Type || q.Array != p.Array || !sameValue(q.Value, p.Value) {
						t.Errorf("property %s: decoded %+v, want %+v", p.Name, q, p)
					}
				}
			})
		}
	})

	t.Run("MethodErrors", func(t *testing.T) {
		if vsms == nil {
			t.Skip("no management service")
		}
		_, err := svc.ExecMethod(ctx, vsms.Path, "NoSuchMethod", nil)
		var we *wmi.Error
		if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidMethod {
			t.Errorf("unknown method: %v, want WBEM_E_INVALID_METHOD", err)
		}
		_, err = svc.ExecMethod(ctx, vsms.Path, exportMethod(svc), wmi.Params{"NoSuchParameter": "x"})
		if !errors.As(err, &we) || we.HResult != wmi.WBEMInvalidMethodParam {
			t.Errorf("unknown parameter: %v, want WBEM_E_INVALID_METHOD_PARAMETERS", err)
		}
	})

	t.Run("JobsAreQueryable", func(t *testing.T) {
		if _, err := svc.ExecQuery(ctx, "SELECT * FROM "+wmi.ClassConcreteJob); err != nil {
			t.Fatal(err)
		}
	})
}

func exportMethod(svc wmi.Services) string {
	if strings.EqualFold(svc.Namespace(), wmi.NamespaceV1) {
		return "ExportVirtualSystemEx"
	}
	return "ExportSystemDefinition"
}

// sameValue compares property values, taking an empty array for NULL: WMI
// writes an empty array as a PROPERTY.ARRAY without VALUE.ARRAY
// (docs/HYPERV.md#embedded-instances), which decodes as NULL.
func sameValue(a, b any) bool {
	empty := func(v any) bool {
		r := reflect.ValueOf(v)
		return v == nil || (r.Kind() == reflect.Slice && r.Len() == 0)
	}
	if empty(a) && empty(b) {
		return true
	}
	return reflect.DeepEqual(a, b)
}
