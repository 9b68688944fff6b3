package imports

import (
	"path/filepath"
	"strings"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/vhdx"
)

// repointChains makes every copied differencing disk (.avhdx) name its
// copied parent. A child's parent locator holds a relative path (which
// survives a move of the whole folder) and an absolute one; when the
// copies land in other folders or under other names, or the relative path
// fails and the absolute one still names the export's file, the copy would
// open the wrong parent. So both are rewritten for every child whose
// parent was copied too (vhdx.SetParentPaths keeps the parent linkage).
func repointChains(copies []copyPair) error {
	dst := make(map[string]string, len(copies))
	for _, c := range copies {
		dst[filepath.Clean(c.src)] = c.dst
	}
	for _, c := range copies {
		info, err := vhdx.Stat(c.dst)
		if err != nil || !info.IsDifferencing {
			continue // not a VHDX (e.g. .vhd), or a base disk
		}
		parentSrc, ok := parentOf(c.src)
		if !ok {
			continue
		}
		parentDst, copied := dst[filepath.Clean(parentSrc)]
		if !copied {
			continue // the parent stays where it is; the locator still names it
		}
		rel, err := filepath.Rel(filepath.Dir(c.dst), parentDst)
		if err != nil {
			return errs.Wrap(errs.Internal, err, "re-point %s", c.dst)
		}
		if !strings.HasPrefix(rel, "..") {
			rel = "." + string(filepath.Separator) + rel
		}
		if err := vhdx.SetParentPaths(c.dst, vhdx.WindowsPath(rel), vhdx.WindowsPath(parentDst)); err != nil {
			return errs.Wrap(errs.HostFailed, err, "re-point the copied disk %s at its parent %s", c.dst, parentDst)
		}
	}
	return nil
}

// parentOf resolves a differencing disk's parent file through its locator.
func parentOf(path string) (string, bool) {
	d, err := vhdx.Open(path, nil)
	if err != nil {
		return "", false
	}
	defer d.Close()
	if d.Parent() == nil {
		return "", false
	}
	return d.Parent().Info().Path, true
}
