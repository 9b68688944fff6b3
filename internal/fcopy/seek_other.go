//go:build !linux

package fcopy

import "os"

// NextData cannot ask this platform where data is; Copy falls back to
// skipping all-zero chunks.
func NextData(f *os.File, off int64) (int64, bool) { return 0, false }

// NextHole cannot ask this platform where holes are.
func NextHole(f *os.File, off int64) (int64, bool) { return 0, false }
