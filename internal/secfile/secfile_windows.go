//go:build windows

package secfile

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The DACLs of hvport's private files and directories: protected (nothing
// inherited from the parent), full control for SYSTEM and
// BUILTIN\Administrators and nobody else; a directory passes the same on
// to the files and folders created inside it.
const (
	fileSDDL = "D:P(A;;FA;;;SY)(A;;FA;;;BA)"
	dirSDDL  = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
)

// protectFile sets the DACL while the temporary file is still empty. The
// handle keeps the access it was opened with, so the write that follows
// works even for an account the new DACL leaves out.
func protectFile(f *os.File) error { return setDACL(f.Name(), fileSDDL) }

func protectDir(dir string) error { return setDACL(dir, dirSDDL) }

func setDACL(path, sddl string) error {
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	err = windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	if err != nil {
		return fmt.Errorf("%s: setting its access list: %w", path, err)
	}
	return nil
}

// harmless rights: granting them to anyone reveals and changes nothing.
const harmless = windows.SYNCHRONIZE | windows.READ_CONTROL | windows.FILE_READ_ATTRIBUTES

// ACE types (winnt.h) that grant access; only the plain and callback ones
// have the ACCESS_ALLOWED_ACE layout (a SID right after the mask).
const (
	aceAllowed               = 0x0
	aceAllowedCompound       = 0x4
	aceAllowedObject         = 0x5
	aceAllowedCallback       = 0x9
	aceAllowedCallbackObject = 0xB
)

func checkPrivate(path string, _ os.FileInfo) error {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("%s: reading its access list: %w", path, err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("%s: reading its owner: %w", path, err)
	}
	fix := fmt.Sprintf("icacls %q /inheritance:r /grant:r SYSTEM:F Administrators:F", path)
	dacl, _, err := sd.DACL()
	if err == windows.ERROR_OBJECT_NOT_FOUND || (err == nil && dacl == nil) {
		return fmt.Errorf("%s has no access list, so everyone may read and change it; %s", path, fix)
	}
	if err != nil {
		return fmt.Errorf("%s: reading its access list: %w", path, err)
	}
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return fmt.Errorf("%s: reading its access list: %w", path, err)
		}
		if ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0 {
			continue // applies to children only; a file has none
		}
		switch ace.Header.AceType {
		case aceAllowed, aceAllowedCallback:
		case aceAllowedCompound, aceAllowedObject, aceAllowedCallbackObject:
			// Never found on files: refuse rather than guess whom they grant.
			return fmt.Errorf("%s has an unexpected kind of access entry (type %d); %s", path, ace.Header.AceType, fix)
		default:
			continue // deny entries only take access away
		}
		if ace.Mask&^harmless == 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if sid.IsWellKnown(windows.WinLocalSystemSid) || sid.IsWellKnown(windows.WinBuiltinAdministratorsSid) || sid.Equals(owner) {
			continue
		}
		return fmt.Errorf("%s grants access to %s (%s), not only to SYSTEM, Administrators and its owner; %s",
			path, accountName(sid), sid, fix)
	}
	return nil
}

func accountName(sid *windows.SID) string {
	account, domain, _, err := sid.LookupAccount("")
	switch {
	case err != nil:
		return "an unknown account"
	case domain != "":
		return domain + `\` + account
	}
	return account
}
