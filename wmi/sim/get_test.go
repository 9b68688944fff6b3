package sim_test

import (
	"context"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

func TestGetByPath(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	lower := "c0ffee01-0000-4000-8000-000000000001"
	for _, path := range []string{
		vmPath(sim.DemoWeb01ID),
		vmPath(lower),
		`\\hvsim\ROOT\Virtualization\V2:msvm_computersystem.creationclassname="Msvm_ComputerSystem",name="` + lower + `"`,
		`\\OTHERNAME\root\virtualization\v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="` + sim.DemoWeb01ID + `"`,
		`root\virtualization\v2:Msvm_ComputerSystem.Name="` + sim.DemoWeb01ID + `",CreationClassName="Msvm_ComputerSystem"`,
		`Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="` + sim.DemoWeb01ID + `"`,
	} {
		o, err := f.svc.Get(context.Background(), path)
		if err != nil {
			t.Errorf("Get %s: %v", path, err)
			continue
		}
		if o.Path != vmPath(sim.DemoWeb01ID) || o.String("ElementName") != "web-01" {
			t.Errorf("Get %s: %s %q", path, o.Path, o.String("ElementName"))
		}
	}

	// Every object a query returns can be read back by its path.
	for _, class := range []string{"Msvm_ComputerSystem", "Msvm_VirtualSystemSettingData", "Msvm_StorageAllocationSettingData",
		"Msvm_EthernetPortAllocationSettingData", "Msvm_VirtualEthernetSwitch", "Msvm_VirtualSystemManagementService",
		"Msvm_VirtualSystemManagementServiceSettingData", "Msvm_VirtualSystemExportSettingData"} {
		objs := f.query(t, "SELECT * FROM "+class)
		if len(objs) == 0 {
			t.Errorf("no %s", class)
		}
		for _, o := range objs {
			if got := f.get(t, o.Path); got.Path != o.Path || got.Class != class {
				t.Errorf("Get %s: %s %s", o.Path, got.Class, got.Path)
			}
		}
	}

	// Objects are copies: editing one does not change the host.
	o := f.get(t, vmPath(sim.DemoWeb01ID))
	o.MustSet("ElementName", "changed")
	if f.get(t, vmPath(sim.DemoWeb01ID)).String("ElementName") != "web-01" {
		t.Error("an edit of a returned object reached the simulator")
	}

	for _, tc := range []struct {
		path string
		hr   uint32
	}{
		{vmPath("00000000-0000-0000-0000-000000000000"), wmi.WBEMNotFound},
		{`Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem"`, wmi.WBEMNotFound},
		{`Msvm_ConcreteJob.InstanceID="00000000-0000-0000-0000-000000000000"`, wmi.WBEMNotFound},
		{`Msvm_NoSuchClass.Name="x"`, wmi.WBEMInvalidClass},
		{`\\HVSIM\root\virtualization:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="HVSIM"`, wmi.WBEMInvalidNamespace},
		{`Msvm_ComputerSystem.Name="unterminated`, wmi.WBEMInvalidObjectPath},
		{`Msvm_ComputerSystem`, wmi.WBEMNotSupported},
		// The drive a disk setting's Parent names is not modelled.
		{`Msvm_ResourceAllocationSettingData.InstanceID="x"`, wmi.WBEMInvalidClass},
	} {
		_, err := f.svc.Get(context.Background(), tc.path)
		wantHResult(t, err, tc.hr)
		if tc.hr == wmi.WBEMNotFound && !wmi.IsNotFound(err) {
			t.Errorf("Get %s: IsNotFound false for %v", tc.path, err)
		}
	}
}

func TestMethodDispatchErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		path, method string
		in           wmi.Params
		hr           uint32
	}{
		{vsmsPath, "NoSuchMethod", nil, wmi.WBEMInvalidMethod},
		{vsmsPath, "DefineSystem", nil, wmi.WBEMNotSupported},
		{vsmsPath, "ExportSystemDefinition", wmi.Params{"NoSuchParameter": "x"}, wmi.WBEMInvalidMethodParam},
		{vsmsPath, "ExportSystemDefinition", wmi.Params{"ExportDirectory": 5}, wmi.WBEMTypeMismatch},
		{vsmsPath, "ExportSystemDefinition", wmi.Params{"ComputerSystem": true}, wmi.WBEMTypeMismatch},
		{vmPath("00000000-0000-0000-0000-000000000000"), "RequestStateChange", nil, wmi.WBEMNotFound},
		{vmPath(sim.DemoWeb01ID), "RequestStateChange", nil, wmi.WBEMNotSupported},
		{vmPath(sim.DemoWeb01ID), "ExportSystemDefinition", nil, wmi.WBEMInvalidMethod},
		{`Msvm_NoSuchClass.Name="x"`, "Foo", nil, wmi.WBEMInvalidClass},
	} {
		_, err := f.svc.ExecMethod(ctx, tc.path, tc.method, tc.in)
		var e *wmi.Error
		if !asWMIError(err, &e) || e.HResult != tc.hr {
			t.Errorf("%s on %s: got %v, want 0x%08X", tc.method, tc.path, err, tc.hr)
		}
	}
	// Parameter names compare case-insensitively, as in WMI.
	out, err := f.svc.ExecMethod(ctx, vsmsPath, "exportsystemdefinition", wmi.Params{"computersystem": vmPath(sim.DemoWeb01ID)})
	if err != nil || wmi.ReturnValue(out) != wmi.ReturnInvalidParameter {
		t.Errorf("lower-case names: %v %v", out, err)
	}
	if out.Class != wmi.ClassParameters || !out.Has("Job") || !out.IsNull("Job") {
		t.Errorf("out-parameters %s, Job %v", out.Class, out.Get("Job"))
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	f := newFixture(t, sim.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.svc.ExecQuery(ctx, "SELECT * FROM Msvm_ComputerSystem")
	wantHResult(t, err, wmi.WBEMCallCancelled)
	_, err = f.svc.Get(ctx, vsmsPath)
	wantHResult(t, err, wmi.WBEMCallCancelled)
	_, err = f.svc.ExecMethod(ctx, vsmsPath, "ExportSystemDefinition", nil)
	wantHResult(t, err, wmi.WBEMCallCancelled)
}
