//go:build windows

package com

import (
	"context"
	"os"
	"testing"

	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/wmitest"
)

// TestConformanceOnHyperV runs the seam's conformance suite (the same one
// wmi/sim passes) against this host's Hyper-V. It is read-only. Set
// HVPORT_TEST_HYPERV=1 on a Hyper-V host, as an administrator, to run it.
func TestConformanceOnHyperV(t *testing.T) {
	if os.Getenv("HVPORT_TEST_HYPERV") != "1" {
		t.Skip("set HVPORT_TEST_HYPERV=1 on a Hyper-V host to run the conformance suite against it")
	}
	for _, ns := range []string{wmi.NamespaceV2, wmi.NamespaceV1} {
		t.Run(ns, func(t *testing.T) {
			c, err := Connect(context.Background(), ns, Options{})
			if err != nil {
				t.Skipf("%s: %v", ns, err)
			}
			defer c.Close()
			wmitest.Run(t, c)
		})
	}
}
