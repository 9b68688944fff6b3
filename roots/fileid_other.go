//go:build !unix && !windows

package roots

import (
	"errors"
	"io/fs"
	"os"
)

const openReadFlags = os.O_RDONLY

func fileDevice(fs.FileInfo) (uint64, bool) { return 0, false }

// handleInfo cannot tell a link count here: ResolveFile fails closed.
func handleInfo(*os.File) (links, volume uint64, err error) {
	return 0, 0, errors.New("link count unknown on this platform")
}

func isReparseDir(fs.FileInfo) bool { return false }
