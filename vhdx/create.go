package vhdx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"
)

// Options shape a new disk. Zero fields take the defaults.
type Options struct {
	// BlockSize is the payload block size: a power of two from 1 MiB to
	// 256 MiB. Default DefaultBlockSize; a differencing disk defaults to
	// its parent's.
	BlockSize uint32
	// LogicalSectorSize is 512 (default) or 4096; PhysicalSectorSize is
	// 512 or 4096 (default). A differencing disk takes both from its
	// parent; a non-zero value that differs is an error.
	LogicalSectorSize  uint32
	PhysicalSectorSize uint32
	// VirtualDiskID is the Page 83 identifier; zero means a new random
	// one. A differencing disk copies its parent's, as the spec copies
	// every IsVirtualDisk item when forking (MS-VHDX 2.6.1.2).
	VirtualDiskID uuid.UUID
	// Creator goes into the file type identifier; default "hvport vhdx".
	Creator string
	// ParentRelativePath and ParentAbsoluteWin32Path override the
	// locator paths CreateDifferencing computes (Windows form, see
	// WindowsPath).
	ParentRelativePath      string
	ParentAbsoluteWin32Path string
}

const defaultCreator = "hvport vhdx"

// fileSpec is everything a new file's metadata says.
type fileSpec struct {
	virtualSize    uint64
	blockSize      uint32
	logicalSector  uint32
	physicalSector uint32
	diskID         uuid.UUID
	locator        *ParentLocator
	creator        string
}

func (s fileSpec) validate() error {
	switch {
	case !isPow2(uint64(s.blockSize)) || s.blockSize < minBlockSize || s.blockSize > maxBlockSize:
		return fmt.Errorf("vhdx: block size %d is not a power of two between 1 MiB and 256 MiB", s.blockSize)
	case s.logicalSector != 512 && s.logicalSector != 4096:
		return fmt.Errorf("vhdx: logical sector size %d is neither 512 nor 4096", s.logicalSector)
	case s.physicalSector != 512 && s.physicalSector != 4096:
		return fmt.Errorf("vhdx: physical sector size %d is neither 512 nor 4096", s.physicalSector)
	case s.virtualSize == 0 || s.virtualSize > maxVirtualSize || s.virtualSize%uint64(s.logicalSector) != 0:
		return fmt.Errorf("vhdx: virtual size %d is not a positive multiple of %d of at most 64 TiB", s.virtualSize, s.logicalSector)
	}
	return nil
}

// Create writes a new, empty dynamic VHDX of virtualSize bytes at path,
// which must not exist. The file is a few MiB whatever the size: the
// header section, a 1 MiB empty log, the metadata region and the BAT
// (doc.go).
func Create(path string, virtualSize uint64, opts Options) error {
	s := fileSpec{
		virtualSize:    virtualSize,
		blockSize:      orDefault(opts.BlockSize, DefaultBlockSize),
		logicalSector:  orDefault(opts.LogicalSectorSize, DefaultLogicalSectorSize),
		physicalSector: orDefault(opts.PhysicalSectorSize, DefaultPhysicalSectorSize),
		diskID:         opts.VirtualDiskID,
		creator:        opts.Creator,
	}
	if s.diskID == (uuid.UUID{}) {
		s.diskID = uuid.New()
	}
	return writeNewFile(path, s)
}

// CreateDifferencing writes a new differencing VHDX at path whose parent
// is parentPath (MS-VHDX 2.6.2.6): the virtual size, sector sizes and
// disk ID are the parent's, the parent locator records the parent's
// DataWriteGuid as parent_linkage and its relative and absolute paths.
// The parent must not be written afterwards: that changes its
// DataWriteGuid and breaks the link.
func CreateDifferencing(path, parentPath string, opts Options) error {
	f, err := os.Open(parentPath)
	if err != nil {
		return fmt.Errorf("vhdx: parent: %w", err)
	}
	pl, p := parseLayer(f, parentPath)
	f.Close()
	if p.failed() {
		return fmt.Errorf("vhdx: parent: %w", p.openErr())
	}
	if (opts.LogicalSectorSize != 0 && opts.LogicalSectorSize != pl.logicalSector) ||
		(opts.PhysicalSectorSize != 0 && opts.PhysicalSectorSize != pl.physicalSector) {
		return fmt.Errorf("vhdx: sector sizes %d/%d differ from the parent's %d/%d",
			opts.LogicalSectorSize, opts.PhysicalSectorSize, pl.logicalSector, pl.physicalSector)
	}
	loc := ParentLocator{Type: LocatorTypeVHDX, Entries: []KeyValue{
		{KeyParentLinkage, bracedGUID(pl.hdr.DataWrite)},
	}}
	rel := opts.ParentRelativePath
	if rel == "" {
		rel, _ = relativeWindowsPath(path, parentPath)
	}
	if rel != "" {
		loc.Entries = append(loc.Entries, KeyValue{KeyRelativePath, rel})
	}
	abs := opts.ParentAbsoluteWin32Path
	if abs == "" {
		if a, err := filepath.Abs(parentPath); err == nil {
			abs = WindowsPath(a)
		}
	}
	if abs != "" {
		loc.Entries = append(loc.Entries, KeyValue{KeyAbsoluteWin32Path, abs})
	}
	return writeNewFile(path, fileSpec{
		virtualSize:    pl.virtualSize,
		blockSize:      orDefault(opts.BlockSize, pl.blockSize),
		logicalSector:  pl.logicalSector,
		physicalSector: pl.physicalSector,
		diskID:         pl.diskID,
		locator:        &loc,
		creator:        opts.Creator,
	})
}

func orDefault(v, def uint32) uint32 {
	if v == 0 {
		return def
	}
	return v
}

// writeNewFile lays out a new file (doc.go). The headers go last, so an
// interrupted create leaves a file that no reader accepts; on failure
// the file is removed.
func writeNewFile(path string, s fileSpec) (err error) {
	if err := s.validate(); err != nil {
		return err
	}
	if s.locator != nil {
		if err := s.locator.validate(); err != nil {
			return fmt.Errorf("vhdx: parent locator: %w", err)
		}
	}
	if s.creator == "" {
		s.creator = defaultCreator
	}
	meta, err := metadataRegion(s)
	if err != nil {
		return err
	}
	g := newGeometry(s.virtualSize, uint64(s.blockSize), uint64(s.logicalSector), s.locator != nil)
	batLength := max(alignUp(int64(g.batEntries)*8, miB), miB)
	regions := []regionEntry{
		{GUID: guidMetadataRegion, FileOffset: metadataOffset, Length: metadataLength, Required: true},
		{GUID: guidBATRegion, FileOffset: batOffset, Length: uint32(batLength), Required: true},
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("vhdx: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("vhdx: %w", cerr)
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	rt := marshalRegionTable(regions)
	h := header{
		FileWrite: uuid.New(),
		DataWrite: uuid.New(),
		Version:   1,
		LogLength: logLength,
		LogOffset: logOffset,
	}
	h1, h2 := h, h
	h1.Sequence, h2.Sequence = 1, 2
	writes := []struct {
		off int64
		b   []byte
	}{
		{fileIdentifierOffset, fileIdentifier(s.creator)},
		{regionTable1Offset, rt},
		{regionTable2Offset, rt},
		{metadataOffset, meta},
	}
	for _, w := range writes {
		if err := writeNonZeroPages(f, w.b, w.off); err != nil {
			return fmt.Errorf("vhdx: %s: %w", path, err)
		}
	}
	// The log and the BAT are zeros: an empty log (LogGuid is zero) and
	// every block NOT_PRESENT. Growing the file makes them.
	if err := f.Truncate(batOffset + batLength); err != nil {
		return fmt.Errorf("vhdx: %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("vhdx: %s: %w", path, err)
	}
	for _, w := range []struct {
		off int64
		h   header
	}{{header1Offset, h1}, {header2Offset, h2}} {
		if _, err := f.WriteAt(w.h.marshal(), w.off); err != nil {
			return fmt.Errorf("vhdx: %s: %w", path, err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("vhdx: %s: %w", path, err)
	}
	return nil
}

// metadataRegion builds the metadata table and items (MS-VHDX 2.6): the
// items packed after the 64 KiB table, with the flags the spec's table
// of known items gives them.
func metadataRegion(s fileSpec) ([]byte, error) {
	type item struct {
		id    uuid.UUID
		value []byte
	}
	fp := make([]byte, 8)
	le.PutUint32(fp, s.blockSize)
	if s.locator != nil {
		le.PutUint32(fp[4:], 2) // HasParent
	}
	vs := make([]byte, 8)
	le.PutUint64(vs, s.virtualSize)
	id := make([]byte, 16)
	putGUID(id, s.diskID)
	ls := make([]byte, 4)
	le.PutUint32(ls, s.logicalSector)
	ps := make([]byte, 4)
	le.PutUint32(ps, s.physicalSector)
	items := []item{
		{guidFileParameters, fp},
		{guidVirtualDiskSize, vs},
		{guidVirtualDiskID, id},
		{guidLogicalSectorSize, ls},
		{guidPhysicalSectorSize, ps},
	}
	if s.locator != nil {
		b, err := s.locator.marshal()
		if err != nil {
			return nil, err
		}
		items = append(items, item{guidParentLocator, b})
	}
	size := metadataTableSize
	for _, it := range items {
		size += len(it.value)
	}
	if size > metadataLength {
		return nil, errors.New("vhdx: metadata items do not fit in the 1 MiB metadata region")
	}
	b := make([]byte, size)
	copy(b, sigMetadata)
	le.PutUint16(b[10:], uint16(len(items)))
	off := metadataTableSize
	for i, it := range items {
		metadataEntry{
			ItemID:        it.id,
			Offset:        uint32(off),
			Length:        uint32(len(it.value)),
			IsVirtualDisk: knownItems[it.id].isVirtualDisk,
			IsRequired:    true,
		}.marshal(b[32+32*i:])
		off += copy(b[off:], it.value)
	}
	return b, nil
}

// writeNonZeroPages writes b at off in a new file, leaving out the 4 KiB
// pages of the file that b only fills with zeros: the file reads the
// same, and a sparse file system allocates only what holds data (the
// metadata region is 1 MiB of mostly zeros), as the copies made of it
// will (internal/fcopy keeps the source's allocation).
func writeNonZeroPages(f *os.File, b []byte, off int64) error {
	const page = 4 << 10
	for i := 0; i < len(b); {
		// The end of the file page that b[i] falls in.
		end := min(len(b), i+int(page-(off+int64(i))%page))
		if !isZero(b[i:end]) {
			if _, err := f.WriteAt(b[i:end], off+int64(i)); err != nil {
				return err
			}
		}
		i = end
	}
	return nil
}
