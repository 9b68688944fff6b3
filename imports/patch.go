// The rules of the settings model: a client's patch laid over the
// defaults, field by field, every invalid field collected into one 422.

package imports

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/hvport/hvport/errs"
	"github.com/hvport/hvport/hyperv"
)

// apply lays a patch over the defaults. Per-resource paths win over data
// roots; a changed data root alone moves every resource that has no path
// of its own; Target* without createCopy are ignored with a warning, as
// Hyper-V ignores them.
func apply(def Settings, p *Patch, api hyperv.APIVersion) (Settings, []string, error) {
	st := def
	st.CurrentResourcePaths = append([]string(nil), def.CurrentResourcePaths...)
	st.SourceResourcePaths = append([]string(nil), def.SourceResourcePaths...)
	st.TargetResourcePaths = append([]string(nil), def.TargetResourcePaths...)
	st.TargetNetworkConnections = append([]string(nil), def.TargetNetworkConnections...)
	if p == nil {
		return st, nil, nil
	}
	var bad []errs.FieldError
	field := func(name, reason string, allowed ...string) {
		bad = append(bad, errs.FieldError{Field: "settings." + name, Reason: reason, Allowed: allowed})
	}
	if p.CurrentResourcePaths != nil && !reflect.DeepEqual(p.CurrentResourcePaths, def.CurrentResourcePaths) {
		field("currentResourcePaths", "read-only: it lists the resources recorded in the export; edit sourceResourcePaths / targetResourcePaths instead")
	}
	if p.SourceNetworkConnections != nil && !reflect.DeepEqual(p.SourceNetworkConnections, def.SourceNetworkConnections) {
		field("sourceNetworkConnections", "read-only: it lists the switches recorded in the export; edit targetNetworkConnections instead")
	}
	if p.SecurityScope != nil && api != hyperv.V1 {
		field("securityScope", "only the v1 API (Windows Server 2008 R2 / 2012) has SecurityScope; leave it out")
	}
	if p.Name != nil {
		if reason := vmNameProblem(*p.Name); reason != "" {
			field("name", reason)
		}
		st.Name = *p.Name
	}
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&st.GenerateNewID, p.GenerateNewID)
	set(&st.CreateCopy, p.CreateCopy)
	st.SecurityScope = p.SecurityScope
	roots := []struct {
		name string
		dst  *string
		v    *string
	}{
		{"sourceVmDataRoot", &st.SourceVmDataRoot, p.SourceVmDataRoot},
		{"sourceSnapshotDataRoot", &st.SourceSnapshotDataRoot, p.SourceSnapshotDataRoot},
		{"sourceVhdDataRoot", &st.SourceVhdDataRoot, p.SourceVhdDataRoot},
		{"targetVmDataRoot", &st.TargetVmDataRoot, p.TargetVmDataRoot},
		{"targetSnapshotDataRoot", &st.TargetSnapshotDataRoot, p.TargetSnapshotDataRoot},
		{"targetVhdDataRoot", &st.TargetVhdDataRoot, p.TargetVhdDataRoot},
	}
	for _, r := range roots {
		if r.v == nil {
			continue
		}
		if !filepath.IsAbs(*r.v) {
			field(r.name, "must be an absolute path on the Hyper-V host")
			continue
		}
		*r.dst = filepath.Clean(*r.v)
	}
	n := len(def.CurrentResourcePaths)
	// A data root alone moves every resource into it (keeping file names).
	if p.SourceVhdDataRoot != nil && st.SourceVhdDataRoot != def.SourceVhdDataRoot {
		for i := range st.SourceResourcePaths {
			st.SourceResourcePaths[i] = join(st.SourceVhdDataRoot, def.CurrentResourcePaths[i])
		}
	}
	if p.TargetVhdDataRoot != nil && st.TargetVhdDataRoot != def.TargetVhdDataRoot {
		for i := range st.TargetResourcePaths {
			st.TargetResourcePaths[i] = join(st.TargetVhdDataRoot, def.CurrentResourcePaths[i])
		}
	}
	// Per-resource paths override the roots.
	perResource := func(name string, patch []*string, dst []string) {
		for i, v := range patch {
			if i >= n {
				field(fmt.Sprintf("%s[%d]", name, i), fmt.Sprintf("no resource at index %d: currentResourcePaths has %d entries", i, n))
				continue
			}
			if v == nil {
				continue
			}
			if !filepath.IsAbs(*v) {
				field(fmt.Sprintf("%s[%d]", name, i), "must be an absolute path on the Hyper-V host")
				continue
			}
			dst[i] = filepath.Clean(*v)
		}
	}
	perResource("sourceResourcePaths", p.SourceResourcePaths, st.SourceResourcePaths)
	perResource("targetResourcePaths", p.TargetResourcePaths, st.TargetResourcePaths)
	for i, v := range p.TargetNetworkConnections {
		if i >= len(def.SourceNetworkConnections) {
			field(fmt.Sprintf("targetNetworkConnections[%d]", i), fmt.Sprintf("no network adapter at index %d: the VM has %d", i, len(def.SourceNetworkConnections)))
			continue
		}
		if v != nil {
			st.TargetNetworkConnections[i] = *v
		}
	}
	if len(bad) > 0 {
		return st, nil, &errs.Error{Kind: errs.Invalid, Msg: "invalid import settings", Fields: bad}
	}
	var warnings []string
	if !st.CreateCopy {
		var ignored []string
		if p.TargetVmDataRoot != nil {
			ignored = append(ignored, "targetVmDataRoot")
		}
		if p.TargetSnapshotDataRoot != nil {
			ignored = append(ignored, "targetSnapshotDataRoot")
		}
		if p.TargetVhdDataRoot != nil {
			ignored = append(ignored, "targetVhdDataRoot")
		}
		if p.TargetResourcePaths != nil {
			ignored = append(ignored, "targetResourcePaths")
		}
		if len(ignored) > 0 {
			warnings = append(warnings, strings.Join(ignored, ", ")+" ignored: Target* settings take effect only with createCopy true (the VM is registered where its files are)")
		}
	}
	return st, warnings, nil
}

// maxVMName is Hyper-V's limit on a VM's name (ElementName): New-VM and
// Rename-VM refuse longer names (100 characters).
const maxVMName = 100

// vmNameProblem says what makes name unusable as a VM name, or "".
func vmNameProblem(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "must not be empty"
	case utf8.RuneCountInString(name) > maxVMName:
		return fmt.Sprintf("at most %d characters (Hyper-V's limit), got %d", maxVMName, utf8.RuneCountInString(name))
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "must not contain control characters (NUL, line breaks, tabs)"
	}
	return ""
}
