//go:build windows

package roots

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/windows"
)

const openReadFlags = os.O_RDONLY

// fileDevice: Lstat on Windows carries no volume. Volume mount points are
// reparse points (IO_REPARSE_TAG_MOUNT_POINT, like junctions) and are
// refused as such by the walk; ResolveFile compares volume serial numbers
// from the handles.
func fileDevice(fs.FileInfo) (uint64, bool) { return 0, false }

// handleInfo returns an open file's link count (NumberOfLinks) and its
// volume serial number, from GetFileInformationByHandle on the handle
// opened through the os.Root.
func handleInfo(f *os.File) (links, volume uint64, err error) {
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(windows.Handle(f.Fd()), &info); err != nil {
		return 0, 0, err
	}
	return uint64(info.NumberOfLinks), uint64(info.VolumeSerialNumber), nil
}

// isReparseDir reports a directory that is any reparse point: a junction, a
// volume mount point, a directory symlink, or a tag Go does not classify.
// Go ≥ 1.23 already reports these as ModeIrregular or ModeSymlink; this
// also holds under GODEBUG winsymlink=0, where an unknown tag would look
// like a plain directory.
func isReparseDir(fi fs.FileInfo) bool {
	d, ok := fi.Sys().(*syscall.Win32FileAttributeData)
	return ok && d.FileAttributes&syscall.FILE_ATTRIBUTE_REPARSE_POINT != 0 &&
		d.FileAttributes&syscall.FILE_ATTRIBUTE_DIRECTORY != 0
}
