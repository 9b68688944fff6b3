package sim_test

import (
	"context"
	"testing"

	"github.com/hvport/hvport/wmi/sim"
)

// BenchmarkWQL times the simulator's query evaluation on what the driver
// asks most: the VM list, one VM by name, and an association.
func BenchmarkWQL(b *testing.B) {
	h, err := sim.New(sim.Options{DataDir: b.TempDir(), Seed: smallDemoSeed()})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	svc, _ := h.Services("root\\virtualization\\v2")
	for name, q := range map[string]string{
		"select-vms":  "SELECT * FROM Msvm_ComputerSystem WHERE Caption = 'Virtual Machine'",
		"vm-by-name":  "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web-01'",
		"associators": "ASSOCIATORS OF {" + vmPath(sim.DemoWeb01ID) + "} WHERE ResultClass = Msvm_VirtualSystemSettingData",
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.ExecQuery(context.Background(), q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
