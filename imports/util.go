package imports

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hvport/hvport/wmi"
)

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func itoa(i int) string { return strconv.Itoa(i) }

func samePath(a, b string) bool { return a != "" && b != "" && wmi.SamePath(a, b) }

func indexFold(list []string, s string) int {
	for i, x := range list {
		if strings.EqualFold(x, s) {
			return i
		}
	}
	return -1
}

// nilToEmpty makes arrays [] rather than null in JSON.
func nilToEmpty(s *Settings) {
	for _, p := range []*[]string{&s.CurrentResourcePaths, &s.SourceResourcePaths, &s.TargetResourcePaths,
		&s.SourceNetworkConnections, &s.TargetNetworkConnections} {
		if *p == nil {
			*p = []string{}
		}
	}
}

// freshDir returns parent/name, or parent/name-2, -3, … whichever does not
// exist yet; "" when parent is "".
func freshDir(parent, name string) string {
	if parent == "" {
		return ""
	}
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 32 {
			return '_'
		}
		return r
	}, name)
	if clean == "" || clean == "." || clean == ".." {
		clean = "imported"
	}
	dir := filepath.Join(parent, clean)
	for i := 2; ; i++ {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			return dir
		}
		dir = filepath.Join(parent, clean+"-"+strconv.Itoa(i))
	}
}
