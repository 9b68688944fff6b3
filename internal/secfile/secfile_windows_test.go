//go:build windows

package secfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

// The DACL leaves out whoever is not SYSTEM or an (elevated)
// Administrator, so these tests need an elevated process.
func needPrivateAccess(t *testing.T) {
	if !windows.GetCurrentProcessToken().IsElevated() {
		t.Skip("needs an elevated process")
	}
}

func TestWritePrivateDACL(t *testing.T) {
	needPrivateAccess(t)
	p := filepath.Join(t.TempDir(), "key.pem")
	if err := WritePrivate(p, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	sd, err := windows.GetNamedSecurityInfo(p, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	// Windows may add the auto-inherited flag (D:PAI): compare the rest.
	if got := sd.String(); !strings.HasPrefix(got, "D:P") || !strings.HasSuffix(got, "(A;;FA;;;SY)(A;;FA;;;BA)") || strings.Count(got, "(") != 2 {
		t.Fatalf("DACL %s; want %s", got, fileSDDL)
	}
}

func TestCheckPrivateDACL(t *testing.T) {
	needPrivateAccess(t)
	p := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for sddl, want := range map[string]string{
		fileSDDL: "",
		"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x120080;;;WD)": "", // Everyone: read attributes, read control, synchronize only
		"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;WD)":       "grants access to",
		"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FW;;;BU)":       "grants access to",
		"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;AU)":       "grants access to",
		"D:P(A;;FA;;;SY)(A;;FA;;;BA)(D;;FA;;;WD)":       "", // a deny entry takes away
		"D:NO_ACCESS_CONTROL":                           "has no access list",
	} {
		if err := setDACL(p, sddl); err != nil {
			t.Fatal(err)
		}
		err := CheckPrivate(p)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s refused: %v", sddl, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v; want %q", sddl, err, want)
		}
	}
}
