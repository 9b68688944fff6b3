package vhdx

import (
	"fmt"
	"os"

	"github.com/google/uuid"
)

// layer is one parsed VHDX file: everything Open and Check learn from it.
type layer struct {
	f    *os.File
	path string
	size int64

	hdr     header
	hdrSlot int // 0: header 1 is current, 1: header 2

	batRegion, metaRegion regionEntry
	metaEntries           []metadataEntry
	locatorIndex          int // index of the parent locator in metaEntries, or -1

	blockSize      uint32
	hasParent      bool
	virtualSize    uint64
	diskID         uuid.UUID
	logicalSector  uint32
	physicalSector uint32
	locator        *ParentLocator
	geo            geometry
	bat            []uint64
}

var headerOffsets = [2]int64{header1Offset, header2Offset}

// parseLayer reads and validates one file. It stops at the first problem
// that leaves nothing sound to go on; p lists what was found.
func parseLayer(f *os.File, path string) (*layer, *problems) {
	p := &problems{path: path}
	l := &layer{f: f, path: path, locatorIndex: -1}
	fi, err := f.Stat()
	if err != nil {
		p.corrupt("file", -1, "%v", err)
		return l, p
	}
	l.size = fi.Size()
	if l.size < headerSectionSize {
		p.corrupt("header section", 0, "the file is %d bytes, shorter than the 1 MiB header section (MS-VHDX 2.2)", l.size)
		return l, p
	}
	head := make([]byte, regionTable2Offset+regionTableSize)
	if _, err := f.ReadAt(head, 0); err != nil {
		p.corrupt("header section", 0, "read: %v", err)
		return l, p
	}
	if string(head[:8]) != sigFile {
		p.corrupt("file type identifier", fileIdentifierOffset, "signature is %q, want %q", head[:8], sigFile)
		return l, p
	}
	if !l.parseHeaders(head, p) || !l.parseRegions(head, p) || !l.parseMetadata(p) {
		return l, p
	}
	l.parseBAT(p)
	return l, p
}

// parseHeaders picks the current header: the valid one, or of two valid
// ones the one with the higher SequenceNumber (MS-VHDX 2.2.2).
func (l *layer) parseHeaders(head []byte, p *problems) bool {
	var hs [2]header
	var valid [2]bool
	for i, off := range headerOffsets {
		h, err := parseHeader(head[off : off+headerSize])
		if err != nil {
			p.warn(fmt.Sprintf("header %d", i+1), off, "%v", err)
			continue
		}
		hs[i], valid[i] = h, true
	}
	switch {
	case !valid[0] && !valid[1]:
		p.corrupt("headers", header1Offset, "neither header is valid, so there is no current header")
		return false
	case valid[0] && valid[1]:
		l.hdrSlot = 0
		if hs[1].Sequence > hs[0].Sequence {
			l.hdrSlot = 1
		} else if hs[1].Sequence == hs[0].Sequence && hs[0] != hs[1] {
			p.warn("headers", header1Offset, "both headers have SequenceNumber %d but differ; using header 1", hs[0].Sequence)
		}
	case valid[1]:
		l.hdrSlot = 1
	}
	l.hdr = hs[l.hdrSlot]
	where := fmt.Sprintf("header %d (current)", l.hdrSlot+1)
	off := headerOffsets[l.hdrSlot]
	h := l.hdr
	ok := true
	if h.Version != 1 {
		p.unsupported(where, off, "Version is %d, want 1", h.Version)
		ok = false
	}
	if h.LogVersion != 0 {
		p.unsupported(where, off, "LogVersion is %d, want 0", h.LogVersion)
		ok = false
	}
	if h.LogOffset%miB != 0 || h.LogLength%miB != 0 {
		p.corrupt(where, off, "LogOffset 0x%x and LogLength 0x%x must be multiples of 1 MiB", h.LogOffset, h.LogLength)
		return false
	}
	if h.LogLength > 0 && (h.LogOffset < headerSectionSize || h.LogOffset > uint64(l.size) || h.LogOffset+uint64(h.LogLength) > uint64(l.size)) {
		p.corrupt(where, off, "the log (0x%x, %d bytes) lies outside the file after the header section", h.LogOffset, h.LogLength)
		return false
	}
	if h.Log != (uuid.UUID{}) && h.LogLength > 0 && l.logHasEntries(p) {
		p.unsupported("log", int64(h.LogOffset), "the log holds entries for LogGuid {%s}; log replay is not supported (open and close the disk with Hyper-V to flush it)", h.Log)
		return false
	}
	return ok
}

// logHasEntries reports whether any 4 KiB log sector starts an entry
// of the current LogGuid (MS-VHDX 2.3.1.1). A zero LogGuid means an
// empty log; entries of another LogGuid are stale and never replayed.
// This is conservative: an entry that a full replay would discard (a
// broken sequence) still refuses the file.
func (l *layer) logHasEntries(p *problems) bool {
	buf := make([]byte, miB)
	for pos := int64(0); pos < int64(l.hdr.LogLength); pos += miB {
		if _, err := l.f.ReadAt(buf, int64(l.hdr.LogOffset)+pos); err != nil {
			p.corrupt("log", int64(l.hdr.LogOffset)+pos, "read: %v", err)
			return true
		}
		for s := 0; s < miB; s += 4 * kiB {
			if string(buf[s:s+4]) == sigLogEntry && getGUID(buf[s+32:]) == l.hdr.Log {
				return true
			}
		}
	}
	return false
}

// parseRegions reads the region table (MS-VHDX 2.2.3): table 1 unless it
// is damaged, then table 2.
func (l *layer) parseRegions(head []byte, p *problems) bool {
	t1, err1 := parseRegionTable(head[regionTable1Offset : regionTable1Offset+regionTableSize])
	t2, err2 := parseRegionTable(head[regionTable2Offset : regionTable2Offset+regionTableSize])
	if err1 != nil {
		p.warn("region table 1", regionTable1Offset, "%v", err1)
	}
	if err2 != nil {
		p.warn("region table 2", regionTable2Offset, "%v", err2)
	}
	table, tableOff, name := t1, int64(regionTable1Offset), "region table 1"
	switch {
	case err1 != nil && err2 != nil:
		p.corrupt("region tables", regionTable1Offset, "neither region table is valid")
		return false
	case err1 != nil:
		table, tableOff, name = t2, regionTable2Offset, "region table 2"
	case err2 == nil && !sameRegions(t1, t2):
		p.warn("region table 2", regionTable2Offset, "differs from region table 1")
	}
	ok := true
	seen := map[uuid.UUID]bool{}
	for i, e := range table {
		where := fmt.Sprintf("%s entry %d (%s)", name, i, regionName(e.GUID))
		off := tableOff + 16 + 32*int64(i)
		switch {
		case seen[e.GUID]:
			p.corrupt(where, off, "the GUID appears twice")
			ok = false
		case e.FileOffset < headerSectionSize || e.FileOffset%miB != 0 || e.Length%miB != 0:
			p.corrupt(where, off, "FileOffset 0x%x must be a multiple of 1 MiB of at least 1 MiB and Length 0x%x a multiple of 1 MiB", e.FileOffset, e.Length)
			ok = false
		case e.FileOffset > uint64(l.size) || e.FileOffset+uint64(e.Length) > uint64(l.size):
			p.corrupt(where, off, "the region (0x%x, %d bytes) extends past the end of the file (%d bytes)", e.FileOffset, e.Length, l.size)
			ok = false
		}
		seen[e.GUID] = true
		switch e.GUID {
		case guidBATRegion:
			l.batRegion = e
		case guidMetadataRegion:
			l.metaRegion = e
		default:
			if e.Required {
				p.unsupported(where, off, "a required region this implementation does not know")
				ok = false
			}
		}
	}
	if !seen[guidBATRegion] {
		p.corrupt(name, tableOff, "no BAT region {%s}", guidBATRegion)
		ok = false
	}
	if !seen[guidMetadataRegion] {
		p.corrupt(name, tableOff, "no metadata region {%s}", guidMetadataRegion)
		ok = false
	}
	return ok
}

func sameRegions(a, b []regionEntry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
