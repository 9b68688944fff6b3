package main

import (
	"fmt"
	"strings"
)

// The groups whose members may use Hyper-V's WMI API
// (docs/HYPERV.md#pitfall-rights): BUILTIN\Administrators and
// BUILTIN\Hyper-V Administrators.
const (
	sidAdministrators       = "S-1-5-32-544"
	sidHyperVAdministrators = "S-1-5-32-578"
)

// groupState is how one of those groups appears in the process's token.
type groupState struct {
	Name     string // display name
	SID      string
	Present  bool // in the token at all
	Enabled  bool // SE_GROUP_ENABLED
	DenyOnly bool // SE_GROUP_USE_FOR_DENY_ONLY: filtered by UAC
}

// account is what the token says about the account hvport runs as.
type account struct {
	User     string // DOMAIN\name, or the SID when it cannot be looked up
	Elevated bool
	Groups   []groupState
}

// judgeRights turns the token's groups into the rights check: it passes
// when one of the groups is enabled. A group present only for deny (an
// administrator without elevation under UAC) is the common failure and
// gets its own advice.
func judgeRights(a account) check {
	c := check{Name: checkRights}
	var enabled, denyOnly []string
	for _, g := range a.Groups {
		label := fmt.Sprintf("%s (%s)", g.Name, g.SID)
		switch {
		case g.Present && g.Enabled && !g.DenyOnly:
			enabled = append(enabled, label)
		case g.Present && g.DenyOnly:
			denyOnly = append(denyOnly, label)
		}
	}
	elevated := "not elevated"
	if a.Elevated {
		elevated = "elevated"
	}
	switch {
	case len(enabled) > 0:
		c.Status = statusPass
		c.Detail = fmt.Sprintf("%s (%s) is a member of %s", a.User, elevated, strings.Join(enabled, " and "))
	case len(denyOnly) > 0:
		c.Status = statusFail
		c.Detail = fmt.Sprintf("%s is in %s, but only for deny: the process is not elevated (UAC). "+
			"Run from an elevated prompt (Run as administrator), or run hvport as its Windows service", a.User, strings.Join(denyOnly, " and "))
	default:
		c.Status = statusFail
		c.Detail = fmt.Sprintf("%s (%s) is a member of neither Administrators (%s) nor Hyper-V Administrators (%s); "+
			"Hyper-V's WMI API refuses it. Add the account to Hyper-V Administrators, or run hvport as its Windows service (LocalSystem)",
			a.User, elevated, sidAdministrators, sidHyperVAdministrators)
	}
	return c
}
