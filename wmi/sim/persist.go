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

	"go.uber.org/zap"
)

// host.json: the host-wide state that is not in any .vmcx — which VMs are
// registered (and where their configuration lives), their state, which
// planned VMs exist, the switches and the host settings. It is written
// atomically (writeFileAtomic) when the host is created, after each
// import, realize and destroy, and when the host is closed.

const hostFormat = "hvsim.host/1"

type hostFile struct {
	Format          string           `json:"format"`
	HostName        string           `json:"hostName"`
	Settings        hostSettings     `json:"settings"`
	Switches        []virtualSwitch  `json:"switches"`
	VirtualMachines []hostFileVMItem `json:"virtualMachines"`
	// PlannedVirtualMachines lists the planned VMs' records (a host.json
	// from before import was modelled has none).
	PlannedVirtualMachines []hostFilePlannedItem `json:"plannedVirtualMachines,omitempty"`
}

type hostFileVMItem struct {
	ID string `json:"id"`
	// ConfigurationFile is the .vmcx path relative to DataDir (forward
	// slashes), or absolute for a VM registered in place outside DataDir.
	ConfigurationFile string    `json:"configurationFile"`
	State             string    `json:"state"`
	StateChanged      time.Time `json:"stateChanged"`
}

type hostFilePlannedItem struct {
	ID string `json:"id"`
	// RecordFile is the planned VM's record, relative to DataDir.
	RecordFile string `json:"recordFile"`
}

// dataRelPath names path relative to DataDir when it is inside it, else
// absolutely.
func (h *Host) dataRelPath(path string) string {
	rel, err := filepath.Rel(h.dataDir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return filepath.ToSlash(rel)
}

// dataPath is the inverse of dataRelPath.
func (h *Host) dataPath(p string) string {
	if native := filepath.FromSlash(p); filepath.IsAbs(native) {
		return native
	}
	return filepath.Join(h.dataDir, filepath.FromSlash(p))
}

func (h *Host) hostStatePath() string { return filepath.Join(h.dataDir, dirHyperV, hostStateFile) }

// saveHostState writes host.json. Callers hold h.mu or own h exclusively.
func (h *Host) saveHostState() error {
	hf := hostFile{Format: hostFormat, HostName: h.name, Settings: h.settings}
	for _, s := range h.switches {
		hf.Switches = append(hf.Switches, *s)
	}
	for _, vm := range h.vms {
		hf.VirtualMachines = append(hf.VirtualMachines, hostFileVMItem{
			ID: vm.config.ID, ConfigurationFile: h.dataRelPath(vmConfigPath(vm.config)),
			State: vmStateName(vm.enabledState), StateChanged: vm.stateChanged,
		})
	}
	for _, p := range h.planned {
		hf.PlannedVirtualMachines = append(hf.PlannedVirtualMachines, hostFilePlannedItem{
			ID: p.config.ID, RecordFile: h.dataRelPath(h.plannedRecordPath(p.config.ID)),
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
		cfg, err := readConfig(h.dataPath(item.ConfigurationFile))
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
	for _, item := range hf.PlannedVirtualMachines {
		p, err := h.readPlanned(h.dataPath(item.RecordFile))
		if err != nil {
			return fmt.Errorf("planned VM %s: %w", item.ID, err)
		}
		if p.config.Kind != kindPlannedVirtualMachine || p.config.Import == nil {
			return fmt.Errorf("planned VM %s: %s is not a planned VM's record", item.ID, item.RecordFile)
		}
		h.planned = append(h.planned, p)
	}
	h.removeOrphanPlannedRecords()
	return nil
}

// removeOrphanPlannedRecords deletes planned-VM records host.json does not
// name: a process stopped between writing a new planned VM's records and
// host.json leaves them. VMMS's own state has no such middle (a planned
// VM exists or it does not), so a host opened again forgets them.
func (h *Host) removeOrphanPlannedRecords() {
	known := map[string]bool{}
	for _, p := range h.planned {
		for _, c := range p.configs() {
			known[filepath.Base(h.plannedRecordPath(c.ID))] = true
		}
	}
	entries, err := os.ReadDir(h.plannedDir())
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Type().IsRegular() && !known[e.Name()] {
			if err := os.Remove(filepath.Join(h.plannedDir(), e.Name())); err == nil {
				h.log.Info("removed a planned VM record no host state names (a crash)", zap.String("file", e.Name()))
			}
		}
	}
}

// hostExists reports whether DataDir holds a host (its host.json).
func (h *Host) hostExists() (bool, error) {
	_, err := os.Stat(h.hostStatePath())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
