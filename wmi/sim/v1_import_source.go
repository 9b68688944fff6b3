package sim

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/hvport/hvport/wmi"
)

// Reading a v1 export directory, as GetVirtualSystemImportSettingData and
// ImportVirtualSystemEx do (v1_export_layout.go writes it): the directory
// must hold exactly one Virtual Machines\<VM GUID>.exp with a virtual
// machine's definition. Anything else — a path that is not absolute, no
// such folder, no .exp (a v2 export has .vmcx files: v1 cannot import it),
// several, an unreadable one — fails the call with 32773 Invalid
// parameter (the simulator's choice; the method pages list the code but
// not when it applies).

// v1Export is an export directory that was read.
type v1Export struct {
	dir  string // the ImportDirectory, cleaned
	file string // its Virtual Machines\<VM GUID>.exp
	vm   *vmConfig
}

// readV1Export reads the VM definition of an export directory. A non-zero
// code (always 32773) comes with the reason.
func readV1Export(v any) (exp *v1Export, code uint32, reason string) {
	bad := func(format string, args ...any) (*v1Export, uint32, string) {
		return nil, wmi.ReturnInvalidParameter, fmt.Sprintf(format, args...)
	}
	dir, _ := v.(string)
	if dir == "" || !filepath.IsAbs(dir) {
		return bad("ImportDirectory %q is not a fully qualified path", dir)
	}
	dir = filepath.Clean(dir)
	if !isDir(dir) {
		return bad("ImportDirectory %q does not exist or is not a folder", dir)
	}
	entries, err := os.ReadDir(filepath.Join(dir, dirVirtualMachines))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return bad("ImportDirectory %q cannot be read: %v", dir, err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.EqualFold(filepath.Ext(name), extExportDefinition) {
			continue
		}
		if _, err := uuid.Parse(strings.TrimSuffix(name, filepath.Ext(name))); err == nil {
			files = append(files, filepath.Join(dir, dirVirtualMachines, name))
		}
	}
	switch len(files) {
	case 0:
		return bad("ImportDirectory %q is not a v1 export: it has no %s\\<VM GUID>%s", dir, dirVirtualMachines, extExportDefinition)
	case 1:
	default:
		return bad("ImportDirectory %q holds %d virtual machine definitions", dir, len(files))
	}
	c, err := readConfig(files[0])
	if err != nil {
		return bad("definition %q cannot be read: %v", files[0], err)
	}
	id, err := uuid.Parse(c.ID)
	if c.Kind != kindVirtualMachine || err != nil {
		return bad("definition %q holds no virtual machine", files[0])
	}
	c.ID = strings.ToUpper(id.String())
	return &v1Export{dir: dir, file: files[0], vm: c}, 0, ""
}

// snapshotsIn reads the definitions of the VM's snapshots from
// <root>\Snapshots\<Snap GUID>.exp, in the VM's order. Snapshots the
// export does not have (CopySnapshotConfiguration 1 or 2 exports none) are
// left out, and so are unreadable files.
func (e *v1Export) snapshotsIn(root string) []*vmConfig {
	var out []*vmConfig
	for _, id := range e.vm.Snapshots {
		c, err := readConfig(filepath.Join(root, dirSnapshots, id+extExportDefinition))
		if err != nil || c.Kind != kindSnapshot || !strings.EqualFold(c.VMID, e.vm.ID) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// savedStateIn is the saved state the export holds under root (the
// SourceVmDataRoot), Virtual Machines\<VM GUID>\<VM GUID>.bin, or "" when
// it has none (the VM was Off, or CopyVmRuntimeInformation was FALSE).
func (e *v1Export) savedStateIn(root string) string {
	f := filepath.Join(root, dirVirtualMachines, e.vm.ID, e.vm.ID+extSavedMemory)
	if e.vm.RuntimeStateFile == "" || !isRegularFile(f) {
		return ""
	}
	return f
}

// v1Resources are CurrentResourcePaths: every disk file the VM's and its
// snapshots' definitions name, parents of differencing disks included, in
// order of first mention (the VM's disks first), as recorded at export
// time. The doc says only "each resource is represented as one string";
// listing each file of a differencing chain is the simulator's choice
// (INFERRED), so each can be placed on its own.
func v1Resources(vm *vmConfig, snapshots []*vmConfig) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range append([]*vmConfig{vm}, snapshots...) {
		for _, d := range c.Disks {
			for _, f := range d.chain() {
				if k := strings.ToLower(f); !seen[k] {
					seen[k] = true
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// fileBase is the last element of a Windows or slash path (a definition
// records paths of the host it was exported on).
func fileBase(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// v1Connection is an adapter's entry of SourceNetworkConnections: its
// switch's friendly name (ElementName), or with
// Options.V1.SwitchConnectionsByName its Name (GUID); "" for a
// disconnected adapter (INFERRED).
func (h *Host) v1Connection(n nicConfig) string {
	if n.SwitchID == "" {
		return ""
	}
	if h.opts.V1.SwitchConnectionsByName {
		return n.SwitchID
	}
	return n.SwitchName
}

// v1SwitchLocked finds the switch a TargetNetworkConnections entry names:
// by ElementName (case-insensitively), or with
// Options.V1.SwitchConnectionsByName by Name. nil when there is none.
func (h *Host) v1SwitchLocked(conn string) *virtualSwitch {
	for _, sw := range h.switches {
		key := sw.Name
		if h.opts.V1.SwitchConnectionsByName {
			key = sw.ID
		}
		if strings.EqualFold(key, conn) {
			return sw
		}
	}
	return nil
}
