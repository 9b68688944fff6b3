package roots

import (
	"runtime"
	"strconv"
)

// Flavor is a path grammar. Check takes it as an argument, so the Windows
// rules are tested on Linux too: path/filepath follows the GOOS the binary
// was built for, which would make Linux CI test the wrong rules.
type Flavor int

const (
	// POSIX: '/' is the only separator, names are case-sensitive.
	POSIX Flavor = iota
	// Windows: drive letters, '\' and '/' are both separators, names are
	// compared case-insensitively (ASCII letters only, see foldEqual).
	Windows
)

// Native is Windows when runtime.GOOS == "windows", else POSIX.
func Native() Flavor {
	if runtime.GOOS == "windows" {
		return Windows
	}
	return POSIX
}

func (f Flavor) String() string {
	switch f {
	case POSIX:
		return "posix"
	case Windows:
		return "windows"
	}
	return "Flavor(" + strconv.Itoa(int(f)) + ")"
}

// isSep reports whether c separates components in f.
func (f Flavor) isSep(c byte) bool {
	return c == '/' || (f == Windows && c == '\\')
}
