package vhdx

import "fmt"

// sectorBits is a piece of a sector bitmap block read from the file. Bit
// 0 of byte 0 of a sector bitmap block is the chunk's first sector, and
// a 1 means the sector is in this file, a 0 that it is the parent's
// (MS-VHDX 2.4).
type sectorBits struct {
	fileOff int64  // where buf was read
	buf     []byte // whole bytes of the bitmap
	shift   int64  // bit position of the first requested sector in buf[0]
}

// bitmap reads the bits of the virtual sectors [first, end), which lie
// in one chunk (a payload block never crosses a chunk).
func (d *Disk) bitmap(first, end int64) (sectorBits, error) {
	chunk := uint64(first) / sectorsPerBitmapBlock
	e := d.l.bat[d.l.geo.bitmapIndex(chunk)]
	if batState(e) != sbPresent {
		return sectorBits{}, fmt.Errorf("%w: %s: the sector bitmap block of chunk %d is not present", ErrCorrupt, d.l.path, chunk)
	}
	base := int64(chunk) * sectorsPerBitmapBlock
	from, to := first-base, end-base
	b := sectorBits{
		fileOff: batFileOffset(e) + from/8,
		buf:     make([]byte, (to+7)/8-from/8),
		shift:   from % 8,
	}
	if err := d.readFile(b.buf, b.fileOff); err != nil {
		return sectorBits{}, err
	}
	return b, nil
}

// get reports the bit of the i-th requested sector.
func (b sectorBits) get(i int64) bool {
	j := i + b.shift
	return b.buf[j/8]>>(j%8)&1 == 1
}

// setRange sets the bits of the requested sectors [from, to) to v.
func (b sectorBits) setRange(from, to int64, v bool) {
	for j := from + b.shift; j < to+b.shift; {
		if j%8 == 0 && j+8 <= to+b.shift {
			if v {
				b.buf[j/8] = 0xFF
			} else {
				b.buf[j/8] = 0
			}
			j += 8
			continue
		}
		if v {
			b.buf[j/8] |= 1 << (j % 8)
		} else {
			b.buf[j/8] &^= 1 << (j % 8)
		}
		j++
	}
}

// all reports whether the bits of the requested sectors [0, n) are set.
func (b sectorBits) all(n int64) bool {
	for i := int64(0); i < n; {
		j := i + b.shift
		if j%8 == 0 && i+8 <= n {
			if b.buf[j/8] != 0xFF {
				return false
			}
			i += 8
			continue
		}
		if !b.get(i) {
			return false
		}
		i++
	}
	return true
}
