package vhdx

import (
	"fmt"
	"io"
	"sort"
)

// parseBAT reads the BAT and checks every entry (MS-VHDX 2.5): states
// valid for the disk type, blocks inside the file, no two allocations
// (blocks, regions, log, header section) sharing bytes.
func (l *layer) parseBAT(p *problems) {
	l.geo = newGeometry(l.virtualSize, uint64(l.blockSize), uint64(l.logicalSector), l.hasParent)
	g := l.geo
	region := int64(l.batRegion.FileOffset)
	if g.batEntries*8 > uint64(l.batRegion.Length) {
		p.corrupt("BAT region", region, "Length %d holds fewer than the %d entries a %d-byte disk with %d-byte blocks needs", l.batRegion.Length, g.batEntries, l.virtualSize, l.blockSize)
		return
	}
	raw := make([]byte, g.batEntries*8)
	if _, err := l.f.ReadAt(raw, region); err != nil && err != io.EOF {
		p.corrupt("BAT region", region, "read: %v", err)
		return
	}
	l.bat = make([]uint64, g.batEntries)
	for i := range l.bat {
		l.bat[i] = le.Uint64(raw[8*i:])
	}
	spans := []span{{0, headerSectionSize, "the header section"}}
	if l.hdr.LogLength > 0 {
		spans = append(spans, span{int64(l.hdr.LogOffset), int64(l.hdr.LogOffset) + int64(l.hdr.LogLength), "the log"})
	}
	spans = append(spans,
		span{region, region + int64(l.batRegion.Length), "the BAT region"},
		span{int64(l.metaRegion.FileOffset), int64(l.metaRegion.FileOffset) + int64(l.metaRegion.Length), "the metadata region"})
	for i, e := range l.bat {
		if e == 0 {
			continue // NOT_PRESENT, the common case: nothing to check or name
		}
		idx := uint64(i)
		off := region + 8*int64(i)
		state, fileOff := batState(e), batFileOffset(e)
		if g.isBitmapIndex(idx) {
			where := fmt.Sprintf("BAT entry %d (sector bitmap block %d)", i, idx/(g.chunkRatio+1))
			switch {
			case state == sbNotPresent:
				continue
			case state != sbPresent:
				p.corrupt(where, off, "state %d is reserved", state)
				continue
			case !l.hasParent:
				p.corrupt(where, off, "SB_BLOCK_PRESENT in a dynamic disk (MS-VHDX 2.5.1.2)")
				continue
			}
			l.checkBlock(p, where, off, fileOff, sectorBitmapBlockSize, &spans)
			continue
		}
		block := idx - idx/(g.chunkRatio+1)
		where := fmt.Sprintf("BAT entry %d (payload block %d)", i, block)
		if e&batReservedMask != 0 {
			p.warn(where, off, "reserved bits 0x%x are set", e&batReservedMask)
		}
		switch state {
		case payloadNotPresent, payloadUndefined, payloadUnmapped:
		case payloadZero:
			if fileOff != 0 {
				p.warn(where, off, "PAYLOAD_BLOCK_ZERO with FileOffsetMB %d; the field is reserved and Hyper-V refuses it", fileOff>>20)
			}
		case payloadPartiallyPresent:
			if !l.hasParent {
				p.corrupt(where, off, "PAYLOAD_BLOCK_PARTIALLY_PRESENT in a dynamic disk (MS-VHDX 2.5.1.1)")
				continue
			}
			sb := g.bitmapIndex(block / g.chunkRatio)
			if sb >= uint64(len(l.bat)) || batState(l.bat[sb]) != sbPresent {
				p.corrupt(where, off, "PAYLOAD_BLOCK_PARTIALLY_PRESENT but the chunk's sector bitmap block (BAT entry %d) is not present (MS-VHDX 2.5.1.2)", sb)
				continue
			}
			fallthrough
		case payloadFullyPresent:
			l.checkBlock(p, where, off, fileOff, int64(l.blockSize), &spans)
		default:
			p.corrupt(where, off, "%s is not a valid payload state", payloadStateName(state))
		}
	}
	for _, o := range overlaps(spans) {
		p.corrupt(o[1].name, -1, "file bytes 0x%x-0x%x overlap %s", o[1].start, o[1].end, o[0].name)
	}
}

// checkBlock checks that an allocated block lies after the header
// section and inside the file, and records it for the overlap check.
func (l *layer) checkBlock(p *problems, where string, entryOff, fileOff, length int64, spans *[]span) {
	switch {
	case fileOff < headerSectionSize:
		p.corrupt(where, entryOff, "FileOffsetMB %d points into the header section", fileOff>>20)
	case fileOff > l.size-length:
		p.corrupt(where, entryOff, "the block (0x%x, %d bytes) extends past the end of the file (%d bytes)", fileOff, length, l.size)
	default:
		*spans = append(*spans, span{fileOff, fileOff + length, where})
	}
}

// span is a byte range of the file with a name for error messages.
type span struct {
	start, end int64
	name       string
}

// overlaps returns pairs of spans sharing bytes, at most maxProblems.
func overlaps(spans []span) [][2]span {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var out [][2]span
	var last span
	for i, s := range spans {
		if i > 0 && s.start < last.end {
			out = append(out, [2]span{last, s})
			if len(out) == maxProblems {
				break
			}
		}
		if i == 0 || s.end > last.end {
			last = s
		}
	}
	return out
}
