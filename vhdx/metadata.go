package vhdx

import (
	"fmt"

	"github.com/google/uuid"
)

// parseMetadata reads the metadata table and the known items
// (MS-VHDX 2.6).
func (l *layer) parseMetadata(p *problems) bool {
	region := int64(l.metaRegion.FileOffset)
	if l.metaRegion.Length < metadataTableSize {
		p.corrupt("metadata region", region, "Length %d cannot hold the 64 KiB metadata table", l.metaRegion.Length)
		return false
	}
	table := make([]byte, metadataTableSize)
	if _, err := l.f.ReadAt(table, region); err != nil {
		p.corrupt("metadata table", region, "read: %v", err)
		return false
	}
	if string(table[:8]) != sigMetadata {
		p.corrupt("metadata table", region, "signature is %q, want %q", table[:8], sigMetadata)
		return false
	}
	n := int(le.Uint16(table[10:]))
	if n > maxMetadataEntries {
		p.corrupt("metadata table", region, "EntryCount %d exceeds %d", n, maxMetadataEntries)
		return false
	}
	type key struct {
		id   uuid.UUID
		user bool
	}
	seen := map[key]bool{}
	ok := true
	found := map[uuid.UUID]metadataEntry{} // sound system items
	listed := map[uuid.UUID]bool{}         // system items, sound or not
	for i := 0; i < n; i++ {
		e := parseMetadataEntry(table[32+32*i:])
		l.metaEntries = append(l.metaEntries, e)
		listed[e.ItemID] = listed[e.ItemID] || !e.IsUser
		where := fmt.Sprintf("metadata table entry %d (%s)", i, itemName(e.ItemID))
		off := region + 32 + 32*int64(i)
		k := key{e.ItemID, e.IsUser}
		if seen[k] {
			p.corrupt(where, off, "ItemId and IsUser appear twice")
			ok = false
			continue
		}
		seen[k] = true
		switch {
		case e.Length == 0 && e.Offset != 0:
			p.corrupt(where, off, "Length is 0 but Offset is 0x%x", e.Offset)
			ok = false
			continue
		case e.Length > 0 && (e.Offset < metadataTableSize || e.Length > maxMetadataItem ||
			uint64(e.Offset)+uint64(e.Length) > uint64(l.metaRegion.Length)):
			p.corrupt(where, off, "the item (Offset 0x%x, Length %d) must lie in the metadata region after the 64 KiB table and be at most 1 MiB", e.Offset, e.Length)
			ok = false
			continue
		}
		known, isKnown := knownItems[e.ItemID]
		if e.IsUser || !isKnown {
			if e.IsRequired {
				p.unsupported(where, off, "a required metadata item this implementation does not know")
				ok = false
			}
			continue
		}
		if known.length != 0 && e.Length != known.length {
			p.corrupt(where, off, "Length is %d, want %d", e.Length, known.length)
			ok = false
			continue
		}
		if e.IsVirtualDisk != known.isVirtualDisk || !e.IsRequired {
			p.warn(where, off, "flags IsVirtualDisk=%t IsRequired=%t, the spec gives %t and true", e.IsVirtualDisk, e.IsRequired, known.isVirtualDisk)
		}
		if e.ItemID == guidParentLocator {
			l.locatorIndex = i
		}
		found[e.ItemID] = e
	}
	if !l.checkItemOverlaps(p) {
		ok = false
	}
	for _, id := range []uuid.UUID{guidFileParameters, guidVirtualDiskSize, guidVirtualDiskID, guidLogicalSectorSize, guidPhysicalSectorSize} {
		if !listed[id] {
			p.corrupt("metadata table", region, "required metadata item %s {%s} is missing", itemName(id), id)
			ok = false
		}
	}
	if !ok {
		return false
	}
	read := func(id uuid.UUID) []byte {
		e := found[id]
		b := make([]byte, e.Length)
		if _, err := l.f.ReadAt(b, region+int64(e.Offset)); err != nil {
			p.corrupt("metadata item "+itemName(id), region+int64(e.Offset), "read: %v", err)
			ok = false
		}
		return b
	}
	itemAt := func(id uuid.UUID) (string, int64) {
		return "metadata item " + itemName(id), region + int64(found[id].Offset)
	}
	fp := read(guidFileParameters)
	vs := read(guidVirtualDiskSize)
	id := read(guidVirtualDiskID)
	ls := read(guidLogicalSectorSize)
	ps := read(guidPhysicalSectorSize)
	if !ok {
		return false
	}
	l.blockSize = le.Uint32(fp)
	flags := le.Uint32(fp[4:])
	l.hasParent = flags&2 != 0
	l.virtualSize = le.Uint64(vs)
	l.diskID = getGUID(id)
	l.logicalSector = le.Uint32(ls)
	l.physicalSector = le.Uint32(ps)
	if w, o := itemAt(guidFileParameters); !isPow2(uint64(l.blockSize)) || l.blockSize < minBlockSize || l.blockSize > maxBlockSize {
		p.corrupt(w, o, "BlockSize %d is not a power of two between 1 MiB and 256 MiB (MS-VHDX 2.6.2.1)", l.blockSize)
		ok = false
	} else if flags&^3 != 0 {
		p.warn(w, o, "reserved flag bits 0x%x are set", flags&^3)
	}
	if w, o := itemAt(guidLogicalSectorSize); l.logicalSector != 512 && l.logicalSector != 4096 {
		p.corrupt(w, o, "LogicalSectorSize %d is neither 512 nor 4096 (MS-VHDX 2.6.2.4)", l.logicalSector)
		ok = false
	}
	if w, o := itemAt(guidPhysicalSectorSize); l.physicalSector != 512 && l.physicalSector != 4096 {
		p.corrupt(w, o, "PhysicalSectorSize %d is neither 512 nor 4096 (MS-VHDX 2.6.2.5)", l.physicalSector)
		ok = false
	}
	if w, o := itemAt(guidVirtualDiskSize); l.virtualSize > maxVirtualSize || (ok && l.virtualSize%uint64(l.logicalSector) != 0) {
		p.corrupt(w, o, "VirtualDiskSize %d is not a multiple of the logical sector size of at most 64 TiB (MS-VHDX 2.6.2.2)", l.virtualSize)
		ok = false
	}
	switch {
	case l.hasParent && l.locatorIndex < 0:
		w, o := itemAt(guidFileParameters)
		p.corrupt(w, o, "HasParent is set but there is no Parent Locator item (MS-VHDX 2.6.2.6)")
		ok = false
	case l.hasParent:
		w, o := itemAt(guidParentLocator)
		loc, err := parseLocator(read(guidParentLocator))
		if err == nil {
			err = loc.validate()
		}
		switch {
		case err != nil && loc.Type != LocatorTypeVHDX && loc.Type != (uuid.UUID{}):
			p.unsupported(w, o, "%v", err)
			ok = false
		case err != nil:
			p.corrupt(w, o, "%v", err)
			ok = false
		default:
			loc.ChildPath = l.path
			l.locator = &loc
		}
	case l.locatorIndex >= 0:
		w, o := itemAt(guidParentLocator)
		p.warn(w, o, "a Parent Locator item in a file whose HasParent flag is clear")
	}
	return ok
}

// checkItemOverlaps reports metadata items sharing bytes (MS-VHDX 2.6.1.2).
func (l *layer) checkItemOverlaps(p *problems) bool {
	var spans []span
	for i, e := range l.metaEntries {
		if e.Length > 0 {
			spans = append(spans, span{int64(e.Offset), int64(e.Offset) + int64(e.Length),
				fmt.Sprintf("metadata table entry %d (%s)", i, itemName(e.ItemID))})
		}
	}
	ok := true
	for _, o := range overlaps(spans) {
		p.corrupt(o[1].name, int64(l.metaRegion.FileOffset)+o[1].start, "overlaps %s", o[0].name)
		ok = false
	}
	return ok
}
