package vhdx

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/google/uuid"
)

const (
	kiB = 1 << 10
	miB = 1 << 20

	// The header section: five 64 KiB structures in the first 1 MiB
	// (MS-VHDX 2.2).
	fileIdentifierOffset = 0
	header1Offset        = 64 * kiB
	header2Offset        = 128 * kiB
	regionTable1Offset   = 192 * kiB
	regionTable2Offset   = 256 * kiB
	headerSectionSize    = 1 * miB

	headerSize         = 4 * kiB  // MS-VHDX 2.2.2
	regionTableSize    = 64 * kiB // MS-VHDX 2.2.3
	maxRegionEntries   = 2047     // MS-VHDX 2.2.3.1
	metadataTableSize  = 64 * kiB // MS-VHDX 2.6.1
	maxMetadataEntries = 2047     // MS-VHDX 2.6.1.1
	maxMetadataItem    = 1 * miB  // MS-VHDX 2.6.1.2

	// Layout of the files this package writes (doc.go).
	logOffset      = 1 * miB
	logLength      = 1 * miB
	metadataOffset = 2 * miB
	metadataLength = 1 * miB
	batOffset      = 3 * miB

	// Sector bitmap blocks are 1 MiB and describe 2^23 sectors
	// (MS-VHDX 2.4).
	sectorBitmapBlockSize = 1 * miB
	sectorsPerBitmapBlock = 1 << 23

	minBlockSize   = 1 * miB
	maxBlockSize   = 256 * miB
	maxVirtualSize = 64 << 40 // MS-VHDX 2.6.2.2

	// DefaultBlockSize is the payload block size of a new dynamic disk,
	// Hyper-V's default for dynamic VHDX files.
	DefaultBlockSize = 32 * miB
	// DefaultLogicalSectorSize and DefaultPhysicalSectorSize are
	// New-VHD's defaults.
	DefaultLogicalSectorSize  = 512
	DefaultPhysicalSectorSize = 4096
)

// Signatures (MS-VHDX 2.2.1, 2.2.2, 2.2.3.1, 2.3.1.1, 2.6.1.1).
const (
	sigFile     = "vhdxfile"
	sigHeader   = "head"
	sigRegion   = "regi"
	sigMetadata = "metadata"
	sigLogEntry = "loge"
)

// BAT entry states (MS-VHDX 2.5.1.1, 2.5.1.2). An entry is State in bits
// 0-2, reserved bits 3-19 and FileOffsetMB in bits 20-63.
const (
	payloadNotPresent       = 0
	payloadUndefined        = 1
	payloadZero             = 2
	payloadUnmapped         = 3
	payloadFullyPresent     = 6
	payloadPartiallyPresent = 7

	sbNotPresent = 0
	sbPresent    = 6

	batStateMask    = 0x7
	batReservedMask = 0xFFFF8 // bits 3-19
)

func batState(e uint64) uint8      { return uint8(e & batStateMask) }
func batFileOffset(e uint64) int64 { return int64(e>>20) << 20 }
func batEntry(state uint8, fileOffset int64) uint64 {
	return uint64(fileOffset)&^(miB-1) | uint64(state)
}

func payloadStateName(s uint8) string {
	switch s {
	case payloadNotPresent:
		return "PAYLOAD_BLOCK_NOT_PRESENT"
	case payloadUndefined:
		return "PAYLOAD_BLOCK_UNDEFINED"
	case payloadZero:
		return "PAYLOAD_BLOCK_ZERO"
	case payloadUnmapped:
		return "PAYLOAD_BLOCK_UNMAPPED"
	case payloadFullyPresent:
		return "PAYLOAD_BLOCK_FULLY_PRESENT"
	case payloadPartiallyPresent:
		return "PAYLOAD_BLOCK_PARTIALLY_PRESENT"
	}
	return fmt.Sprintf("reserved state %d", s)
}

var le = binary.LittleEndian

// fileIdentifier builds the 64 KiB file type identifier (MS-VHDX 2.2.1):
// the signature and a UTF-16 creator string of at most 256 characters.
func fileIdentifier(creator string) []byte {
	b := make([]byte, 64*kiB)
	copy(b, sigFile)
	u := utf16.Encode([]rune(creator))
	if len(u) > 255 { // keep a terminating NUL inside Creator[256]
		u = u[:255]
	}
	for i, c := range u {
		le.PutUint16(b[8+2*i:], c)
	}
	return b
}

// header is one of the two 4 KiB headers (MS-VHDX 2.2.2).
type header struct {
	Sequence   uint64
	FileWrite  uuid.UUID
	DataWrite  uuid.UUID
	Log        uuid.UUID
	LogVersion uint16
	Version    uint16
	LogLength  uint32
	LogOffset  uint64
}

func (h header) marshal() []byte {
	b := make([]byte, headerSize)
	copy(b, sigHeader)
	le.PutUint64(b[8:], h.Sequence)
	putGUID(b[16:], h.FileWrite)
	putGUID(b[32:], h.DataWrite)
	putGUID(b[48:], h.Log)
	le.PutUint16(b[64:], h.LogVersion)
	le.PutUint16(b[66:], h.Version)
	le.PutUint32(b[68:], h.LogLength)
	le.PutUint64(b[72:], h.LogOffset)
	le.PutUint32(b[4:], checksum(b))
	return b
}

// parseHeader decodes a header; it fails when the signature or the
// checksum is wrong, which is what makes a header invalid (MS-VHDX 2.2.2).
func parseHeader(b []byte) (header, error) {
	if string(b[:4]) != sigHeader {
		return header{}, fmt.Errorf("signature is %q, want %q", b[:4], sigHeader)
	}
	if got, want := le.Uint32(b[4:]), checksum(b[:headerSize]); got != want {
		return header{}, fmt.Errorf("checksum is 0x%08x, computed CRC-32C is 0x%08x", got, want)
	}
	return header{
		Sequence:   le.Uint64(b[8:]),
		FileWrite:  getGUID(b[16:]),
		DataWrite:  getGUID(b[32:]),
		Log:        getGUID(b[48:]),
		LogVersion: le.Uint16(b[64:]),
		Version:    le.Uint16(b[66:]),
		LogLength:  le.Uint32(b[68:]),
		LogOffset:  le.Uint64(b[72:]),
	}, nil
}

// regionEntry is a region table entry (MS-VHDX 2.2.3.2).
type regionEntry struct {
	GUID       uuid.UUID
	FileOffset uint64
	Length     uint32
	Required   bool
}

func regionName(g uuid.UUID) string {
	switch g {
	case guidBATRegion:
		return "BAT region"
	case guidMetadataRegion:
		return "metadata region"
	}
	return "region {" + g.String() + "}"
}

func marshalRegionTable(entries []regionEntry) []byte {
	b := make([]byte, regionTableSize)
	copy(b, sigRegion)
	le.PutUint32(b[8:], uint32(len(entries)))
	for i, e := range entries {
		p := b[16+32*i:]
		putGUID(p, e.GUID)
		le.PutUint64(p[16:], e.FileOffset)
		le.PutUint32(p[24:], e.Length)
		if e.Required {
			le.PutUint32(p[28:], 1)
		}
	}
	le.PutUint32(b[4:], checksum(b))
	return b
}

// parseRegionTable decodes a 64 KiB region table, checking its
// signature, checksum and entry count (MS-VHDX 2.2.3.1).
func parseRegionTable(b []byte) ([]regionEntry, error) {
	if string(b[:4]) != sigRegion {
		return nil, fmt.Errorf("signature is %q, want %q", b[:4], sigRegion)
	}
	if got, want := le.Uint32(b[4:]), checksum(b[:regionTableSize]); got != want {
		return nil, fmt.Errorf("checksum is 0x%08x, computed CRC-32C is 0x%08x", got, want)
	}
	n := le.Uint32(b[8:])
	if n > maxRegionEntries {
		return nil, fmt.Errorf("EntryCount %d exceeds %d", n, maxRegionEntries)
	}
	entries := make([]regionEntry, n)
	for i := range entries {
		p := b[16+32*i:]
		entries[i] = regionEntry{
			GUID:       getGUID(p),
			FileOffset: le.Uint64(p[16:]),
			Length:     le.Uint32(p[24:]),
			Required:   le.Uint32(p[28:])&1 != 0,
		}
	}
	return entries, nil
}

// metadataEntry is a metadata table entry (MS-VHDX 2.6.1.2).
type metadataEntry struct {
	ItemID        uuid.UUID
	Offset        uint32 // relative to the metadata region
	Length        uint32
	IsUser        bool
	IsVirtualDisk bool
	IsRequired    bool
}

func (e metadataEntry) marshal(p []byte) {
	putGUID(p, e.ItemID)
	le.PutUint32(p[16:], e.Offset)
	le.PutUint32(p[20:], e.Length)
	var flags uint32
	if e.IsUser {
		flags |= 1
	}
	if e.IsVirtualDisk {
		flags |= 2
	}
	if e.IsRequired {
		flags |= 4
	}
	le.PutUint32(p[24:], flags)
	le.PutUint32(p[28:], 0)
}

func parseMetadataEntry(p []byte) metadataEntry {
	flags := le.Uint32(p[24:])
	return metadataEntry{
		ItemID:        getGUID(p),
		Offset:        le.Uint32(p[16:]),
		Length:        le.Uint32(p[20:]),
		IsUser:        flags&1 != 0,
		IsVirtualDisk: flags&2 != 0,
		IsRequired:    flags&4 != 0,
	}
}

// knownItem describes a system metadata item this package understands:
// its name, its exact length and the flags the spec gives it
// (MS-VHDX 2.6.2, table of known metadata items).
type knownItem struct {
	name          string
	length        uint32 // 0: variable
	isVirtualDisk bool
}

var knownItems = map[uuid.UUID]knownItem{
	guidFileParameters:     {"File Parameters", 8, false},
	guidVirtualDiskSize:    {"Virtual Disk Size", 8, true},
	guidVirtualDiskID:      {"Virtual Disk ID (Page 83 Data)", 16, true},
	guidLogicalSectorSize:  {"Logical Sector Size", 4, true},
	guidPhysicalSectorSize: {"Physical Sector Size", 4, true},
	guidParentLocator:      {"Parent Locator", 0, false},
}

func itemName(g uuid.UUID) string {
	if k, ok := knownItems[g]; ok {
		return k.name
	}
	return "item {" + g.String() + "}"
}

// geometry is what the metadata items imply for the BAT (MS-VHDX 2.5).
type geometry struct {
	virtualSize   uint64
	blockSize     uint64
	logicalSector uint64
	differencing  bool
	chunkRatio    uint64 // payload blocks per sector bitmap block
	payloadBlocks uint64
	bitmapBlocks  uint64
	batEntries    uint64
}

// newGeometry computes the BAT shape; the arguments must be valid
// (a power-of-two block size of 1-256 MiB, a 512 or 4096 sector).
func newGeometry(virtualSize, blockSize, logicalSector uint64, differencing bool) geometry {
	g := geometry{
		virtualSize:   virtualSize,
		blockSize:     blockSize,
		logicalSector: logicalSector,
		differencing:  differencing,
		chunkRatio:    sectorsPerBitmapBlock * logicalSector / blockSize,
	}
	g.payloadBlocks = ceilDiv(virtualSize, blockSize)
	g.bitmapBlocks = ceilDiv(g.payloadBlocks, g.chunkRatio)
	switch {
	case differencing:
		// The last entry is the sector bitmap entry of the last chunk.
		g.batEntries = g.bitmapBlocks * (g.chunkRatio + 1)
	case g.payloadBlocks > 0:
		// The last entry is the last payload block's.
		g.batEntries = g.payloadBlocks + (g.payloadBlocks-1)/g.chunkRatio
	}
	return g
}

// payloadIndex is the BAT index of payload block b: after every
// chunkRatio payload entries comes one sector bitmap entry.
func (g geometry) payloadIndex(b uint64) uint64 { return b + b/g.chunkRatio }

// bitmapIndex is the BAT index of the sector bitmap block of chunk c.
func (g geometry) bitmapIndex(c uint64) uint64 { return c*(g.chunkRatio+1) + g.chunkRatio }

// isBitmapIndex tells whether BAT index i holds a sector bitmap entry.
func (g geometry) isBitmapIndex(i uint64) bool { return i%(g.chunkRatio+1) == g.chunkRatio }

func ceilDiv(a, b uint64) uint64 { return (a + b - 1) / b }

func alignUp(v, a int64) int64 { return (v + a - 1) / a * a }

func isPow2(v uint64) bool { return v != 0 && v&(v-1) == 0 }
