package vhdx

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/google/uuid"
)

// maxChainDepth bounds a differencing chain, so a locator loop fails
// instead of opening files forever.
const maxChainDepth = 64

// Disk is an open VHDX file and, for a differencing disk, its open
// parent chain. ReadAt may be called concurrently with itself and with
// WriteAt; writes are serialised.
type Disk struct {
	mu       sync.RWMutex
	l        *layer
	readOnly bool
	closed   bool

	parent     *Disk
	parentPath string

	// nextFree is where the next block is allocated: the end of the
	// file rounded up to 1 MiB, as blocks are 1 MiB aligned (MS-VHDX 2.5).
	nextFree int64
	// fileGUIDDone and dataGUIDDone record that this session has
	// already given the header a new FileWriteGuid / DataWriteGuid.
	fileGUIDDone, dataGUIDDone bool
	dirty                      bool
}

// Info describes an open disk.
type Info struct {
	Path               string
	VirtualSize        uint64
	BlockSize          uint32
	LogicalSectorSize  uint32
	PhysicalSectorSize uint32
	VirtualDiskID      uuid.UUID // the Page 83 Data item
	DataWriteGUID      uuid.UUID // changes with every session that writes data
	FileWriteGUID      uuid.UUID
	IsDifferencing     bool
	Parent             *ParentLocator // nil unless IsDifferencing
	ParentPath         string         // the parent file opened, "" unless IsDifferencing
	FileSize           int64
	AllocatedBlocks    int // payload blocks stored in this file
}

// Open opens a VHDX file for reading and writing (read-only when the file
// cannot be written) and, for a differencing disk, its parents read-only.
// resolve maps a parent locator to a file; nil means DefaultResolver.
// Each parent's DataWriteGuid must match the child's parent_linkage
// (MS-VHDX 2.6.2.6.3), or Open fails with ErrParent.
//
// A file whose log holds entries is refused (ErrUnsupported): this
// package never replays a log (doc.go).
func Open(path string, resolve func(locator ParentLocator) (string, error)) (*Disk, error) {
	return openChain(path, resolve, false, 0)
}

func openChain(path string, resolve func(ParentLocator) (string, error), readOnly bool, depth int) (*Disk, error) {
	if depth > maxChainDepth {
		return nil, fmt.Errorf("%w: %s: the chain is deeper than %d disks", ErrParent, path, maxChainDepth)
	}
	d, err := openLayer(path, readOnly)
	if err != nil {
		return nil, err
	}
	if !d.l.hasParent {
		return d, nil
	}
	if resolve == nil {
		resolve = DefaultResolver
	}
	pp, err := resolve(*d.l.locator)
	if err == nil && pp == "" {
		err = errNoParent
	}
	if err != nil {
		d.l.f.Close()
		if !errors.Is(err, ErrParent) {
			err = fmt.Errorf("%w: %s: %w", ErrParent, path, err)
		}
		return nil, err
	}
	parent, err := openChain(pp, resolve, true, depth+1)
	if err != nil {
		d.l.f.Close()
		return nil, fmt.Errorf("%s: opening parent: %w", path, err)
	}
	if err := checkLinkage(d.l, parent.l); err != nil {
		parent.Close()
		d.l.f.Close()
		return nil, err
	}
	d.parent, d.parentPath = parent, pp
	return d, nil
}

// checkLinkage verifies that parent is the disk child was forked from:
// the same DataWriteGuid (MS-VHDX 2.6.2.6.3) and the same virtual disk
// shape, which the fork copied (MS-VHDX 2.6.1.2, IsVirtualDisk).
func checkLinkage(child, parent *layer) error {
	ok := false
	for _, g := range child.locator.linkages() {
		ok = ok || g == parent.hdr.DataWrite
	}
	if !ok {
		v, _ := child.locator.Get(KeyParentLinkage)
		return fmt.Errorf("%w: %s: parent %s has DataWriteGuid {%s}, the child's parent_linkage is %s (the parent was modified after the child was created)",
			ErrParent, child.path, parent.path, parent.hdr.DataWrite, v)
	}
	if child.virtualSize != parent.virtualSize || child.logicalSector != parent.logicalSector {
		return fmt.Errorf("%w: %s: parent %s is %d bytes with %d-byte sectors, the child %d bytes with %d-byte sectors",
			ErrParent, child.path, parent.path, parent.virtualSize, parent.logicalSector, child.virtualSize, child.logicalSector)
	}
	return nil
}

// openLayer opens and validates one file without its parents.
func openLayer(path string, readOnly bool) (*Disk, error) {
	var f *os.File
	var err error
	if !readOnly {
		f, err = os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			if f2, err2 := os.Open(path); err2 == nil {
				f, err, readOnly = f2, nil, true
			}
		}
	} else {
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("vhdx: %w", err)
	}
	l, p := parseLayer(f, path)
	if p.failed() {
		f.Close()
		return nil, p.openErr()
	}
	return &Disk{l: l, readOnly: readOnly, nextFree: alignUp(l.size, miB)}, nil
}

// Info describes the disk; for a differencing disk, this file's view.
func (d *Disk) Info() Info {
	d.mu.RLock()
	defer d.mu.RUnlock()
	l := d.l
	info := Info{
		Path:               l.path,
		VirtualSize:        l.virtualSize,
		BlockSize:          l.blockSize,
		LogicalSectorSize:  l.logicalSector,
		PhysicalSectorSize: l.physicalSector,
		VirtualDiskID:      l.diskID,
		DataWriteGUID:      l.hdr.DataWrite,
		FileWriteGUID:      l.hdr.FileWrite,
		IsDifferencing:     l.hasParent,
		ParentPath:         d.parentPath,
		FileSize:           l.size,
	}
	if l.locator != nil {
		loc := *l.locator
		loc.Entries = append([]KeyValue(nil), loc.Entries...)
		info.Parent = &loc
	}
	for b := uint64(0); b < l.geo.payloadBlocks; b++ {
		if s := batState(l.bat[l.geo.payloadIndex(b)]); s == payloadFullyPresent || s == payloadPartiallyPresent {
			info.AllocatedBlocks++
		}
	}
	return info
}

// Size is the virtual size in bytes.
func (d *Disk) Size() int64 { return int64(d.l.virtualSize) }

// Parent is the open, read-only parent of a differencing disk, nil
// otherwise. d owns it: Close closes it.
func (d *Disk) Parent() *Disk { return d.parent }

// Flush makes written data and metadata durable.
func (d *Disk) Flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	return d.flushLocked()
}

func (d *Disk) flushLocked() error {
	if !d.dirty {
		return nil
	}
	if err := d.l.f.Sync(); err != nil {
		return fmt.Errorf("vhdx: %s: %w", d.l.path, err)
	}
	d.dirty = false
	return nil
}

// Close flushes and closes the disk and its parents.
func (d *Disk) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	d.closed = true
	err := d.flushLocked()
	if cerr := d.l.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("vhdx: %w", cerr)
	}
	if d.parent != nil {
		if perr := d.parent.Close(); err == nil {
			err = perr
		}
	}
	return err
}

// beginWrite prepares the first modification of a session by updating
// the headers (MS-VHDX 2.2.2.1): a new FileWriteGuid before anything in
// the file changes, and a new DataWriteGuid before the first change of
// user-visible data (data=true), so that children forked from the old
// contents no longer match it.
func (d *Disk) beginWrite(data bool) error {
	if d.closed {
		return ErrClosed
	}
	if d.readOnly {
		return fmt.Errorf("%w: %s", ErrReadOnly, d.l.path)
	}
	if d.fileGUIDDone && (d.dataGUIDDone || !data) {
		return nil
	}
	h := d.l.hdr
	if !d.fileGUIDDone {
		h.FileWrite = uuid.New()
	}
	if data && !d.dataGUIDDone {
		h.DataWrite = uuid.New()
	}
	// The log is empty (parseLayer refuses a log with entries), so a
	// zero LogGuid says so to every reader (MS-VHDX 2.2.2).
	h.Log = uuid.UUID{}
	if err := d.writeHeader(h); err != nil {
		return err
	}
	d.fileGUIDDone = true
	d.dataGUIDDone = d.dataGUIDDone || data
	return nil
}

// writeHeader installs h as the current header with the update procedure
// of MS-VHDX 2.2.2.1, done twice so both copies are up to date: write the
// non-current header with the next SequenceNumber, flush, and it becomes
// current.
func (d *Disk) writeHeader(h header) error {
	for range 2 {
		h.Sequence = d.l.hdr.Sequence + 1
		slot := 1 - d.l.hdrSlot
		if _, err := d.l.f.WriteAt(h.marshal(), headerOffsets[slot]); err != nil {
			return fmt.Errorf("vhdx: %s: writing header %d: %w", d.l.path, slot+1, err)
		}
		if err := d.l.f.Sync(); err != nil {
			return fmt.Errorf("vhdx: %s: %w", d.l.path, err)
		}
		d.l.hdr, d.l.hdrSlot = h, slot
	}
	return nil
}
