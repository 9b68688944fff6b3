package vhdx

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"sync"
)

// Deterministic content for demo disks: FillDeterministic writes 1 MiB
// runs every 3 MiB from a seed-dependent start, so the content does not
// depend on the block size, a demo disk's file stays small, and the runs
// of a child written with another seed overlap its parent's runs in part
// (exercising the sector bitmap).
const (
	fillRun    = 1 * miB
	fillStride = 3 * miB
	fillPhase  = 256 * kiB
)

// FillDeterministic writes n bytes of pseudo-random data determined by
// seed near the start of d: 1 MiB runs, the i-th at offset
// (seed mod 4)·256 KiB + i·3 MiB. The same seed and n give the same
// content on any disk; the runs must fit in the disk.
func FillDeterministic(d *Disk, seed int64, n int64) error {
	if n < 0 {
		return fmt.Errorf("vhdx: FillDeterministic: negative length %d", n)
	}
	runs := (n + fillRun - 1) / fillRun
	start := int64(uint64(seed)%4) * fillPhase
	if runs > 0 && start+(runs-1)*fillStride+min(n-(runs-1)*fillRun, fillRun) > d.Size() {
		return fmt.Errorf("vhdx: FillDeterministic: %d bytes in runs every 3 MiB do not fit in a %d-byte disk", n, d.Size())
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed_f111_da7a_0001))
	buf := make([]byte, fillRun)
	for i := int64(0); i < runs; i++ {
		m := min(n-i*fillRun, fillRun)
		// Only the last run can be short: generating just the words it
		// needs leaves every byte written the same.
		for j := int64(0); j < m; j += 8 {
			binary.LittleEndian.PutUint64(buf[j:], rng.Uint64())
		}
		if _, err := d.WriteAt(buf[:m], start+i*fillStride); err != nil {
			return err
		}
	}
	return nil
}

// ContentHash hashes a disk's virtual content so that disks can be
// compared across copies, formats and chains: equal hashes mean equal
// virtual size and bytes. It is not sha256sum of a raw image but a
// two-level SHA-256: the hash of a prefix, the virtual size and the
// SHA-256 of each 1 MiB of the disk, in order. Ranges no layer stores
// take a precomputed zero hash without reading, so a large sparse disk
// hashes in time proportional to its data. ContentHashOf computes the
// same from a raw image.
func ContentHash(d *Disk) ([32]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return [32]byte{}, ErrClosed
	}
	size := d.Size()
	h := newContentHasher(size)
	buf := make([]byte, hashLeaf)
	for off := int64(0); off < size; off += hashLeaf {
		n := min(hashLeaf, size-off)
		if d.knownZero(off, n) {
			h.zeroLeaf(n)
			continue
		}
		if err := d.read(buf[:n], off); err != nil {
			return [32]byte{}, err
		}
		h.leaf(buf[:n])
	}
	return h.sum(), nil
}

// ContentHashOf computes ContentHash of a raw disk image of size bytes
// read from r (for example the output of qemu-img convert -O raw).
func ContentHashOf(r io.Reader, size int64) ([32]byte, error) {
	h := newContentHasher(size)
	buf := make([]byte, hashLeaf)
	for off := int64(0); off < size; off += hashLeaf {
		n := min(hashLeaf, size-off)
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return [32]byte{}, fmt.Errorf("vhdx: ContentHashOf at %d: %w", off, err)
		}
		h.leaf(buf[:n])
	}
	return h.sum(), nil
}

const hashLeaf = 1 * miB

var zeroLeafHash = sync.OnceValue(func() [32]byte { return sha256.Sum256(make([]byte, hashLeaf)) })

type contentHasher struct{ top hash.Hash }

func newContentHasher(size int64) *contentHasher {
	top := sha256.New()
	io.WriteString(top, "hvport vhdx content v1\n")
	binary.Write(top, binary.LittleEndian, size)
	return &contentHasher{top: top}
}

func (c *contentHasher) leaf(b []byte) {
	s := sha256.Sum256(b)
	c.top.Write(s[:])
}

func (c *contentHasher) zeroLeaf(n int64) {
	if n == hashLeaf {
		s := zeroLeafHash()
		c.top.Write(s[:])
		return
	}
	c.leaf(make([]byte, n)) // only the last leaf can be short
}

func (c *contentHasher) sum() [32]byte {
	var out [32]byte
	copy(out[:], c.top.Sum(nil))
	return out
}
