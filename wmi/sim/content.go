package sim

import (
	"bufio"
	"encoding/binary"
	"hash/fnv"
	"os"
)

// writeDeterministicFile creates path with size bytes of pseudo-random
// content derived from key, so that seeded runtime state (.vmrs) looks
// like data (not zeros) and a copy can be checked byte for byte. It
// fsyncs the file. Disks are VHDX files (disks.go).
func writeDeterministicFile(path string, size int64, key string) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	h := fnv.New64a()
	h.Write([]byte(key))
	state := h.Sum64()
	w := bufio.NewWriterSize(f, 64*kib)
	var word [8]byte
	for left := size; left > 0; left -= 8 {
		// splitmix64: fast, and good enough to defeat compression.
		state += 0x9E3779B97F4A7C15
		z := state
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		binary.LittleEndian.PutUint64(word[:], z)
		n := int64(8)
		if left < n {
			n = left
		}
		if _, err := w.Write(word[:n]); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Sync()
}
