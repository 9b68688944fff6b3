package roots

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits. Win32 allows 255 UTF-16 units per component and 32,767 per path;
// counting bytes is stricter for non-ASCII names and never looser.
const (
	maxComponent = 255
	maxPath      = 32767
)

// reservedNames are the Win32 device names that open a device instead of a
// file in any directory, compared case-insensitively against the part of a
// component before its first '.', trailing spaces trimmed (checklist rows
// 10, 11). COM0/LPT0 and the superscript-digit forms are reserved on some
// Windows builds and not others (golang/go#67245, CVE-2023-45284): we
// refuse them everywhere.
var reservedNames = func() map[string]bool {
	m := map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true,
		"CONIN$": true, "CONOUT$": true, "CLOCK$": true}
	for _, d := range []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³"} {
		m["COM"+d] = true
		m["LPT"+d] = true
	}
	return m
}()

// CheckName validates one client-chosen name component (e.g. a VM name
// used as a directory name, checklist row 31 and goal P6): the component
// rules below, plus no separator of either flavor. The error is plain; its
// message is the reason.
func CheckName(f Flavor, name string) error {
	if name == "" {
		return errors.New("name is empty")
	}
	if strings.ContainsRune(name, '/') || (f == Windows && strings.ContainsRune(name, '\\')) {
		return errors.New("name contains a path separator")
	}
	if r := componentReason(name); r != "" {
		return errors.New(r)
	}
	return nil
}

// componentReason returns why c may not be a component below a root, or ""
// if it may. The rules are the Windows naming rules for both flavors: on
// Linux the simulator stands in for a Windows host, and a name that works
// there must work on Hyper-V too.
func componentReason(c string) string {
	switch {
	case c == "":
		return "empty component"
	case c == "." || c == "..":
		return "'.' and '..' components are not allowed" // rows 1, 2, 27
	case len(c) > maxComponent:
		return fmt.Sprintf("component longer than %d bytes", maxComponent) // row 27
	case !utf8.ValidString(c):
		return "component is not valid UTF-8"
	}
	for i, r := range c {
		switch {
		case r < 0x20 || r == 0x7f:
			// NUL truncates the name in Win32 and C APIs; CR/LF forge log lines (row 25).
			return fmt.Sprintf("component %s contains a control character", quote(c))
		case strings.ContainsRune(`<>"|?*`, r):
			// Wildcards and redirections for Win32 and PowerShell; os.Root refuses '?' (row 26).
			return fmt.Sprintf("component %s contains %q", quote(c), r)
		case r == ':':
			// After the drive a ':' names an alternate data stream: x::$DATA, dir::$INDEX_ALLOCATION (row 13).
			return fmt.Sprintf("component %s contains ':' (alternate data stream)", quote(c))
		case r == '\\':
			// A separator on Windows: on POSIX it would be a different path on the real host.
			return fmt.Sprintf("component %s contains a backslash", quote(c))
		case r == '%' && i+2 < len(c) && isHex(c[i+1]) && isHex(c[i+2]):
			// The HTTP layer decodes exactly once; what is left is a second-level
			// encoding such as %252e%252e%255c or ..%c0%af (row 23).
			return fmt.Sprintf("component %s contains a percent-encoded sequence", quote(c))
		case r == '~' && i+1 < len(c) && c[i+1] >= '0' && c[i+1] <= '9':
			// PROGRA~1, EXPORT~1, .GIT~1: 8.3 short names alias other, longer names (row 14).
			return fmt.Sprintf("component %s looks like an 8.3 short name", quote(c))
		case isBidi(r):
			// Right-to-left overrides make a name display as another (row 24).
			return fmt.Sprintf("component %s contains a Unicode bidirectional control", quote(c))
		case r >= 0xff01 && r <= 0xff5e:
			// Fullwidth ASCII best-fits to ASCII in ANSI code pages: ．．＼ becomes ..\ (row 24).
			return fmt.Sprintf("component %s contains a fullwidth character", quote(c))
		}
	}
	if last := c[len(c)-1]; last == '.' || last == ' ' {
		// Win32 strips trailing dots and spaces, so "export." and "export "
		// name "export", and "..." names the directory itself (row 12, 28).
		return fmt.Sprintf("component %s ends in a dot or a space", quote(c))
	}
	base, _, _ := strings.Cut(c, ".")
	if reservedNames[strings.ToUpper(strings.TrimRight(base, " "))] {
		// NUL.txt, con.vhdx, "aux .txt", "COM1 ", COM¹ (rows 10, 11; CVE-2023-45284).
		return fmt.Sprintf("component %s is a reserved Windows device name", quote(c))
	}
	return ""
}

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

// isBidi reports the Unicode bidirectional formatting characters: LRM, RLM,
// ALM, the embeddings and overrides, and the isolates.
func isBidi(r rune) bool {
	return r == 0x200e || r == 0x200f || r == 0x061c ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// quote quotes a component for a reason, short enough for a response.
func quote(c string) string {
	const max = 40
	if len(c) <= max {
		return fmt.Sprintf("%q", c)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(c[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", c[:cut])
}
