package sim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

// Example_import moves db-01 out and back in the way a v2 client does
// (docs/HYPERV.md#import-sequence): export it, remove it, import the export with
// its own GUID, validate and realize the planned VM — the "Register in
// place" import, which leaves the VM's files in the export folder.
func Example_import() {
	dataDir, _ := os.MkdirTemp("", "hvsim")
	defer os.RemoveAll(dataDir)
	host, err := sim.New(sim.Options{DataDir: filepath.Join(dataDir, "host")})
	if err != nil {
		panic(err)
	}
	defer host.Close()
	svc, _ := host.Services(wmi.NamespaceV2)
	ctx := context.Background()
	vsms, _ := svc.ExecQuery(ctx, "SELECT * FROM Msvm_VirtualSystemManagementService")
	call := func(method string, in wmi.Params) *wmi.Object {
		out, err := svc.ExecMethod(ctx, vsms[0].Path, method, in)
		if err != nil {
			panic(err)
		}
		return out
	}
	vm := vmPath(sim.DemoDB01ID)
	settings, _ := svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vm+"} WHERE ResultClass = Msvm_VirtualSystemExportSettingData")
	text, _ := wmi.EncodeInstance(settings[0])
	export := filepath.Join(dataDir, "export")
	waitFor(svc, call("ExportSystemDefinition", wmi.Params{"ComputerSystem": vm, "ExportDirectory": export, "ExportSettingData": text}))
	waitFor(svc, call("DestroySystem", wmi.Params{"AffectedSystem": vm}))

	// The planned VM is found through the import job (ImportedSystem is
	// NULL when the method returns 4096).
	job := waitFor(svc, call("ImportSystemDefinition", wmi.Params{
		"SystemDefinitionFile":        filepath.Join(export, "Virtual Machines", sim.DemoDB01ID+".vmcx"),
		"SnapshotFolder":              filepath.Join(export, "Snapshots"),
		"GenerateNewSystemIdentifier": false,
	}))
	planned, _ := svc.ExecQuery(ctx, "ASSOCIATORS OF {"+job+"} WHERE AssocClass = Msvm_AffectedJobElement ResultClass = Msvm_PlannedComputerSystem")
	fmt.Println(planned[0].String("Caption"), planned[0].String("ElementName"))

	waitFor(svc, call("ValidatePlannedSystem", wmi.Params{"PlannedSystem": planned[0].Path}))
	job = waitFor(svc, call("RealizePlannedSystem", wmi.Params{"PlannedSystem": planned[0].Path}))
	vms, _ := svc.ExecQuery(ctx, "ASSOCIATORS OF {"+job+"} WHERE AssocClass = Msvm_AffectedJobElement ResultClass = Msvm_ComputerSystem")
	vssd, _ := svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vms[0].Path+"} WHERE ResultClass = Msvm_VirtualSystemSettingData")
	fmt.Println(vms[0].String("ElementName"), vms[0].String("Name"), vms[0].Uint("EnabledState"))
	fmt.Println(vssd[0].String("ConfigurationDataRoot") == export)
	// Output:
	// Planned Virtual Machine db-01
	// db-01 C0FFEE01-0000-4000-8000-000000000002 6
	// true
}

// waitFor polls the job a method started until it completes, and returns
// its path; any other end panics.
func waitFor(svc wmi.Services, out *wmi.Object) string {
	job, err := wmi.CheckReturn("method", "", out, false)
	if err != nil || job == "" {
		panic(fmt.Sprint("no job: ", err))
	}
	for {
		j, err := svc.Get(context.Background(), job)
		if err != nil {
			panic(err)
		}
		if state := uint16(j.Uint("JobState")); wmi.JobStateTerminal(state) {
			if state != wmi.JobCompleted {
				panic(j.String("ErrorDescription"))
			}
			return job
		}
		time.Sleep(time.Millisecond)
	}
}
