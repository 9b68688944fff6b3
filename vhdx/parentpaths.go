package vhdx

import (
	"errors"
	"fmt"
	"sort"
)

// SetParentPaths re-points a differencing disk at its parent after the
// chain moved: relative_path and absolute_win32_path (Windows form, ""
// to leave one out) replace the locator's paths, volume_path is dropped
// as it named the old place, and parent_linkage and any other entry are
// kept. The parent is not opened, as it may not be where the old paths
// say; Open checks the linkage later. The disk's DataWriteGuid does not
// change (the locator is file metadata, not virtual disk data), so
// children of this disk stay linked.
//
// The new locator is written to free space of the metadata region, then
// the one metadata table entry is rewritten to point to it, so a crash
// leaves the old or the new locator, not a mix.
func SetParentPaths(childPath, relative, absoluteWin32 string) (err error) {
	if relative == "" && absoluteWin32 == "" {
		return errors.New("vhdx: SetParentPaths needs a relative or an absolute path")
	}
	d, err := openLayer(childPath, false)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := d.Close(); err == nil {
			err = cerr
		}
	}()
	l := d.l
	if !l.hasParent {
		return fmt.Errorf("vhdx: %s is not a differencing disk", childPath)
	}
	loc := ParentLocator{Type: l.locator.Type}
	for _, kv := range l.locator.Entries {
		switch kv.Key {
		case KeyRelativePath, KeyVolumePath, KeyAbsoluteWin32Path:
		default:
			loc.Entries = append(loc.Entries, kv)
		}
	}
	if relative != "" {
		loc.Entries = append(loc.Entries, KeyValue{KeyRelativePath, relative})
	}
	if absoluteWin32 != "" {
		loc.Entries = append(loc.Entries, KeyValue{KeyAbsoluteWin32Path, absoluteWin32})
	}
	b, err := loc.marshal()
	if err != nil {
		return err
	}
	e := l.metaEntries[l.locatorIndex]
	at, ok := l.freeMetadataSpace(uint32(len(b)), l.locatorIndex)
	if !ok {
		return fmt.Errorf("vhdx: %s: no room for a %d-byte parent locator in the metadata region", childPath, len(b))
	}
	if err := d.beginWrite(false); err != nil {
		return err
	}
	region := int64(l.metaRegion.FileOffset)
	if err := d.writeFile(b, region+int64(at)); err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("vhdx: %s: %w", childPath, err)
	}
	e.Offset, e.Length = at, uint32(len(b))
	entry := make([]byte, 32)
	e.marshal(entry)
	if err := d.writeFile(entry, region+32+32*int64(l.locatorIndex)); err != nil {
		return err
	}
	d.dirty = true
	l.metaEntries[l.locatorIndex] = e
	loc.ChildPath = l.path
	l.locator = &loc
	return nil
}

// freeMetadataSpace finds room for n bytes of item skip's new value:
// first after every item (so the old value stays intact until the table
// entry moves), else the first gap among the other items.
func (l *layer) freeMetadataSpace(n uint32, skip int) (uint32, bool) {
	const align = 8
	type iv struct{ start, end uint64 }
	var others []iv
	end := uint64(metadataTableSize)
	for i, e := range l.metaEntries {
		if e.Length == 0 {
			continue
		}
		s := iv{uint64(e.Offset), uint64(e.Offset) + uint64(e.Length)}
		end = max(end, s.end)
		if i != skip {
			others = append(others, s)
		}
	}
	limit := uint64(l.metaRegion.Length)
	if at := (end + align - 1) / align * align; at+uint64(n) <= limit {
		return uint32(at), true
	}
	sort.Slice(others, func(i, j int) bool { return others[i].start < others[j].start })
	at := uint64(metadataTableSize)
	for _, s := range others {
		if at+uint64(n) <= s.start {
			return uint32(at), true
		}
		at = max(at, (s.end+align-1)/align*align)
	}
	return uint32(at), at+uint64(n) <= limit
}
