package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// host.json: the host-wide state that is not in any .vmcx — which VMs are
// registered (and where their configuration lives), their state, the
// switches and the host settings. It is written atomically (persist.go,
// writeFileAtomic) when the host is created and when it is closed.

const hostFormat = "hvsim.host/1"

type hostFile struct {
	Format          string           `json:"format"`
	HostName        string           `json:"hostName"`
	Settings        hostSettings     `json:"settings"`
	Switches        []virtualSwitch  `json:"switches"`
	VirtualMachines []hostFileVMItem `json:"virtualMachines"`
}

type hostFileVMItem struct {
	ID string `json:"id"`
	// ConfigurationFile is the .vmcx path relative to DataDir.
	ConfigurationFile string    `json:"configurationFile"`
	State             string    `json:"state"`
	StateChanged      time.Time `json:"stateChanged"`
}

func (h *Host) hostStatePath() string { return filepath.Join(h.dataDir, dirHyperV, hostStateFile) }

// saveHostState writes host.json. Callers hold h.mu or own h exclusively.
func (h *Host) saveHostState() error {
	hf := hostFile{Format: hostFormat, HostName: h.name, Settings: h.settings}
	for _, s := range h.switches {
		hf.Switches = append(hf.Switches, *s)
	}
	for _, vm := range h.vms {
		rel, err := filepath.Rel(h.dataDir, vmConfigPath(vm.config))
		if err != nil {
			return err
		}
		hf.VirtualMachines = append(hf.VirtualMachines, hostFileVMItem{
			ID: vm.config.ID, ConfigurationFile: filepath.ToSlash(rel),
			State: vmStateName(vm.enabledState), StateChanged: vm.stateChanged,
		})
	}
	b, err := json.MarshalIndent(hf, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(h.hostStatePath(), append(b, '\n'))
}

// loadHostState reads host.json and every configuration it names. It
// returns fs.ErrNotExist (wrapped) when DataDir holds no host yet.
func (h *Host) loadHostState() error {
	b, err := os.ReadFile(h.hostStatePath())
	if err != nil {
		return err
	}
	var hf hostFile
	if err := json.Unmarshal(b, &hf); err != nil {
		return fmt.Errorf("%s: %w", h.hostStatePath(), err)
	}
	if hf.Format != hostFormat {
		return fmt.Errorf("%s: format %q, want %q", h.hostStatePath(), hf.Format, hostFormat)
	}
	h.settings = hf.Settings
	for _, s := range hf.Switches {
		h.switches = append(h.switches, &virtualSwitch{ID: s.ID, Name: s.Name})
	}
	for _, item := range hf.VirtualMachines {
		state, ok := vmStateNames[strings.ToLower(item.State)]
		if !ok {
			return fmt.Errorf("%s: VM %s: unknown state %q", h.hostStatePath(), item.ID, item.State)
		}
		cfg, err := readConfig(filepath.Join(h.dataDir, filepath.FromSlash(item.ConfigurationFile)))
		if err != nil {
			return fmt.Errorf("VM %s: %w", item.ID, err)
		}
		vm := &virtualMachine{config: cfg, enabledState: state, stateChanged: item.StateChanged}
		for _, id := range cfg.Snapshots {
			snap, err := readConfig(snapshotConfigPath(cfg, id))
			if err != nil {
				return fmt.Errorf("VM %s snapshot %s: %w", item.ID, id, err)
			}
			vm.snapshots = append(vm.snapshots, snap)
		}
		h.vms = append(h.vms, vm)
	}
	return nil
}

// hostExists reports whether DataDir holds a host (its host.json).
func (h *Host) hostExists() (bool, error) {
	_, err := os.Stat(h.hostStatePath())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
