//go:build !failpoints

package failpoint

// Hit marks a failpoint; without the "failpoints" build tag it does
// nothing.
func Hit(name string) {}

// Enabled reports whether failpoints are compiled in.
const Enabled = false
