package sim

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Turning a definition file into a planned VM (ImportSystemDefinition) and
// snapshot definitions into planned snapshots (both import methods).
//
//   - Identity: GenerateNewSystemIdentifier FALSE keeps the VM's GUID and
//     its snapshots' and network adapters' GUIDs; TRUE gives the VM a new
//     random GUID and its snapshots and adapters GUIDs derived from it, so
//     snapshots imported later (ImportSnapshotDefinitions) map to the same
//     new GUIDs. Controller GUIDs are kept: InstanceIDs start with the new
//     owner GUID anyway.
//   - Paths: relative paths (an export's copied disks) are resolved against
//     the export root, the parent of the "Virtual Machines" (or
//     "Snapshots") folder holding the file; absolute paths are kept.
//   - Data roots: ConfigurationDataRoot, SnapshotDataRoot and
//     SwapFileDataRoot are the export root, so that realizing without
//     changes registers the VM in place (the "Register" import of
//     docs/HYPERV.md#import-modes); ModifySystemSettings changes them.
//   - Runtime state: the .vmrs the configuration names, next to it, if it
//     exists (RealizePlannedSystem copies it, docs/HYPERV.md#v2-methods).
//   - Switches: an adapter connected to a switch this host has (by GUID,
//     else by name, case-insensitive; matching by name is INFERRED from
//     the "Could not find Ethernet switch '<name>'" incompatibility, docs/HYPERV.md#validation)
//     is connected to it; otherwise it keeps the switch it had, which
//     ValidatePlannedSystem reports (MessageID 33012).

// idMapper maps the GUIDs of an imported configuration to the planned
// VM's.
type idMapper struct {
	vm    string // the planned VM's GUID
	newID bool   // GenerateNewSystemIdentifier
}

func (m idMapper) derived(purpose, id string) string {
	if !m.newID || id == "" {
		return id
	}
	return derivedGUID(m.vm, purpose+"/"+strings.ToUpper(id))
}

func (m idMapper) snapshot(id string) string { return m.derived("imported snapshot", id) }
func (m idMapper) nic(id string) string      { return m.derived("imported network adapter", id) }

func (m idMapper) snapshots(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = m.snapshot(id)
	}
	return out
}

// newPlannedLocked builds the planned VM for an import of def: its
// configuration and the snapshots found in snapshotFolder ("" for none).
func (h *Host) newPlannedLocked(def *definition, id string, newID bool, snapshotFolder string, now time.Time) *plannedVM {
	src := def.config
	ids := idMapper{vm: id, newID: newID}
	c := src.clone()
	c.Kind, c.ID, c.VMID = kindPlannedVirtualMachine, id, ""
	c.Export, c.RuntimeStateFile = nil, ""
	c.ConfigurationDataRoot, c.SnapshotDataRoot, c.SwapFileDataRoot = def.root, def.root, def.root
	c.Parent, c.Snapshots = ids.snapshot(src.Parent), ids.snapshots(src.Snapshots)
	c.Import = &importMetadata{DefinitionFile: def.path, SourceID: src.ID, NewID: newID, Time: now}
	if src.RuntimeStateFile != "" {
		if rs := filepath.Join(def.dir, filepath.Base(src.RuntimeStateFile)); isRegularFile(rs) {
			c.Import.RuntimeStateSource = rs
		} else {
			h.log.Info("import: the runtime state file is missing; importing without it", zap.String("file", rs))
		}
	}
	resolveDisks(c.Disks, def.root)
	h.resolveAdaptersLocked(c, ids)
	p := &plannedVM{config: c}
	if snapshotFolder != "" {
		p.addSnapshots(h.findSnapshotsLocked(p, snapshotFolder, now)...)
	}
	return p
}

// findSnapshotsLocked reads the snapshot configurations in folder that
// belong to p (their VM is p's source VM and p refers to them) and are not
// imported yet, and returns them as planned snapshots. Files that cannot
// be read are skipped.
func (h *Host) findSnapshotsLocked(p *plannedVM, folder string, now time.Time) []*vmConfig {
	entries, err := os.ReadDir(folder)
	if err != nil {
		return nil
	}
	ids := idMapper{vm: p.config.ID, newID: p.config.Import.NewID}
	root := parentIfNamed(folder, dirSnapshots)
	var out []*vmConfig
	for _, e := range entries {
		if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), extConfig) {
			continue
		}
		file := filepath.Join(folder, e.Name())
		src, err := readConfig(file)
		if err != nil || src.Kind != kindSnapshot || !strings.EqualFold(src.VMID, p.config.Import.SourceID) {
			continue
		}
		id := ids.snapshot(strings.ToUpper(src.ID))
		referenced := false
		for _, ref := range p.config.Snapshots {
			referenced = referenced || strings.EqualFold(ref, id)
		}
		if !referenced || p.snapshot(id) != nil {
			continue
		}
		c := src.clone()
		c.Kind, c.ID, c.VMID, c.Parent = kindPlannedSnapshot, id, p.config.ID, ids.snapshot(src.Parent)
		c.Export, c.Snapshots, c.RuntimeStateFile = nil, nil, ""
		// A snapshot's data roots are its VM's; realizing sets them.
		c.ConfigurationDataRoot, c.SnapshotDataRoot, c.SwapFileDataRoot = "", "", ""
		c.Import = &importMetadata{DefinitionFile: filepath.Clean(file), SourceID: src.ID, NewID: ids.newID, Time: now}
		resolveDisks(c.Disks, root)
		h.resolveAdaptersLocked(c, ids)
		out = append(out, c)
	}
	return out
}

// resolveAdaptersLocked gives c's network adapters their planned GUIDs and
// connects each to this host's switch of the same GUID or name.
func (h *Host) resolveAdaptersLocked(c *vmConfig, ids idMapper) {
	for i := range c.NetworkAdapters {
		n := &c.NetworkAdapters[i]
		n.ID = ids.nic(n.ID)
		if n.SwitchID == "" {
			continue // disconnected
		}
		if sw := h.switchLocked(n.SwitchID, n.SwitchName); sw != nil {
			n.SwitchID, n.SwitchName = sw.ID, sw.Name
		}
	}
}

// switchLocked returns the switch with this GUID, else the one with this
// name, or nil.
func (h *Host) switchLocked(id, name string) *virtualSwitch {
	for _, sw := range h.switches {
		if strings.EqualFold(sw.ID, id) {
			return sw
		}
	}
	for _, sw := range h.switches {
		if name != "" && strings.EqualFold(sw.Name, name) {
			return sw
		}
	}
	return nil
}

// switchExistsLocked reports whether the host has a switch with this GUID.
func (h *Host) switchExistsLocked(id string) bool {
	for _, sw := range h.switches {
		if strings.EqualFold(sw.ID, id) {
			return true
		}
	}
	return false
}

// configFileInUseLocked reports whether path is the configuration file of
// a registered VM or of one of its snapshots: such a file is "in use by
// the host" (docs/HYPERV.md#v2-methods, ImportSystemDefinition; 32779).
func (h *Host) configFileInUseLocked(path string) bool {
	for _, vm := range h.vms {
		if sameFile(path, vmConfigPath(vm.config)) {
			return true
		}
		for _, s := range vm.snapshots {
			if sameFile(path, snapshotConfigPath(vm.config, s.ID)) {
				return true
			}
		}
	}
	return false
}
