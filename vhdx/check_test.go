package vhdx

import (
	"errors"
	"os"
	"testing"

	"github.com/google/uuid"
)

// sampleDisk makes a dynamic disk with data in blocks 0, 1 and 3 (1 MiB
// blocks), closed, and returns its path.
func sampleDisk(t testing.TB, dir string) string {
	t.Helper()
	path := join(dir, "disk.vhdx")
	d := newDisk(t, path, 8*miB, Options{BlockSize: miB})
	for _, off := range []int64{0, miB, 3 * miB} {
		mustWrite(t, d, nil, []byte("data"), off)
	}
	closeDisk(t, d)
	return path
}

// sampleChild makes a differencing child of sampleDisk with a partially
// present block.
func sampleChild(t testing.TB, dir string) (string, string) {
	t.Helper()
	base := sampleDisk(t, dir)
	child := join(dir, "child.avhdx")
	d := newChild(t, child, base, Options{})
	mustWrite(t, d, nil, make([]byte, 512), 2*miB)
	closeDisk(t, d)
	return base, child
}

func batEntryOffset(i int) int64 { return batOffset + 8*int64(i) }

func setBATEntry(t testing.TB, path string, i int, e uint64) {
	t.Helper()
	var b [8]byte
	le.PutUint64(b[:], e)
	patchFile(t, path, batEntryOffset(i), b[:])
}

func TestCheckSoundFiles(t *testing.T) {
	base, child := sampleChild(t, t.TempDir())
	assertCheck(t, base)
	assertCheck(t, child)
}

func TestCheckHeaderCRC(t *testing.T) {
	path := sampleDisk(t, t.TempDir())
	cur := 0
	h1, _ := parseHeader(readFileAt(t, path, header1Offset, headerSize))
	h2, _ := parseHeader(readFileAt(t, path, header2Offset, headerSize))
	if h2.Sequence > h1.Sequence {
		cur = 1
	}
	// Damage the current header: Check names it; Open falls back on the
	// other one, which is valid too (both were updated).
	patchFile(t, path, headerOffsets[cur]+100, []byte{0xFF})
	err := Check(path)
	wantErr(t, err, ErrCorrupt, "header", "checksum", "CRC-32C")
	d, err := Open(path, nil)
	if err != nil {
		t.Fatalf("Open with one good header: %v", err)
	}
	if d.l.hdrSlot == cur {
		t.Error("Open used the damaged header")
	}
	closeDisk(t, d)

	// Both damaged: no current header.
	for slot := range 2 {
		patchFile(t, path, headerOffsets[slot]+4, []byte{1, 2, 3, 4})
	}
	wantErr(t, Check(path), ErrCorrupt, "neither header is valid")
	_, err = Open(path, nil)
	wantErr(t, err, ErrCorrupt, "neither header is valid")
}

// TestCheckUsesHigherSequence: of two valid headers, the one with the
// higher SequenceNumber is current, whichever slot it is in.
func TestCheckUsesHigherSequence(t *testing.T) {
	path := sampleDisk(t, t.TempDir())
	for slot := range 2 {
		rewriteHeader(t, path, slot, func(h *header) { h.Sequence = 100 + uint64(slot) })
	}
	rewriteHeader(t, path, 0, func(h *header) { h.Sequence = 500; h.Version = 2 })
	_, err := Open(path, nil)
	wantErr(t, err, ErrUnsupported, "header 1 (current)", "Version is 2")
	rewriteHeader(t, path, 1, func(h *header) { h.Sequence = 501 })
	assertCheck(t, path)
}

func TestCheckRegionTables(t *testing.T) {
	path := sampleDisk(t, t.TempDir())
	patchFile(t, path, regionTable1Offset+20, []byte{0xAA})
	wantErr(t, Check(path), ErrCorrupt, "region table 1", "checksum")
	closeDisk(t, openDisk(t, path)) // table 2 still serves
	patchFile(t, path, regionTable2Offset, []byte("xxxx"))
	wantErr(t, Check(path), ErrCorrupt, "neither region table is valid")
	if _, err := Open(path, nil); err == nil {
		t.Fatal("Open without a region table succeeded")
	}
}

func TestCheckBadBATEntries(t *testing.T) {
	for _, c := range []struct {
		name  string
		index int
		entry func(size int64) uint64
		want  []string
	}{
		{"past the end", 2, func(size int64) uint64 { return batEntry(payloadFullyPresent, size) },
			[]string{"BAT entry 2 (payload block 2)", "past the end of the file"}},
		{"in the header section", 2, func(int64) uint64 { return batEntry(payloadFullyPresent, 0) },
			[]string{"BAT entry 2", "header section"}},
		{"on the metadata region", 2, func(int64) uint64 { return batEntry(payloadFullyPresent, metadataOffset) },
			[]string{"BAT entry 2", "overlap", "metadata region"}},
		{"on the log", 2, func(int64) uint64 { return batEntry(payloadFullyPresent, logOffset) },
			[]string{"BAT entry 2", "overlap", "the log"}},
		{"on another block", 3, func(int64) uint64 { return batEntry(payloadFullyPresent, 4*miB) },
			[]string{"BAT entry", "overlap", "payload block"}},
		{"reserved state", 2, func(int64) uint64 { return 4 },
			[]string{"BAT entry 2", "reserved state 4"}},
		{"partially present in a dynamic disk", 2, func(int64) uint64 { return batEntry(payloadPartiallyPresent, 4*miB) },
			[]string{"BAT entry 2", "PARTIALLY_PRESENT in a dynamic disk"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := sampleDisk(t, t.TempDir())
			fi, _ := os.Stat(path)
			setBATEntry(t, path, c.index, c.entry(fi.Size()))
			wantErr(t, Check(path), ErrCorrupt, c.want...)
			_, err := Open(path, nil)
			wantErr(t, err, ErrCorrupt, c.want...)
		})
	}
}

func TestCheckBitmapEntries(t *testing.T) {
	// 1 MiB blocks with 512-byte sectors: 4096 payload entries per chunk,
	// so BAT entry 4096 is the first sector bitmap entry.
	t.Run("bitmap in a dynamic disk", func(t *testing.T) {
		path := join(t.TempDir(), "d.vhdx")
		closeDisk(t, newDisk(t, path, 5<<30, Options{BlockSize: miB}))
		d := openDisk(t, path)
		mustWrite(t, d, nil, []byte("x"), 0)
		closeDisk(t, d)
		setBATEntry(t, path, 4096, batEntry(sbPresent, 4*miB))
		wantErr(t, Check(path), ErrCorrupt, "BAT entry 4096 (sector bitmap block 0)", "SB_BLOCK_PRESENT in a dynamic disk")
	})
	t.Run("partial block without bitmap", func(t *testing.T) {
		dir := t.TempDir()
		_, child := sampleChild(t, dir)
		d, err := openLayer(child, true)
		if err != nil {
			t.Fatal(err)
		}
		sb := d.l.geo.bitmapIndex(0)
		d.Close()
		setBATEntry(t, child, int(sb), 0)
		wantErr(t, Check(child), ErrCorrupt, "BAT entry 2 (payload block 2)", "sector bitmap block", "not present")
	})
	t.Run("reserved bits", func(t *testing.T) {
		path := sampleDisk(t, t.TempDir())
		e := le.Uint64(readFileAt(t, path, batEntryOffset(0), 8))
		setBATEntry(t, path, 0, e|1<<10)
		wantErr(t, Check(path), ErrCorrupt, "BAT entry 0", "reserved bits")
		closeDisk(t, openDisk(t, path)) // tolerated by Open
	})
}

// metadataTable reads the metadata table's entries.
func metadataTable(t testing.TB, path string) []metadataEntry {
	t.Helper()
	b := readFileAt(t, path, metadataOffset, metadataTableSize)
	var out []metadataEntry
	for i := 0; i < int(le.Uint16(b[10:])); i++ {
		out = append(out, parseMetadataEntry(b[32+32*i:]))
	}
	return out
}

func writeMetadataTable(t testing.TB, path string, entries []metadataEntry) {
	t.Helper()
	b := make([]byte, metadataTableSize)
	copy(b, sigMetadata)
	le.PutUint16(b[10:], uint16(len(entries)))
	for i, e := range entries {
		e.marshal(b[32+32*i:])
	}
	patchFile(t, path, metadataOffset, b)
}

func TestCheckMetadata(t *testing.T) {
	without := func(id uuid.UUID) func([]metadataEntry) []metadataEntry {
		return func(es []metadataEntry) []metadataEntry {
			var out []metadataEntry
			for _, e := range es {
				if e.ItemID != id {
					out = append(out, e)
				}
			}
			return out
		}
	}
	for _, c := range []struct {
		name   string
		child  bool
		change func([]metadataEntry) []metadataEntry
		target error
		want   []string
	}{
		{"missing virtual disk size", false, without(guidVirtualDiskSize), ErrCorrupt,
			[]string{"required metadata item Virtual Disk Size", "missing"}},
		{"missing file parameters", false, without(guidFileParameters), ErrCorrupt,
			[]string{"File Parameters", "missing"}},
		{"missing logical sector size", false, without(guidLogicalSectorSize), ErrCorrupt,
			[]string{"Logical Sector Size", "missing"}},
		{"missing parent locator", true, without(guidParentLocator), ErrCorrupt,
			[]string{"HasParent is set but there is no Parent Locator"}},
		{"unknown required item", false, func(es []metadataEntry) []metadataEntry {
			return append(es, metadataEntry{ItemID: uuid.New(), Offset: 128 * kiB, Length: 8, IsRequired: true})
		}, ErrUnsupported, []string{"required metadata item this implementation does not know"}},
		{"item in the table", false, func(es []metadataEntry) []metadataEntry {
			es[1].Offset = 100
			return es
		}, ErrCorrupt, []string{"metadata table entry 1 (Virtual Disk Size)", "after the 64 KiB table"}},
		{"overlapping items", false, func(es []metadataEntry) []metadataEntry {
			es[2].Offset = es[1].Offset + 4
			return es
		}, ErrCorrupt, []string{"overlaps"}},
		{"wrong item length", false, func(es []metadataEntry) []metadataEntry {
			es[3].Length = 8
			return es
		}, ErrCorrupt, []string{"Logical Sector Size", "Length is 8, want 4"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := sampleDisk(t, dir)
			if c.child {
				_, path = sampleChild(t, t.TempDir())
			}
			writeMetadataTable(t, path, c.change(metadataTable(t, path)))
			wantErr(t, Check(path), c.target, c.want...)
			_, err := Open(path, nil)
			wantErr(t, err, c.target, c.want...)
		})
	}
}

func TestCheckMetadataValues(t *testing.T) {
	for _, c := range []struct {
		name string
		item uuid.UUID
		val  []byte
		want string
	}{
		{"block size", guidFileParameters, []byte{0, 0, 0x30, 0, 0, 0, 0, 0}, "BlockSize 3145728"},
		{"logical sector", guidLogicalSectorSize, []byte{0, 4, 0, 0}, "LogicalSectorSize 1024"},
		{"physical sector", guidPhysicalSectorSize, []byte{1, 0, 0, 0}, "PhysicalSectorSize 1"},
		{"virtual size", guidVirtualDiskSize, []byte{1, 0, 0, 0, 0, 0, 0, 0}, "VirtualDiskSize 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := sampleDisk(t, t.TempDir())
			for _, e := range metadataTable(t, path) {
				if e.ItemID == c.item {
					patchFile(t, path, metadataOffset+int64(e.Offset), c.val)
				}
			}
			wantErr(t, Check(path), ErrCorrupt, "metadata item", c.want)
		})
	}
}

func TestCheckLog(t *testing.T) {
	path := sampleDisk(t, t.TempDir())
	logID := uuid.New()
	// A non-zero LogGuid with no entry of it: the log is empty.
	for slot := range 2 {
		rewriteHeader(t, path, slot, func(h *header) { h.Log = logID })
	}
	assertCheck(t, path)
	// An entry of the current LogGuid: replay would be needed.
	entry := make([]byte, 4*kiB)
	copy(entry, sigLogEntry)
	putGUID(entry[32:], logID)
	patchFile(t, path, logOffset+8*kiB, entry)
	wantErr(t, Check(path), ErrUnsupported, "log", "replay is not supported")
	_, err := Open(path, nil)
	wantErr(t, err, ErrUnsupported, "replay")
	if err := CreateDifferencing(join(t.TempDir(), "c.avhdx"), path, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("CreateDifferencing on a parent with a log: %v", err)
	}
	// A log outside the file.
	for slot := range 2 {
		rewriteHeader(t, path, slot, func(h *header) { h.LogOffset = 1 << 40 })
	}
	wantErr(t, Check(path), ErrCorrupt, "the log", "outside the file")
}

func TestCheckOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"empty":     {},
		"short":     []byte("vhdxfile"),
		"not vhdx":  make([]byte, 2*miB),
		"truncated": nil,
	} {
		t.Run(name, func(t *testing.T) {
			path := join(dir, name)
			if content == nil {
				path = sampleDisk(t, t.TempDir())
				if err := os.Truncate(path, 5*miB); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}
			wantErr(t, Check(path), ErrCorrupt, path)
			if _, err := Open(path, nil); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Open: %v", err)
			}
		})
	}
	if err := Check(join(dir, "missing")); err == nil || errors.Is(err, ErrCorrupt) {
		t.Errorf("Check of a missing file: %v", err)
	}
}
