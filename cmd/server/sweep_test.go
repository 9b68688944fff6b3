package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hvport/hvport/exports"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/wmi"
	"github.com/hvport/hvport/wmi/sim"
)

func TestSweepWaitsForRunningExports(t *testing.T) {
	log := zaptest.NewLogger(t)
	host, err := sim.New(sim.Options{DataDir: t.TempDir(), CopyBytesPerSecond: 1 << 20, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	svc, _ := host.Services(wmi.NamespaceV2)
	drv, _ := hyperv.New(svc, hyperv.Options{PollInterval: 10 * time.Millisecond})
	root := t.TempDir()
	store, err := exports.NewStore(exports.StoreOptions{Roots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	// A detached export from before a restart: Hyper-V is still writing
	// into its staging directory.
	staging := filepath.Join(root, ".hvport-staging-old")
	vms, _ := svc.ExecQuery(context.Background(), "SELECT * FROM Msvm_ComputerSystem WHERE Name = '"+sim.DemoWeb01ID+"'")
	vsms, _ := svc.ExecQuery(context.Background(), "SELECT * FROM Msvm_VirtualSystemManagementService")
	esd, _ := svc.ExecQuery(context.Background(), "ASSOCIATORS OF {"+vms[0].Path+"} WHERE ResultClass = Msvm_VirtualSystemExportSettingData")
	text, _ := wmi.EncodeInstance(esd[0])
	out, err := svc.ExecMethod(context.Background(), vsms[0].Path, "ExportSystemDefinition",
		wmi.Params{"ComputerSystem": vms[0].Path, "ExportDirectory": staging, "ExportSettingData": text})
	if err != nil || wmi.ReturnValue(out) != wmi.ReturnJobStarted {
		t.Fatalf("export: %v %v", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := sweepWhenIdle(ctx, drv, store, log)
	time.Sleep(100 * time.Millisecond)
	if _, err := os.Stat(staging); err != nil {
		t.Fatalf("the sweep removed a staging directory Hyper-V is writing: %v", err)
	}
	cancel()
	<-done
	// Once nothing runs, the sweep takes it.
	for {
		if n, _ := drv.RunningJobs(context.Background()); n == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-sweepWhenIdle(context.Background(), drv, store, log)
	if _, err := os.Stat(staging); !os.IsNotExist(err) {
		t.Fatalf("stale staging directory left: %v", err)
	}
}
