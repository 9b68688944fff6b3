package sim_test

import (
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
	"github.com/hvport/hvport/wmi/wmitest"
)

// TestConformance runs the seam's conformance suite against the simulator,
// in both namespaces; wmi/com runs the same suite against a real host.
func TestConformance(t *testing.T) {
	h, err := sim.New(sim.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, ns := range []string{wmi.NamespaceV2, wmi.NamespaceV1} {
		t.Run(ns, func(t *testing.T) {
			svc, err := h.Services(ns)
			if err != nil {
				t.Fatal(err)
			}
			wmitest.Run(t, svc)
		})
	}
}
