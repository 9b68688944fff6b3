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

// Example exports a VM from the demo host the way a client of real
// Hyper-V WMI does: read the VM's default export setting data, edit it,
// pass it as CIM-XML to ExportSystemDefinition, and poll the job.
func Example() {
	dataDir, _ := os.MkdirTemp("", "hvsim")
	defer os.RemoveAll(dataDir)
	host, err := sim.New(sim.Options{DataDir: dataDir})
	if err != nil {
		panic(err)
	}
	defer host.Close()
	svc, _ := host.Services(wmi.NamespaceV2)
	ctx := context.Background()

	vms, _ := svc.ExecQuery(ctx, "SELECT * FROM Msvm_ComputerSystem WHERE Caption = 'Virtual Machine'")
	for _, vm := range vms {
		fmt.Println(vm.String("ElementName"), vm.Uint("EnabledState"))
	}

	vm := vms[1] // db-01, Saved
	settings, _ := svc.ExecQuery(ctx, "ASSOCIATORS OF {"+vm.Path+"} WHERE ResultClass = Msvm_VirtualSystemExportSettingData")
	settings[0].MustSet("CreateVmExportSubdirectory", true)
	text, _ := wmi.EncodeInstance(settings[0])
	vsms, _ := svc.ExecQuery(ctx, "SELECT * FROM Msvm_VirtualSystemManagementService")
	out, _ := svc.ExecMethod(ctx, vsms[0].Path, "ExportSystemDefinition", wmi.Params{
		"ComputerSystem": vm.Path, "ExportDirectory": filepath.Join(dataDir, "exports"), "ExportSettingData": text,
	})
	job, err := wmi.CheckReturn("ExportSystemDefinition", vsms[0].Path, out, false)
	if err != nil {
		panic(err)
	}
	for {
		j, _ := svc.Get(ctx, job)
		if state := uint16(j.Uint("JobState")); wmi.JobStateTerminal(state) {
			fmt.Println(wmi.JobStateText(state), j.Uint("PercentComplete"))
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	entries, _ := os.ReadDir(filepath.Join(dataDir, "exports", "db-01", "Virtual Machines"))
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	// Output:
	// web-01 3
	// db-01 6
	// build-agent 2
	// Completed 100
	// C0FFEE01-0000-4000-8000-000000000002.vmcx
	// C0FFEE01-0000-4000-8000-000000000002.vmrs
}
