package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// VM configuration versions a host supports, by Windows Server release
// (docs/HYPERV.md#config-versions, from the Windows Server docs' "Upgrade
// virtual machine version" page). 2012 R2 (5.0 only, .xml configurations)
// is left out: the simulator models 2016 and later.
var hostReleases = map[string]versionRange{
	"2016": {min: configVersion{5, 0}, max: configVersion{8, 0}},
	"2019": {min: configVersion{5, 0}, max: configVersion{9, 0}},
	"2022": {min: configVersion{8, 0}, max: configVersion{10, 0}},
	"2025": {min: configVersion{8, 0}, max: configVersion{12, 0}},
}

// DefaultHostRelease is Options.HostRelease when it is empty. It supports
// the demo seed's versions 8.0 and 9.0.
const DefaultHostRelease = "2022"

type configVersion struct{ major, minor int }

type versionRange struct{ min, max configVersion }

func (v configVersion) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

func (v configVersion) less(w configVersion) bool {
	return v.major < w.major || (v.major == w.major && v.minor < w.minor)
}

// parseConfigVersion reads "major.minor" (a bare "major" means .0).
func parseConfigVersion(s string) (configVersion, bool) {
	majorText, minorText, found := strings.Cut(strings.TrimSpace(s), ".")
	major, err := strconv.Atoi(majorText)
	if err != nil || major < 0 {
		return configVersion{}, false
	}
	minor := 0
	if found {
		if minor, err = strconv.Atoi(minorText); err != nil || minor < 0 {
			return configVersion{}, false
		}
	}
	return configVersion{major, minor}, true
}

// supports reports whether the range includes version s; an unreadable
// version is not supported.
func (r versionRange) supports(s string) bool {
	v, ok := parseConfigVersion(s)
	return ok && !v.less(r.min) && !r.max.less(v)
}

func (r versionRange) String() string { return r.min.String() + "-" + r.max.String() }

// supportedVersions is the host's range.
func (h *Host) supportedVersions() versionRange { return hostReleases[h.opts.HostRelease] }
