package vhdx

import (
	"os"
	"testing"

	"github.com/google/uuid"
)

func TestCreateReopenInfo(t *testing.T) {
	dir := t.TempDir()
	path := join(dir, "disk.vhdx")
	id := uuid.New()
	if err := Create(path, 20<<30, Options{VirtualDiskID: id}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Header section, log, metadata region and a 1 MiB BAT.
	if fi.Size() != 4*miB {
		t.Errorf("a new 20 GiB disk is %d bytes, want 4 MiB", fi.Size())
	}
	assertCheck(t, path)

	d := openDisk(t, path)
	defer closeDisk(t, d)
	info := d.Info()
	want := Info{
		Path:               path,
		VirtualSize:        20 << 30,
		BlockSize:          DefaultBlockSize,
		LogicalSectorSize:  512,
		PhysicalSectorSize: 4096,
		VirtualDiskID:      id,
		DataWriteGUID:      info.DataWriteGUID,
		FileWriteGUID:      info.FileWriteGUID,
		FileSize:           4 * miB,
	}
	if info != want {
		t.Errorf("Info() = %+v\nwant %+v", info, want)
	}
	if info.DataWriteGUID == (uuid.UUID{}) || info.FileWriteGUID == (uuid.UUID{}) || info.DataWriteGUID == info.FileWriteGUID {
		t.Errorf("write GUIDs %s, %s: want two fresh GUIDs", info.DataWriteGUID, info.FileWriteGUID)
	}
	if d.Size() != 20<<30 {
		t.Errorf("Size() = %d", d.Size())
	}
}

func TestCreateFreshGUIDs(t *testing.T) {
	dir := t.TempDir()
	var infos []Info
	for _, name := range []string{"a.vhdx", "b.vhdx"} {
		d := newDisk(t, join(dir, name), 64*miB, Options{})
		infos = append(infos, d.Info())
		closeDisk(t, d)
	}
	a, b := infos[0], infos[1]
	if a.VirtualDiskID == b.VirtualDiskID || a.DataWriteGUID == b.DataWriteGUID || a.FileWriteGUID == b.FileWriteGUID {
		t.Errorf("two new disks share a GUID: %+v, %+v", a, b)
	}
}

func TestCreateOptions(t *testing.T) {
	dir := t.TempDir()
	path := join(dir, "4k.vhdx")
	d := newDisk(t, path, 3<<30, Options{BlockSize: miB, LogicalSectorSize: 4096, PhysicalSectorSize: 512})
	info := d.Info()
	closeDisk(t, d)
	if info.BlockSize != miB || info.LogicalSectorSize != 4096 || info.PhysicalSectorSize != 512 {
		t.Errorf("Info() = %+v", info)
	}
	assertCheck(t, path)

	for name, c := range map[string]struct {
		size uint64
		opts Options
	}{
		"zero size":            {0, Options{}},
		"size not in sectors":  {miB + 100, Options{}},
		"size over 64 TiB":     {65 << 40, Options{}},
		"block not power of 2": {64 * miB, Options{BlockSize: 3 * miB}},
		"block under 1 MiB":    {64 * miB, Options{BlockSize: 512 * kiB}},
		"block over 256 MiB":   {64 * miB, Options{BlockSize: 512 * miB}},
		"logical sector 1024":  {64 * miB, Options{LogicalSectorSize: 1024}},
		"physical sector 8192": {64 * miB, Options{PhysicalSectorSize: 8192}},
		"4K disk not in 4K":    {64*miB + 512, Options{LogicalSectorSize: 4096}},
	} {
		t.Run(name, func(t *testing.T) {
			p := join(dir, "bad.vhdx")
			if err := Create(p, c.size, c.opts); err == nil {
				t.Fatal("Create succeeded")
			}
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Fatalf("a failed Create left %s: %v", p, err)
			}
		})
	}
}

func TestCreateRefusesExistingFile(t *testing.T) {
	path := join(t.TempDir(), "disk.vhdx")
	if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Create(path, 64*miB, Options{}); err == nil {
		t.Fatal("Create over an existing file succeeded")
	}
	if b := fileBytes(t, path); string(b) != "keep me" {
		t.Fatalf("the existing file was changed: %q", b)
	}
}

// TestCreateLayout checks the bytes a new file holds against the
// structures of MS-VHDX 2.2 and 2.6.
func TestCreateLayout(t *testing.T) {
	path := join(t.TempDir(), "disk.vhdx")
	if err := Create(path, 100*miB, Options{BlockSize: 2 * miB}); err != nil {
		t.Fatal(err)
	}
	b := fileBytes(t, path)
	if string(b[:8]) != "vhdxfile" {
		t.Errorf("signature %q", b[:8])
	}
	if got := fromUTF16LE(b[8 : 8+2*len(defaultCreator)]); got != defaultCreator {
		t.Errorf("creator %q", got)
	}
	var seqs []uint64
	for i, off := range headerOffsets {
		h, err := parseHeader(b[off : off+headerSize])
		if err != nil {
			t.Fatalf("header %d: %v", i+1, err)
		}
		if h.Version != 1 || h.LogVersion != 0 || h.LogOffset != miB || h.LogLength != miB || h.Log != (uuid.UUID{}) {
			t.Errorf("header %d = %+v", i+1, h)
		}
		seqs = append(seqs, h.Sequence)
	}
	if seqs[0] == seqs[1] {
		t.Errorf("both headers have SequenceNumber %d; one must be current", seqs[0])
	}
	for _, off := range []int{regionTable1Offset, regionTable2Offset} {
		rt, err := parseRegionTable(b[off : off+regionTableSize])
		if err != nil {
			t.Fatal(err)
		}
		want := []regionEntry{
			{guidMetadataRegion, metadataOffset, metadataLength, true},
			{guidBATRegion, batOffset, miB, true},
		}
		if !sameRegions(rt, want) {
			t.Errorf("region table at 0x%x = %+v", off, rt)
		}
	}
	if string(b[metadataOffset:metadataOffset+8]) != "metadata" {
		t.Errorf("metadata signature %q", b[metadataOffset:metadataOffset+8])
	}
	if n := le.Uint16(b[metadataOffset+10:]); n != 5 {
		t.Errorf("%d metadata entries, want 5", n)
	}
	// The on-disk GUID of the BAT region, byte for byte (mixed endian).
	wantGUID := []byte{0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42, 0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08}
	rt, _ := parseRegionTable(b[regionTable1Offset : regionTable1Offset+regionTableSize])
	var raw [16]byte
	putGUID(raw[:], rt[1].GUID)
	if string(raw[:]) != string(wantGUID) {
		t.Errorf("BAT GUID bytes %x, want %x", raw, wantGUID)
	}
}

func TestGUIDRoundTrip(t *testing.T) {
	u := uuid.MustParse("00112233-4455-6677-8899-aabbccddeeff")
	var b [16]byte
	putGUID(b[:], u)
	want := []byte{0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	if string(b[:]) != string(want) {
		t.Errorf("putGUID = %x, want %x", b, want)
	}
	if getGUID(b[:]) != u {
		t.Errorf("getGUID(putGUID(u)) = %s", getGUID(b[:]))
	}
}

func TestChecksumIsCRC32C(t *testing.T) {
	// CRC-32C of "123456789" is 0xE3069283 (the standard check value);
	// checksum treats bytes 4-7 as zero, so put the zeros there.
	b := []byte("1234\x00\x00\x00\x00")
	if got := checksum(b); got != crc32cOf(b) {
		t.Errorf("checksum = 0x%x", got)
	}
	if got := crc32cOf([]byte("123456789")); got != 0xE3069283 {
		t.Errorf("CRC-32C check value 0x%x", got)
	}
}
