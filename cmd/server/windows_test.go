//go:build windows

package main

import (
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

// TestRightsFromToken reads this process's real token.
func TestRightsFromToken(t *testing.T) {
	a, err := tokenAccount(windows.GetCurrentProcessToken())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("account %+v", a)
	if a.User == "" || len(a.Groups) != 2 || a.Groups[0].SID != sidAdministrators || a.Groups[1].SID != sidHyperVAdministrators {
		t.Errorf("account %+v", a)
	}
	c := rightsCheck()
	t.Logf("rights: %s: %s", c.Status, c.Detail)
	if c.Name != checkRights || (c.Status != statusPass && c.Status != statusFail) || !strings.Contains(c.Detail, a.User) {
		t.Errorf("rights check %+v", c)
	}
	if onWine() && c.Status != statusPass {
		t.Errorf("Wine runs programs as an administrator, yet: %+v", c)
	}
}

// A test binary is not a service, however it was started.
func TestNotAService(t *testing.T) {
	if isWindowsService() {
		t.Errorf("isWindowsService() in a test (parent %q)", parentImage())
	}
	t.Logf("parent process: %q, Wine: %v", parentImage(), onWine())
}
