package com

import (
	"strings"

	"github.com/hvport/hvport/wmi"
)

// The helpers here serve the by-name fallback of toObject: reading an
// SWbemObject whose SWbemPropertySet cannot be enumerated (_NewEnum answers
// E_NOTIMPL, as Wine's wbemdisp does). Windows enumerates Properties_, so
// there the fallback never runs; see the package doc.

// mofPropertyNames reads the class name and the property names from the MOF
// text of an instance (SWbemObject.GetObjectText_):
//
//	instance of Win32_Process
//	{
//		Caption = "probe.exe";
//		ProcessId = 32;
//	};
//
// Only assignments one tab deep count, so the lines of an embedded
// instance's own block are not taken for properties of the outer one. A
// line inside a multi-line string value could still look like an
// assignment; the caller checks every name against the object, so such a
// name is dropped there. NULL properties do not appear in MOF text at all.
func mofPropertyNames(text string) (class string, names []string) {
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if class == "" {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "instance of "); ok {
				class = strings.TrimSpace(rest)
				continue
			}
		}
		rest, ok := strings.CutPrefix(line, "\t")
		if !ok || strings.HasPrefix(rest, "\t") {
			continue
		}
		// Qualifiers may precede the name: [key] Name = ...;
		if strings.HasPrefix(rest, "[") {
			end := strings.Index(rest, "]")
			if end < 0 {
				continue
			}
			rest = strings.TrimLeft(rest[end+1:], " ")
		}
		name, _, ok := strings.Cut(rest, " = ")
		if !ok || !isCIMName(name) || seen[strings.ToLower(name)] {
			continue
		}
		seen[strings.ToLower(name)] = true
		names = append(names, name)
	}
	return class, names
}

// isCIMName reports whether s is a CIM identifier (a letter or underscore,
// then letters, digits or underscores).
func isCIMName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// inferCIMType guesses a property's CIM type from the raw value read from
// its VARIANT (see decodeVariant), for when SWbemProperty.CIMType cannot be
// read. It can only name the automation type: uint16 and uint32 arrive as
// sint32, sint8 as sint16, 64-bit integers, datetimes and references as
// strings. A NULL value, and an empty array, carry no type at all; they
// are taken as string.
func inferCIMType(raw any) (t wmi.CIMType, array bool) {
	if items, ok := raw.([]any); ok {
		for _, e := range items {
			if e != nil {
				t, _ := inferCIMType(e)
				return t, true
			}
		}
		return wmi.CIMString, true
	}
	switch raw.(type) {
	case bool:
		return wmi.CIMBoolean, false
	case int8:
		return wmi.CIMSint8, false
	case uint8:
		return wmi.CIMUint8, false
	case int16:
		return wmi.CIMSint16, false
	case uint16:
		return wmi.CIMUint16, false
	case int32, int:
		return wmi.CIMSint32, false
	case uint32, uint:
		return wmi.CIMUint32, false
	case int64:
		return wmi.CIMSint64, false
	case uint64:
		return wmi.CIMUint64, false
	case float32:
		return wmi.CIMReal32, false
	case float64:
		return wmi.CIMReal64, false
	case *wmi.Object:
		return wmi.CIMObject, false
	}
	return wmi.CIMString, false
}

// trimNUL drops the NUL characters that Wine leaves at the end of some
// system property strings (its __PATH BSTRs are longer than their text). A
// CIM string cannot hold NUL, so this changes nothing on Windows.
func trimNUL(s string) string { return strings.TrimRight(s, "\x00") }
