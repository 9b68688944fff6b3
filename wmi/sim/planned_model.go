package sim

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.uber.org/zap"
)

// plannedVM is one Msvm_PlannedComputerSystem: a VM that
// ImportSystemDefinition created and RealizePlannedSystem has not turned
// into a real VM yet (docs/HYPERV.md#v2-methods, #planned-vm, #import-sequence).
//
// Its configuration is the definition file's, with the resource paths
// resolved to absolute paths, the data roots set to the import location
// and, with GenerateNewSystemIdentifier, new GUIDs. Snapshots the
// configuration refers to but that were not found are "missing": they have
// no settings object, and ValidatePlannedSystem reports them until
// ImportSnapshotDefinitions imports them.
//
// The simulator keeps a planned VM as records under
// DataDir\Hyper-V\Planned Virtual Machines (<GUID>.vmcx for the VM and for
// each imported snapshot, kinds "plannedVirtualMachine" and
// "plannedSnapshot") listed in host.json, so planned VMs survive a restart.
// Whether real VMMS keeps planned VMs across a restart of the service is
// not in the facts (UNCERTAIN); docs/HYPERV.md#pitfall-import-twice says failed imports leave
// planned VMs behind, and the simulator keeps them until DestroySystem or
// RealizePlannedSystem.
type plannedVM struct {
	config    *vmConfig   // kind plannedVirtualMachine, Import set
	snapshots []*vmConfig // the imported snapshots, in config.Snapshots order
}

// plannedLocked returns the planned VM with this GUID, or nil.
func (h *Host) plannedLocked(id string) *plannedVM {
	for _, p := range h.planned {
		if strings.EqualFold(p.config.ID, id) {
			return p
		}
	}
	return nil
}

// systemIDInUseLocked reports whether a VM or planned VM has this GUID.
func (h *Host) systemIDInUseLocked(id string) bool {
	return h.vmLocked(id) != nil || h.plannedLocked(id) != nil
}

// missingSnapshots lists the snapshots the configuration refers to that
// were not imported.
func (p *plannedVM) missingSnapshots() []string {
	var out []string
	for _, id := range p.config.Snapshots {
		if p.snapshot(id) == nil {
			out = append(out, id)
		}
	}
	return out
}

// snapshot returns the imported snapshot with this GUID, or nil.
func (p *plannedVM) snapshot(id string) *vmConfig {
	for _, s := range p.snapshots {
		if strings.EqualFold(s.ID, id) {
			return s
		}
	}
	return nil
}

// addSnapshots adds imported snapshots and keeps p.snapshots in the
// order of config.Snapshots (creation order).
func (p *plannedVM) addSnapshots(snaps ...*vmConfig) {
	p.snapshots = append(p.snapshots, snaps...)
	order := func(s *vmConfig) int {
		return slices.IndexFunc(p.config.Snapshots, func(id string) bool { return strings.EqualFold(id, s.ID) })
	}
	slices.SortStableFunc(p.snapshots, func(a, b *vmConfig) int { return order(a) - order(b) })
}

// configs is the planned VM's configuration followed by its snapshots'.
func (p *plannedVM) configs() []*vmConfig { return append([]*vmConfig{p.config}, p.snapshots...) }

func (h *Host) plannedDir() string { return filepath.Join(h.dataDir, dirHyperV, dirPlanned) }

// plannedRecordPath is where the record of a planned VM or planned
// snapshot lives.
func (h *Host) plannedRecordPath(id string) string {
	return filepath.Join(h.plannedDir(), configFileName(id))
}

// writePlannedLocked writes the records of p (all of them: they are
// small, and a modification may touch any).
func (h *Host) writePlannedLocked(p *plannedVM) error {
	if err := os.MkdirAll(h.plannedDir(), 0o755); err != nil {
		return err
	}
	for _, c := range p.configs() {
		if err := writeConfig(h.plannedRecordPath(c.ID), c); err != nil {
			return err
		}
	}
	return nil
}

// removePlannedFilesLocked deletes the records of p. The files p was
// imported from are never touched.
func (h *Host) removePlannedFilesLocked(p *plannedVM) {
	for _, c := range p.configs() {
		h.removePlannedRecord(c.ID)
	}
}

// removePlannedRecord deletes one record.
func (h *Host) removePlannedRecord(id string) {
	if err := os.Remove(h.plannedRecordPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		h.log.Warn("removing planned VM record", zap.String("id", id), zap.Error(err))
	}
}

// readPlanned loads a planned VM from its records.
func (h *Host) readPlanned(path string) (*plannedVM, error) {
	cfg, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	p := &plannedVM{config: cfg}
	for _, id := range cfg.Snapshots {
		snap, err := readConfig(h.plannedRecordPath(id))
		if errors.Is(err, fs.ErrNotExist) {
			continue // a missing snapshot
		}
		if err != nil {
			return nil, err
		}
		p.snapshots = append(p.snapshots, snap)
	}
	return p, nil
}

// removePlannedLocked drops p from the model and deletes its records.
func (h *Host) removePlannedLocked(p *plannedVM) {
	h.planned = slices.DeleteFunc(h.planned, func(q *plannedVM) bool { return q == p })
	h.removePlannedFilesLocked(p)
}

// persistLocked writes host.json after a change to the set of VMs or
// planned VMs. A failure is logged, not returned: the model is right, and
// Close writes host.json again.
func (h *Host) persistLocked() {
	if err := h.saveHostState(); err != nil {
		h.log.Warn("saving host state", zap.Error(err))
	}
}
