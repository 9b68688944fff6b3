package vhdx

import (
	"fmt"
	"os"
)

// Check validates one file without opening its parents: the file type
// identifier, both headers (signature, CRC-32C; the current one is the
// valid one with the higher SequenceNumber), both region tables, the
// metadata table and items (required ones present, values in range,
// unknown required items refused), the parent locator of a differencing
// disk, and every BAT entry (a state valid for the disk type, blocks 1
// MiB aligned inside the file, no block overlapping another block, a
// region, the log or the header section). It returns nil for a sound
// file, otherwise every problem found (errors.Join of *FormatError, each
// naming the structure and file offset), including those Open tolerates,
// such as a damaged backup header.
func Check(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("vhdx: %w", err)
	}
	defer f.Close()
	_, p := parseLayer(f, path)
	return p.checkErr()
}
