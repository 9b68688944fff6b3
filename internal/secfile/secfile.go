// Package secfile writes and checks the files that hold secrets (TLS keys,
// token hashes): only their owner may read or write them — on Windows only
// SYSTEM and Administrators (security anchors T8: "own files are
// admin-only"; Vault's minimal write privileges).
package secfile

import (
	"errors"
	"io/fs"
	"os"

	"github.com/hvport/hvport/internal/atomicfile"
)

// WritePrivate atomically replaces path with data, readable and writable
// by the owner only: unix mode 0600; on Windows a protected DACL granting
// full control to SYSTEM and BUILTIN\Administrators only. The temporary
// file is made private before the first byte is written, so the secret is
// never readable by others, not even for a moment; the rename carries its
// permissions to path, whatever path had before.
func WritePrivate(path string, data []byte) error {
	return atomicfile.WriteFileWith(path, data, protectFile)
}

// MkdirPrivate creates dir and any missing parents, and makes dir itself
// private (unix 0700; on Windows the DACL of WritePrivate, inherited by
// what is created inside), also when it existed already: it is meant for
// hvport's own directories, never for one a user names.
func MkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return protectDir(dir)
}

// CheckPrivate returns an error naming path and the problem when anyone but
// its owner (on Windows: SYSTEM, Administrators and the owner) may read or
// write it. A missing file is not an error: callers check existence
// themselves. Links are followed: what matters is the file read.
func CheckPrivate(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return checkPrivate(path, fi)
}
