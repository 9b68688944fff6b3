package vhdx

import (
	"fmt"
	"io"
)

// ReadAt reads virtual disk bytes (io.ReaderAt). Blocks this file does
// not hold read as zeros in a dynamic disk and from the parent in a
// differencing disk; in a partially present block the sector bitmap says
// which sectors are here (MS-VHDX 2.4, 2.5.1).
func (d *Disk) ReadAt(p []byte, off int64) (int, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return 0, ErrClosed
	}
	if off < 0 {
		return 0, fmt.Errorf("vhdx: negative offset %d", off)
	}
	size := d.Size()
	if off >= size {
		return 0, io.EOF
	}
	n := len(p)
	if int64(n) > size-off {
		n = int(size - off)
	}
	if err := d.read(p[:n], off); err != nil {
		return 0, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// read fills p from virtual offset off; the range is inside the disk.
// Parents are never written, so reading them needs no lock.
func (d *Disk) read(p []byte, off int64) error {
	bs := int64(d.l.blockSize)
	for len(p) > 0 {
		block := uint64(off / bs)
		in := off % bs
		n := min(int64(len(p)), bs-in)
		e := d.l.bat[d.l.geo.payloadIndex(block)]
		var err error
		switch batState(e) {
		case payloadFullyPresent:
			err = d.readFile(p[:n], batFileOffset(e)+in)
		case payloadPartiallyPresent:
			err = d.readPartial(p[:n], off, block, batFileOffset(e))
		case payloadNotPresent:
			if d.parent != nil {
				err = d.parent.read(p[:n], off)
			} else {
				clear(p[:n])
			}
		default:
			// ZERO reads zeros; UNDEFINED and UNMAPPED may read anything,
			// and zeros are one of the choices (MS-VHDX 2.5.1.1).
			clear(p[:n])
		}
		if err != nil {
			return err
		}
		p, off = p[n:], off+n
	}
	return nil
}

func (d *Disk) readFile(p []byte, fileOff int64) error {
	if _, err := d.l.f.ReadAt(p, fileOff); err != nil {
		return fmt.Errorf("vhdx: %s: reading 0x%x: %w", d.l.path, fileOff, err)
	}
	return nil
}

// readPartial reads part of a PAYLOAD_BLOCK_PARTIALLY_PRESENT block: runs
// of sectors whose bitmap bit is 1 from this file, the others from the
// parent.
func (d *Disk) readPartial(p []byte, off int64, block uint64, blockOff int64) error {
	lss := int64(d.l.logicalSector)
	first := off / lss
	last := (off + int64(len(p)) - 1) / lss
	bits, err := d.bitmap(first, last+1)
	if err != nil {
		return err
	}
	blockStart := int64(block) * int64(d.l.blockSize)
	end := off + int64(len(p))
	for pos := off; pos < end; {
		sec := pos / lss
		here := bits.get(sec - first)
		runEnd := (sec + 1) * lss
		for runEnd < end && bits.get(runEnd/lss-first) == here {
			runEnd += lss
		}
		runEnd = min(runEnd, end)
		q := p[pos-off : runEnd-off]
		if here {
			err = d.readFile(q, blockOff+pos-blockStart)
		} else {
			err = d.parent.read(q, pos)
		}
		if err != nil {
			return err
		}
		pos = runEnd
	}
	return nil
}

// WriteAt writes virtual disk bytes (io.WriterAt); it cannot grow the
// disk. The first write of a session gives the file a new DataWriteGuid,
// so differencing disks made from the old contents no longer open.
//
// Blocks are allocated at the end of the file. The order of the writes
// keeps a crash from exposing garbage: data first, then the sector
// bitmap, then the BAT entry that makes them visible. Nothing is flushed
// until Flush or Close.
func (d *Disk) WriteAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if off < 0 || off > d.Size() || int64(len(p)) > d.Size()-off {
		return 0, fmt.Errorf("vhdx: write of %d bytes at %d is outside the %d-byte disk", len(p), off, d.Size())
	}
	if d.closed {
		return 0, ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := d.beginWrite(true); err != nil {
		return 0, err
	}
	d.dirty = true
	n := len(p)
	if d.parent != nil {
		// The sector bitmap has one bit per sector, so a differencing
		// disk stores whole sectors: complete a partial first or last
		// sector with what the disk reads there now.
		var err error
		if p, off, err = d.alignToSectors(p, off); err != nil {
			return 0, err
		}
	}
	bs := int64(d.l.blockSize)
	for len(p) > 0 {
		block := uint64(off / bs)
		in := off % bs
		m := min(int64(len(p)), bs-in)
		if err := d.writeBlock(p[:m], off, block, in); err != nil {
			return 0, err
		}
		p, off = p[m:], off+m
	}
	return n, nil
}

// alignToSectors widens a write to whole logical sectors.
func (d *Disk) alignToSectors(p []byte, off int64) ([]byte, int64, error) {
	lss := int64(d.l.logicalSector)
	start := off / lss * lss
	end := alignUp(off+int64(len(p)), lss)
	if start == off && end == off+int64(len(p)) {
		return p, off, nil
	}
	buf := make([]byte, end-start)
	if err := d.read(buf[:lss], start); err != nil {
		return nil, 0, err
	}
	if err := d.read(buf[len(buf)-int(lss):], end-lss); err != nil {
		return nil, 0, err
	}
	copy(buf[off-start:], p)
	return buf, start, nil
}

// writeBlock writes p at virtual offset off, which is in payload block
// block at offset in.
func (d *Disk) writeBlock(p []byte, off int64, block uint64, in int64) error {
	g := d.l.geo
	idx := g.payloadIndex(block)
	e := d.l.bat[idx]
	switch batState(e) {
	case payloadFullyPresent:
		return d.writeFile(p, batFileOffset(e)+in)
	case payloadPartiallyPresent:
		if err := d.writeFile(p, batFileOffset(e)+in); err != nil {
			return err
		}
		full, err := d.markPresent(block, off, int64(len(p)), false)
		if err != nil || !full {
			return err
		}
		return d.setBAT(idx, batEntry(payloadFullyPresent, batFileOffset(e)))
	}
	// Not in this file: allocate a block. Its bytes are zeros (the file
	// grows), which is right for a dynamic disk and for ZERO, UNDEFINED
	// and UNMAPPED blocks; a differencing disk's NOT_PRESENT block
	// instead keeps reading the parent where the bitmap says so.
	fromParent := batState(e) == payloadNotPresent && d.parent != nil
	blockOff, err := d.allocate(int64(d.l.blockSize))
	if err != nil {
		return err
	}
	if err := d.writeFile(p, blockOff+in); err != nil {
		return err
	}
	state := uint8(payloadFullyPresent)
	if fromParent {
		full, err := d.markPresent(block, off, int64(len(p)), true)
		if err != nil {
			return err
		}
		if !full {
			state = payloadPartiallyPresent
		}
	}
	return d.setBAT(idx, batEntry(state, blockOff))
}

// markPresent sets the bitmap bits of the sectors [off, off+n) of block
// and reports whether every sector of the block is then present, when
// the block can be PAYLOAD_BLOCK_FULLY_PRESENT. fresh means the block was
// just allocated: its bits are cleared first, as a crash may have left
// stale ones. A fully written fresh block needs no bitmap at all.
func (d *Disk) markPresent(block uint64, off, n int64, fresh bool) (bool, error) {
	lss := int64(d.l.logicalSector)
	bs := int64(d.l.blockSize)
	firstSec := int64(block) * bs / lss
	sectors := bs / lss
	if int64(block+1)*bs > d.Size() {
		sectors = (d.Size() - int64(block)*bs) / lss // the last, short block
	}
	from, to := off/lss-firstSec, (off+n)/lss-firstSec
	if fresh && from == 0 && to == sectors {
		return true, nil
	}
	if err := d.ensureBitmapBlock(block / d.l.geo.chunkRatio); err != nil {
		return false, err
	}
	bits, err := d.bitmap(firstSec, firstSec+sectors)
	if err != nil {
		return false, err
	}
	if fresh {
		bits.setRange(0, sectors, false)
	}
	bits.setRange(from, to, true)
	if err := d.writeFile(bits.buf, bits.fileOff); err != nil {
		return false, err
	}
	return bits.all(sectors), nil
}

// ensureBitmapBlock allocates the sector bitmap block of a chunk, zeroed
// (every sector from the parent), before any payload entry of the chunk
// may say PARTIALLY_PRESENT (MS-VHDX 2.5.1.2).
func (d *Disk) ensureBitmapBlock(chunk uint64) error {
	idx := d.l.geo.bitmapIndex(chunk)
	if batState(d.l.bat[idx]) == sbPresent {
		return nil
	}
	off, err := d.allocate(sectorBitmapBlockSize)
	if err != nil {
		return err
	}
	return d.setBAT(idx, batEntry(sbPresent, off))
}

// allocate reserves n bytes at the 1 MiB aligned end of the file; growing
// the file zero-fills them (sparse where the file system can).
func (d *Disk) allocate(n int64) (int64, error) {
	off := d.nextFree
	if err := d.l.f.Truncate(off + n); err != nil {
		return 0, fmt.Errorf("vhdx: %s: growing the file: %w", d.l.path, err)
	}
	d.nextFree = off + n
	d.l.size = d.nextFree
	return off, nil
}

func (d *Disk) writeFile(p []byte, fileOff int64) error {
	if _, err := d.l.f.WriteAt(p, fileOff); err != nil {
		return fmt.Errorf("vhdx: %s: writing 0x%x: %w", d.l.path, fileOff, err)
	}
	return nil
}

// setBAT writes one 8-byte BAT entry in place: a single aligned write,
// which is what lets this package do without the log (doc.go).
func (d *Disk) setBAT(idx uint64, e uint64) error {
	var b [8]byte
	le.PutUint64(b[:], e)
	if err := d.writeFile(b[:], int64(d.l.batRegion.FileOffset)+int64(idx)*8); err != nil {
		return err
	}
	d.l.bat[idx] = e
	return nil
}
