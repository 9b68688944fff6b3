package imports

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
	"github.com/hvport/hvport/roots"
	"github.com/hvport/hvport/vhdx"
)

// Every path an import reads or writes is confined to the import roots
// (package roots): the export's directory, each source disk, each copy
// target and the data roots. A path outside every root is refused with 403
// before anything looks at it; inside, links, hard links and files that
// are not disk images are refused too (security-anchors P1, P5, checklist
// rows 17–20 and 29).

// DefaultRoots are the import roots when none are configured: Hyper-V's
// default folders for VM configurations and for virtual hard disks (where
// Import-VM copies to), and the export roots (where exports are read from).
func DefaultRoots(ctx context.Context, d *hyperv.Driver, exportRoots []string) ([]string, error) {
	host, err := d.HostDefaults(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, dir := range append([]string{host.ExternalDataRoot, host.VirtualHardDiskDir}, exportRoots...) {
		if dir != "" {
			out = append(out, dir)
		}
	}
	return out, nil
}

func (s *Service) roots() (*roots.Set, error) {
	if s.Roots == nil {
		// Deny by default: a service without import roots reads nothing.
		return nil, errs.E(errs.PathForbidden, "this server has no import roots configured")
	}
	return s.Roots, nil
}

// confineDirectory resolves an export directory inside the import roots.
func (s *Service) confineDirectory(field, dir string) (string, error) {
	set, err := s.roots()
	if err != nil {
		return "", err
	}
	p, err := set.Resolve(field, dir)
	if err != nil {
		return "", err
	}
	if !p.Exists {
		return "", errs.E(errs.NotFound, "the import directory %s does not exist", p.Abs)
	}
	if !p.IsDir {
		return "", errs.Field(field, p.Abs+" is a file, not an export directory")
	}
	return p.Abs, nil
}

// checkPackage refuses an export that holds a link, a junction, a device
// or a hard-linked file anywhere inside: Hyper-V would follow them out of
// the package (kubectl cp's lesson: refuse links rather than filter them).
func (s *Service) checkPackage(dir string) error {
	set, err := s.roots()
	if err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "cannot read the export at %s", dir)
		}
		rel, _ := filepath.Rel(dir, p)
		switch t := d.Type(); {
		case t.IsDir():
			return nil
		case t.IsRegular():
			if _, err := set.ResolveFile("directory", p); err != nil {
				return &errs.Error{Kind: errs.PathForbidden, Msg: "the export at " + dir + " holds a file that cannot be imported: " + rel + " (" + reasonOf(err) + ")",
					Fields: []errs.FieldError{{Field: "directory", Reason: "holds " + rel + ": " + reasonOf(err)}}}
			}
			return nil
		default:
			return &errs.Error{Kind: errs.PathForbidden, Msg: "the export at " + dir + " holds a link or special file: " + rel + "; links are not imported",
				Fields: []errs.FieldError{{Field: "directory", Reason: "holds a link or special file: " + rel}}}
		}
	})
}

func reasonOf(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return e.Fields[0].Reason
	}
	return err.Error()
}

// confine checks every path of the effective settings against the import
// roots and rewrites them in their canonical form. Sources must be disk
// images (when they exist; a missing one is Hyper-V's incompatibility to
// report, unless it is to be copied); copy targets must not exist.
func (p *Plan) confine() error {
	set, err := p.s.roots()
	if err != nil {
		return err
	}
	st := &p.Settings
	resolve := func(field string, v *string) (roots.Path, error) {
		path, err := set.Resolve(field, *v)
		if err == nil {
			*v = path.Abs
		}
		return path, err
	}
	for _, r := range []struct {
		field string
		v     *string
	}{
		{"settings.sourceVmDataRoot", &st.SourceVmDataRoot}, {"settings.sourceSnapshotDataRoot", &st.SourceSnapshotDataRoot},
		{"settings.sourceVhdDataRoot", &st.SourceVhdDataRoot}, {"settings.targetVmDataRoot", &st.TargetVmDataRoot},
		{"settings.targetSnapshotDataRoot", &st.TargetSnapshotDataRoot}, {"settings.targetVhdDataRoot", &st.TargetVhdDataRoot},
	} {
		if *r.v == "" {
			continue
		}
		if _, err := resolve(r.field, r.v); err != nil {
			return err
		}
	}
	for i := range st.SourceResourcePaths {
		field := fmt.Sprintf("settings.sourceResourcePaths[%d]", i)
		src, err := resolve(field, &st.SourceResourcePaths[i])
		if err != nil {
			return err
		}
		if !src.Exists {
			if st.CreateCopy {
				return errs.Field(field, src.Abs+" does not exist, so it cannot be copied (GET /v1/import-settings proposes a fix)")
			}
			continue // Hyper-V's validation names the missing disk
		}
		if _, err := set.ResolveFile(field, src.Abs); err != nil {
			return err
		}
		if err := checkDiskImage(field, src.Abs); err != nil {
			return err
		}
	}
	if !st.CreateCopy {
		return nil
	}
	for i := range st.TargetResourcePaths {
		field := fmt.Sprintf("settings.targetResourcePaths[%d]", i)
		dst, err := resolve(field, &st.TargetResourcePaths[i])
		if err != nil {
			return err
		}
		if dst.Exists {
			return &errs.Error{Kind: errs.Conflict, Msg: "the copy target " + dst.Abs + " already exists; choose another targetResourcePaths[" + fmt.Sprint(i) + "] or targetVhdDataRoot",
				Extra: map[string]any{"target": dst.Abs}}
		}
		if err := checkDiskName(field, dst.Abs); err != nil {
			return err
		}
	}
	return nil
}

// Disk image extensions Hyper-V attaches.
var diskExts = map[string]bool{".vhd": true, ".vhdx": true, ".avhd": true, ".avhdx": true}

func checkDiskName(field, path string) error {
	if !diskExts[strings.ToLower(filepath.Ext(path))] {
		return errs.Field(field, "must name a .vhd, .vhdx, .avhd or .avhdx file, not "+filepath.Base(path))
	}
	return nil
}

// checkDiskImage refuses a source that is not what its name says: a VHDX
// must pass the vhdx package's structural check (headers, region tables,
// metadata, BAT); a VHD must end in the "conectix" footer. An import can
// otherwise be used to copy any readable file into a VM's folder.
func checkDiskImage(field, path string) error {
	if err := checkDiskName(field, path); err != nil {
		return err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".vhdx", ".avhdx":
		if err := vhdx.Check(path); err != nil {
			return errs.Field(field, filepath.Base(path)+" is not a sound VHDX file")
		}
	default:
		if !hasVHDFooter(path) {
			return errs.Field(field, filepath.Base(path)+" is not a VHD file (no VHD footer)")
		}
	}
	return nil
}

// hasVHDFooter looks for the VHD footer's cookie "conectix" in the last
// 512 bytes (or 511, as written by tools before Virtual PC 2004), as the
// VHD format specification describes.
func hasVHDFooter(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < 512 {
		return false
	}
	buf := make([]byte, 512)
	if _, err := f.ReadAt(buf, fi.Size()-512); err != nil {
		return false
	}
	return string(buf[:8]) == "conectix" || string(buf[1:9]) == "conectix"
}
