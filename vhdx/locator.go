package vhdx

import (
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/google/uuid"
)

// Keys of the VHDX parent locator (MS-VHDX 2.6.2.6.3).
const (
	KeyParentLinkage     = "parent_linkage"
	KeyParentLinkage2    = "parent_linkage2"
	KeyRelativePath      = "relative_path"
	KeyVolumePath        = "volume_path"
	KeyAbsoluteWin32Path = "absolute_win32_path"
)

// KeyValue is one entry of a parent locator.
type KeyValue struct {
	Key, Value string
}

// ParentLocator is a differencing disk's Parent Locator metadata item
// (MS-VHDX 2.6.2.6): the parent's identity and where to look for it.
type ParentLocator struct {
	Type    uuid.UUID  // LocatorTypeVHDX
	Entries []KeyValue // in file order
	// ChildPath is the file holding the locator (not stored in it), the
	// base a relative_path is resolved against.
	ChildPath string
}

// Get returns the value of key.
func (l ParentLocator) Get(key string) (string, bool) {
	for _, kv := range l.Entries {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// ParentLinkage is the parent's DataWriteGuid recorded when the child was
// created (or last re-linked).
func (l ParentLocator) ParentLinkage() (uuid.UUID, error) {
	v, ok := l.Get(KeyParentLinkage)
	if !ok {
		return uuid.UUID{}, fmt.Errorf("no %s", KeyParentLinkage)
	}
	return parseBracedGUID(v)
}

// linkages returns parent_linkage and, when present, parent_linkage2:
// the parent's DataWriteGuid must equal one of them (MS-VHDX 2.6.2.6.3).
func (l ParentLocator) linkages() []uuid.UUID {
	var out []uuid.UUID
	for _, k := range []string{KeyParentLinkage, KeyParentLinkage2} {
		if v, ok := l.Get(k); ok {
			if g, err := parseBracedGUID(v); err == nil {
				out = append(out, g)
			}
		}
	}
	return out
}

// parseBracedGUID reads "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" in
// either case.
func parseBracedGUID(s string) (uuid.UUID, error) {
	if len(s) != 38 || s[0] != '{' || s[37] != '}' {
		return uuid.UUID{}, fmt.Errorf("%q is not a GUID in braces", s)
	}
	return uuid.Parse(s[1:37])
}

// bracedGUID formats a linkage value: lower case in braces, as the spec
// asks (MS-VHDX 2.6.2.6.3).
func bracedGUID(g uuid.UUID) string { return "{" + strings.ToLower(g.String()) + "}" }

// The item is a 20-byte header (LocatorType, Reserved, KeyValueCount)
// and 12-byte entries (KeyOffset, ValueOffset, KeyLength, ValueLength),
// offsets relative to the item, strings UTF-16LE without terminator
// (MS-VHDX 2.6.2.6.1, 2.6.2.6.2).
const (
	locatorHeaderSize = 20
	locatorEntrySize  = 12
)

func (l ParentLocator) marshal() ([]byte, error) {
	n := len(l.Entries)
	if n > 0xFFFF {
		return nil, fmt.Errorf("vhdx: %d parent locator entries", n)
	}
	strs := locatorHeaderSize + n*locatorEntrySize
	b := make([]byte, strs, strs+256)
	putGUID(b, l.Type)
	le.PutUint16(b[18:], uint16(n))
	for i, kv := range l.Entries {
		k, v := utf16LE(kv.Key), utf16LE(kv.Value)
		if len(k) == 0 || len(k) > 0xFFFF || len(v) == 0 || len(v) > 0xFFFF {
			return nil, fmt.Errorf("vhdx: parent locator entry %q has an empty or too long key or value", kv.Key)
		}
		e := b[locatorHeaderSize+i*locatorEntrySize:]
		le.PutUint32(e[0:], uint32(len(b)))
		le.PutUint16(e[8:], uint16(len(k)))
		b = append(b, k...)
		e = b[locatorHeaderSize+i*locatorEntrySize:]
		le.PutUint32(e[4:], uint32(len(b)))
		le.PutUint16(e[10:], uint16(len(v)))
		b = append(b, v...)
	}
	if len(b) > maxMetadataItem {
		return nil, fmt.Errorf("vhdx: parent locator of %d bytes exceeds 1 MiB", len(b))
	}
	return b, nil
}

// parseLocator decodes a parent locator item; every offset is checked
// against the item's length.
func parseLocator(b []byte) (ParentLocator, error) {
	if len(b) < locatorHeaderSize {
		return ParentLocator{}, fmt.Errorf("%d bytes is shorter than the %d-byte header", len(b), locatorHeaderSize)
	}
	l := ParentLocator{Type: getGUID(b)}
	n := int(le.Uint16(b[18:]))
	if locatorHeaderSize+n*locatorEntrySize > len(b) {
		return l, fmt.Errorf("KeyValueCount %d does not fit in %d bytes", n, len(b))
	}
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		e := b[locatorHeaderSize+i*locatorEntrySize:]
		ko, vo := uint64(le.Uint32(e[0:])), uint64(le.Uint32(e[4:]))
		kl, vl := uint64(le.Uint16(e[8:])), uint64(le.Uint16(e[10:]))
		if kl == 0 || vl == 0 || kl%2 != 0 || vl%2 != 0 {
			return l, fmt.Errorf("entry %d: key length %d or value length %d is zero or odd", i, kl, vl)
		}
		if ko+kl > uint64(len(b)) || vo+vl > uint64(len(b)) {
			return l, fmt.Errorf("entry %d: key or value lies outside the %d-byte item", i, len(b))
		}
		kv := KeyValue{Key: fromUTF16LE(b[ko : ko+kl]), Value: fromUTF16LE(b[vo : vo+vl])}
		if seen[kv.Key] {
			return l, fmt.Errorf("entry %d: key %q appears twice", i, kv.Key)
		}
		seen[kv.Key] = true
		l.Entries = append(l.Entries, kv)
	}
	return l, nil
}

// validate applies the rules of the VHDX locator type
// (MS-VHDX 2.6.2.6.3): a parent_linkage GUID and at least one path.
func (l ParentLocator) validate() error {
	if l.Type != LocatorTypeVHDX {
		return fmt.Errorf("locator type {%s} is not the VHDX locator type {%s}", l.Type, LocatorTypeVHDX)
	}
	if _, err := l.ParentLinkage(); err != nil {
		return err
	}
	if v, ok := l.Get(KeyParentLinkage2); ok {
		if _, err := parseBracedGUID(v); err != nil {
			return fmt.Errorf("%s: %v", KeyParentLinkage2, err)
		}
	}
	for _, k := range []string{KeyRelativePath, KeyVolumePath, KeyAbsoluteWin32Path} {
		if _, ok := l.Get(k); ok {
			return nil
		}
	}
	return fmt.Errorf("none of %s, %s, %s is present", KeyRelativePath, KeyVolumePath, KeyAbsoluteWin32Path)
}

func utf16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		le.PutUint16(b[2*i:], c)
	}
	return b
}

func fromUTF16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = le.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}
