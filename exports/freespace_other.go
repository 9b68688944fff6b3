//go:build !unix && !windows

package exports

import "math"

// FreeSpace is unknown on this platform: report no limit.
func FreeSpace(path string) (uint64, error) { return math.MaxUint64, nil }
