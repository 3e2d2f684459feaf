package msdoc

import (
	"encoding/binary"
	"io"
	"sync/atomic"
)

// paddedReader serves the container to mscfb. WPS Office writes compound
// files whose size is not a multiple of the sector size (the last sector is
// cut short); reads into that missing tail return zeros, as POI and
// LibreOffice effectively do. A read past the padded end fails and is
// remembered, so a failure can be reported as truncation rather than as
// corruption.
type paddedReader struct {
	r       io.ReaderAt
	size    int64 // real size
	padded  int64 // size rounded up to a whole 512-byte sector
	pastEnd atomic.Bool
	// farthest is the largest end offset of a read that failed.
	farthest atomic.Int64
	// lastOff is the offset of the latest read. mscfb reads the FAT
	// entries a stream read needs before its data, so after a one-sector
	// stream read it is where that sector lies in the file (readStream
	// uses it to see a sector chain come back on itself).
	lastOff atomic.Int64
}

func newPaddedReader(r io.ReaderAt, size int64) *paddedReader {
	return &paddedReader{r: r, size: size, padded: (size + 511) / 512 * 512}
}

func (p *paddedReader) ReadAt(b []byte, off int64) (int, error) {
	p.lastOff.Store(off)
	if off < 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if off+int64(len(b)) > p.padded {
		p.pastEnd.Store(true)
		if end := off + int64(len(b)); end > p.farthest.Load() {
			p.farthest.Store(end)
		}
		return 0, io.ErrUnexpectedEOF
	}
	n := 0
	if off < p.size {
		want := b
		if off+int64(len(b)) > p.size {
			want = b[:p.size-off]
		}
		var err error
		n, err = p.r.ReadAt(want, off)
		if n < len(want) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
	}
	clear(b[n:])
	return len(b), nil
}

// fatReach returns how many bytes of sectors the header's FAT can describe:
// a read past the file end but within that reach means the file was cut
// short; a read beyond it means a sector number is garbage.
func (p *paddedReader) fatReach() int64 {
	var h [0x30]byte
	if _, err := p.r.ReadAt(h[:], 0); err != nil {
		return 0
	}
	shift := int64(binary.LittleEndian.Uint16(h[0x1E:]))
	if shift < 7 || shift > 16 {
		return 0
	}
	numFat := int64(binary.LittleEndian.Uint32(h[0x2C:]))
	sector := int64(1) << shift
	return (numFat*(sector/4) + 1) * sector
}
