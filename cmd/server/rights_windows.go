//go:build windows

package main

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// rightsCheck reads the process token's groups (S-1-5-32-544 and
// S-1-5-32-578) and judges them.
func rightsCheck() check {
	a, err := tokenAccount(windows.GetCurrentProcessToken())
	if err != nil {
		return check{Name: checkRights, Status: statusFail, Detail: fmt.Sprintf("read the process token: %v", err)}
	}
	return judgeRights(a)
}

func tokenAccount(tok windows.Token) (account, error) {
	var a account
	if u, err := tok.GetTokenUser(); err == nil {
		a.User = u.User.Sid.String()
		if name, domain, _, err := u.User.Sid.LookupAccount(""); err == nil {
			a.User = name
			if domain != "" {
				a.User = domain + `\` + name
			}
		}
	}
	a.Elevated = tok.IsElevated()
	groups, err := tok.GetTokenGroups()
	if err != nil {
		return a, err
	}
	for _, want := range []struct{ name, sid string }{
		{"Administrators", sidAdministrators},
		{"Hyper-V Administrators", sidHyperVAdministrators},
	} {
		g := groupState{Name: want.name, SID: want.sid}
		for _, sa := range groups.AllGroups() {
			if sa.Sid.String() == want.sid {
				g.Present = true
				g.Enabled = sa.Attributes&windows.SE_GROUP_ENABLED != 0
				g.DenyOnly = sa.Attributes&windows.SE_GROUP_USE_FOR_DENY_ONLY != 0
				break
			}
		}
		a.Groups = append(a.Groups, g)
	}
	return a, nil
}
