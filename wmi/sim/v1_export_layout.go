package sim

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// v1's export layout (docs/HYPERV.md#data-roots, #export-layout), made from the plan
// v2's engine computes (export_plan.go):
//
//   - Definitions are .exp files: Virtual Machines\<VM GUID>.exp and
//     Snapshots\<Snap GUID>.exp. Their content is the simulator's JSON
//     configuration ("hvsim.vmcx/1", doc.go) under the .exp name: the real
//     .exp format is undocumented (2008 R2 converted its .xml
//     configuration to .exp on export, docs/HYPERV.md#export-layout).
//   - They record every disk at its absolute host path as at export time —
//     a v1 definition keeps the VM's paths, and the import's
//     SourceResourcePaths say where the files are now (docs/HYPERV.md#v1-import-settings) — where v2's
//     exported .vmcx names copied disks relative to the export.
//   - A Saved VM's saved state, with CopyVmRuntimeInformation, is the
//     folder Virtual Machines\<VM GUID>\ holding <VM GUID>.bin and
//     <VM GUID>.vsv, v1's pair (memory, device state; docs/HYPERV.md#data-roots), instead of
//     v2's .vmrs. The simulator's host keeps one .vmrs per VM: the .bin is
//     a copy of its bytes, the .vsv a small JSON record ("hvsim.vsv/1")
//     naming the VM; an import turns the .bin back into a .vmrs.
//   - Disks keep their names and formats (.vhdx, .avhdx), as the host has
//     them; a 2008 R2 host had .vhd and .avhd (a simplification). As in v2
//     (export_plan.go), CopySnapshotConfiguration 0 copies the chains, 1
//     and 2 write one merged <base>.vhdx per disk, which the .exp records
//     at the base disk's host path (no parents), so that an import finds
//     it by file name.
//   - config.xml at the top only with Options.V1.ExportConfigXML
//     (UNCERTAIN, docs/HYPERV.md#export-layout), with the simulator's own content.
//
// The three folders are always created, as for v2.

const (
	extExportDefinition = ".exp"
	extSavedMemory      = ".bin"
	extSavedDevices     = ".vsv"
	v1ConfigXMLFile     = "config.xml"
	vsvFormat           = "hvsim.vsv/1"
)

// v1ExportLayout rewrites an export plan into v1's layout.
func (h *Host) v1ExportLayout(p *exportPlan, vm *virtualMachine) error {
	// Disk files the plan copies, by the relative path its configurations
	// record for them, back to their host paths.
	original := map[string]string{}
	for _, c := range p.copies {
		if c.merge {
			// A merged disk is recorded at its base disk's host path: the
			// file name an import looks for in Virtual Hard Disks.
			original[filepath.ToSlash(c.dst)] = c.base
			continue
		}
		original[filepath.ToSlash(c.dst)] = c.src
	}
	hostPath := func(f string) string {
		if abs, ok := original[f]; ok {
			return abs
		}
		return f
	}

	var extra []exportConfig
	for i, c := range p.copies {
		if !strings.EqualFold(filepath.Ext(c.dst), extRuntimeState) {
			continue
		}
		id := strings.TrimSuffix(filepath.Base(c.dst), filepath.Ext(c.dst))
		folder := filepath.Join(dirVirtualMachines, id)
		p.copies[i].dst = filepath.Join(folder, id+extSavedMemory)
		vsv, err := json.MarshalIndent(map[string]string{"format": vsvFormat, "vmId": id,
			"memory": id + extSavedMemory}, "", "  ")
		if err != nil {
			return err
		}
		extra = append(extra, exportConfig{rel: filepath.Join(folder, id+extSavedDevices), data: append(vsv, '\n')})
	}
	if h.opts.V1.ExportConfigXML {
		data, err := v1ConfigXML(vm.config, p)
		if err != nil {
			return err
		}
		extra = append(extra, exportConfig{rel: v1ConfigXMLFile, data: data})
	}

	configs := make([]exportConfig, 0, len(p.configs)+len(extra))
	for _, c := range p.configs {
		var cfg vmConfig
		if err := json.Unmarshal(c.data, &cfg); err != nil {
			return fmt.Errorf("re-reading the planned %s: %w", c.rel, err)
		}
		for k := range cfg.Disks {
			d := &cfg.Disks[k]
			d.Path = hostPath(d.Path)
			for n, pp := range d.ParentPaths {
				d.ParentPaths[n] = hostPath(pp)
			}
		}
		if cfg.RuntimeStateFile != "" {
			cfg.RuntimeStateFile = path.Join(cfg.ID, cfg.ID+extSavedMemory)
		}
		data, err := encodeConfig(&cfg)
		if err != nil {
			return err
		}
		rel := expName(c.rel)
		if c.rel == p.configRel {
			// The VM's own definition stays last (export_job.go).
			configs = append(configs, extra...)
			p.configRel = rel
		}
		configs = append(configs, exportConfig{rel: rel, data: data})
	}
	p.configs = configs
	return nil
}

// expName renames a planned <GUID>.vmcx to <GUID>.exp.
func expName(rel string) string {
	return strings.TrimSuffix(rel, filepath.Ext(rel)) + extExportDefinition
}

// v1ConfigXML is the content of the optional config.xml: the simulator's
// own record of the export (the real file's format is undocumented).
func v1ConfigXML(c *vmConfig, p *exportPlan) ([]byte, error) {
	type property struct {
		Name  string `xml:"name,attr"`
		Value string `xml:",chardata"`
	}
	doc := struct {
		XMLName    xml.Name   `xml:"configuration"`
		Format     string     `xml:"format,attr"`
		Properties []property `xml:"properties>property"`
	}{Format: "hvsim.config/1", Properties: []property{
		{"id", c.ID}, {"name", c.Name},
		{"definition", filepath.ToSlash(expName(p.configRel))},
	}}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}
