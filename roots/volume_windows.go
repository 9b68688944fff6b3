//go:build windows

package roots

import (
	"fmt"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// checkVolume accepts a root only on a fixed disk. A mapped network drive
// reaches another host (NTLM relay, goal P3) and removable or RAM drives
// can change under the service; checklist row 22 says to refuse
// non-fixed-disk volumes. SUBST drives report the type of the disk they
// alias and are accepted: they are admin config, and Resolve rebuilds
// every path from the root's own spelling.
func checkVolume(dir string) error {
	vol, err := windows.UTF16PtrFromString(filepath.VolumeName(dir) + `\`)
	if err != nil {
		return err
	}
	switch t := windows.GetDriveType(vol); t {
	case windows.DRIVE_FIXED:
		return nil
	case windows.DRIVE_REMOTE:
		return fmt.Errorf("%s is a network drive; roots must be on a fixed disk", filepath.VolumeName(dir))
	default:
		return fmt.Errorf("%s is not a fixed disk (drive type %d); roots must be on a fixed disk", filepath.VolumeName(dir), t)
	}
}
