package vhdx

import (
	"hash/crc32"

	"github.com/google/uuid"
)

// Known GUIDs, as the spec spells them (MS-VHDX 2.2.3.2, 2.6.2, 2.6.2.6.3).
var (
	guidBATRegion      = uuid.MustParse("2DC27766-F623-4200-9D64-115E9BFD4A08")
	guidMetadataRegion = uuid.MustParse("8B7CA206-4790-4B9A-B8FE-575F050F886E")

	guidFileParameters     = uuid.MustParse("CAA16737-FA36-4D43-B3B6-33F0AA44E76B")
	guidVirtualDiskSize    = uuid.MustParse("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
	guidVirtualDiskID      = uuid.MustParse("BECA12AB-B2E6-4523-93EF-C309E000C746") // "Page 83 Data"
	guidLogicalSectorSize  = uuid.MustParse("8141BF1D-A96F-4709-BA47-F233A8FAAB5F")
	guidPhysicalSectorSize = uuid.MustParse("CDA348C7-445D-4471-9CC9-E9885251C556")
	guidParentLocator      = uuid.MustParse("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C")

	// LocatorTypeVHDX is the only parent locator type the spec defines
	// (MS-VHDX 2.6.2.6.3).
	LocatorTypeVHDX = uuid.MustParse("B04AEFB7-D19E-4A81-B789-25B8E9445913")
)

// putGUID stores u in the Windows GUID layout the spec uses ("a GUID in
// binary form", MS-DTYP 2.3.4.2): Data1, Data2 and Data3 little-endian,
// Data4 as bytes. uuid.UUID holds the RFC 4122 (big-endian) layout.
func putGUID(b []byte, u uuid.UUID) {
	b[0], b[1], b[2], b[3] = u[3], u[2], u[1], u[0]
	b[4], b[5] = u[5], u[4]
	b[6], b[7] = u[7], u[6]
	copy(b[8:16], u[8:16])
}

// getGUID reads a GUID stored by putGUID.
func getGUID(b []byte) uuid.UUID {
	var u uuid.UUID
	u[0], u[1], u[2], u[3] = b[3], b[2], b[1], b[0]
	u[4], u[5] = b[5], b[4]
	u[6], u[7] = b[7], b[6]
	copy(u[8:16], b[8:16])
	return u
}

// crc32cTable is CRC-32C (Castagnoli), the checksum of headers, region
// tables and log entries (MS-VHDX 2.2.2, 2.2.3.1, 2.3.1.1).
var crc32cTable = crc32.MakeTable(crc32.Castagnoli)

// checksum computes the CRC-32C of b with the 4-byte checksum field at
// b[4:8] taken as zero, as every checksummed VHDX structure requires.
func checksum(b []byte) uint32 {
	var zero [4]byte
	c := crc32.Update(0, crc32cTable, b[:4])
	c = crc32.Update(c, crc32cTable, zero[:])
	return crc32.Update(c, crc32cTable, b[8:])
}
