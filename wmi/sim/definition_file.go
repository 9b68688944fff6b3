package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/hvport/hvport/wmi"
)

// A definition file, as ImportSystemDefinition and
// GetDefinitionFileSummaryInformation read it: the simulator's own .vmcx
// ("hvsim.vmcx/1", doc.go), as its exports write it or as a host keeps it.
//
// ImportSystemDefinition's documentation asks for "a fully qualified path
// to the system definition file (.xml or .exp)"; hosts since 2016 take
// .vmcx (docs/HYPERV.md#v2-methods). The simulator reads only .vmcx: the
// version 5.0 .xml of 2012 R2 exports and 2008 R2's .exp are not modelled
// and give 32773 Invalid parameter, like a path that is not absolute,
// names no regular file, or holds no readable configuration of a VM.

// definition is a definition file that was read.
type definition struct {
	path   string // absolute, as given (cleaned)
	dir    string // the folder holding it
	root   string // the export root its relative paths are relative to
	config *vmConfig
}

// readDefinition reads a definition file. A non-zero code (always 32773)
// comes with the reason. With allowSnapshot a snapshot's configuration is
// accepted too (GetDefinitionFileSummaryInformation).
func readDefinition(path string, allowSnapshot bool) (def *definition, code uint32, reason string) {
	bad := func(format string, args ...any) (*definition, uint32, string) {
		return nil, wmi.ReturnInvalidParameter, fmt.Sprintf(format, args...)
	}
	if path == "" || !filepath.IsAbs(path) {
		return bad("definition file %q is not a fully qualified path", path)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case extConfig:
	case ".xml", ".exp":
		return bad("definition file %q: %s definition files (configuration version 5.0 and older) are not modelled by the simulator", path, ext)
	default:
		return bad("definition file %q is not a .vmcx file", path)
	}
	if !isRegularFile(path) {
		return bad("definition file %q does not exist", path)
	}
	c, err := readConfig(path)
	if err != nil {
		return bad("definition file %q cannot be read: %v", path, err)
	}
	if c.Kind != kindVirtualMachine && !(allowSnapshot && c.Kind == kindSnapshot) {
		return bad("definition file %q holds a %q configuration, not a virtual machine's", path, c.Kind)
	}
	id, err := uuid.Parse(c.ID)
	if err != nil {
		return bad("definition file %q: the virtual machine ID %q is not a GUID", path, c.ID)
	}
	c.ID = strings.ToUpper(id.String())
	path = filepath.Clean(path)
	dir := filepath.Dir(path)
	return &definition{path: path, dir: dir, root: parentIfNamed(dir, dirVirtualMachines), config: c}, 0, ""
}

// parentIfNamed returns dir's parent when dir is named name (any case),
// else dir itself: the export root of "<root>\Virtual Machines\x.vmcx" or
// "<root>\Snapshots\y.vmcx" (docs/HYPERV.md#export-layout: importers take the parent of the
// folder holding the configuration as the root).
func parentIfNamed(dir, name string) string {
	if strings.EqualFold(filepath.Base(dir), name) {
		return filepath.Dir(dir)
	}
	return dir
}

// resolvePath makes a path recorded in a configuration absolute: exports
// record copied disks relative to the export root, with forward slashes
// (export_plan.go); absolute paths stay as they are.
func resolvePath(p, root string) string {
	if p == "" {
		return ""
	}
	native := filepath.FromSlash(p)
	if filepath.IsAbs(native) {
		return filepath.Clean(native)
	}
	return filepath.Join(root, native)
}

// resolveDisks makes every disk path of a configuration absolute.
func resolveDisks(disks []diskConfig, root string) {
	for i := range disks {
		d := &disks[i]
		d.Path = resolvePath(d.Path, root)
		for k, p := range d.ParentPaths {
			d.ParentPaths[k] = resolvePath(p, root)
		}
	}
}

// isRegularFile reports whether path names an existing regular file.
func isRegularFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// isDir reports whether path names an existing folder.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
