package msdoc

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/richardlehane/mscfb"

	"github.com/policytext/policytext/pkg/sniff"
	"github.com/policytext/policytext/pkg/text"
)

// Options bound the work done on one file. The zero value means the defaults.
type Options struct {
	// MaxInputBytes refuses larger inputs (default 64 MiB).
	MaxInputBytes int64
	// MaxTextRunes refuses documents whose stories hold more characters
	// (default 32 Mi).
	MaxTextRunes int64
}

const (
	defaultMaxInput = 64 << 20
	defaultMaxRunes = 32 << 20
)

func (o Options) withDefaults() Options {
	if o.MaxInputBytes <= 0 {
		o.MaxInputBytes = defaultMaxInput
	}
	if o.MaxTextRunes <= 0 {
		o.MaxTextRunes = defaultMaxRunes
	}
	return o
}

// Extract reads a Word 97-2003 (or Word 6/95) document of the given size
// from r and returns its stories. It does no other I/O, never panics, and
// allocates at most a small multiple of size. Errors wrap one of the
// package's sentinel errors.
func Extract(r io.ReaderAt, size int64, opt Options) (doc *text.Document, err error) {
	opt = opt.withDefaults()
	defer func() {
		// Every slice access is bounds-checked by hand; this is the last line
		// of defence so that one hostile file cannot take a worker down.
		if p := recover(); p != nil {
			doc, err = nil, fmt.Errorf("%w: internal parser failure: %v", ErrCorrupt, p)
		}
	}()
	switch {
	case size <= 0:
		return nil, ErrEmpty
	case size > opt.MaxInputBytes:
		return nil, fmt.Errorf("%w: file is %d bytes, limit %d", ErrTooLarge, size, opt.MaxInputBytes)
	}
	head := make([]byte, min(size, sniff.HeadSize))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("msdoc: read header: %w", err)
	}
	switch f := sniff.Detect(head); f {
	case sniff.OLE:
	case sniff.Word2:
		return nil, fmt.Errorf("%w: Word 2.0 file (not an OLE2 compound file)", ErrUnsupportedVersion)
	case sniff.Unknown:
		return nil, fmt.Errorf("%w: not an OLE2 compound file", ErrNotWord)
	default:
		return nil, fmt.Errorf("%w: not an OLE2 compound file (content is: %s)", ErrNotWord, f)
	}
	streams, err := openContainer(r, size)
	if err != nil {
		return nil, err
	}
	p, err := newParser(streams, opt)
	if err == nil {
		doc, err = p.document()
	}
	if err != nil && len(streams.damage) > 0 {
		// What is missing is explained by the damage: say so.
		return nil, fmt.Errorf("%w (%s)", err, strings.Join(streams.damage, "; "))
	}
	return doc, err
}

// rootStreams holds the root-level streams a Word document needs. Streams of
// embedded documents (ObjectPool/...) are never looked at.
type rootStreams struct {
	wordDocument []byte
	table0       []byte
	table1       []byte
	has0, has1   bool
	names        []string
	// damage describes streams whose sector chain is broken (a cycle, or
	// an end before the stream's size); truncated names those streams.
	damage    []string
	truncated map[string]bool
}

func openContainer(r io.ReaderAt, size int64) (*rootStreams, error) {
	pr := newPaddedReader(r, size)
	classify := func(what string, err error) error {
		if pr.pastEnd.Load() && pr.farthest.Load() <= pr.fatReach() {
			return fmt.Errorf("%w: %s: data lies beyond the end of the %d-byte file (%v)", ErrTruncated, what, size, err)
		}
		if pr.pastEnd.Load() {
			return fmt.Errorf("%w: %s: a FAT sector chain points outside the file (%v)", ErrCorrupt, what, err)
		}
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, what, err)
	}
	cf, err := mscfb.New(pr)
	if err != nil {
		return nil, classify("compound file", err)
	}
	var s rootStreams
	var wd, t0, t1 *mscfb.File
	for _, f := range cf.File {
		if len(f.Path) != 0 || f.FileInfo().IsDir() {
			continue
		}
		s.names = append(s.names, f.Name)
		switch {
		case strings.EqualFold(f.Name, "WordDocument"):
			wd = f
		case strings.EqualFold(f.Name, "0Table"):
			t0 = f
		case strings.EqualFold(f.Name, "1Table"):
			t1 = f
		}
	}
	if wd == nil {
		return nil, notWordContainer(s.names)
	}
	read := func(f *mscfb.File) ([]byte, error) {
		// A stream cannot be larger than the container that holds it; this
		// bounds the allocation whatever the directory entry claims.
		if f.Size > pr.padded {
			return nil, fmt.Errorf("%w: stream %q claims %d bytes in a %d-byte file", ErrCorrupt, f.Name, f.Size, size)
		}
		b := make([]byte, f.Size)
		n, damage, err := readStream(f, b, pr)
		if err != nil && n == 0 {
			return nil, classify("stream "+f.Name, err)
		}
		if damage != "" {
			// Keep what the chain holds, as LibreOffice does; what needs
			// the lost part fails later with a precise error or is read
			// the way Word reads a file without it.
			s.damage = append(s.damage, fmt.Sprintf("stream %s: %s; kept the first %d of %d bytes", f.Name, damage, n, f.Size))
			if s.truncated == nil {
				s.truncated = map[string]bool{}
			}
			s.truncated[strings.ToLower(f.Name)] = true
		}
		return b[:n], nil
	}
	if s.wordDocument, err = read(wd); err != nil {
		return nil, err
	}
	if t0 != nil {
		s.has0 = true
		if s.table0, err = read(t0); err != nil {
			return nil, err
		}
	}
	if t1 != nil {
		s.has1 = true
		if s.table1, err = read(t1); err != nil {
			return nil, err
		}
	}
	return &s, nil
}

// notWordContainer explains what a compound file without a WordDocument
// stream is, from the names of its root streams.
func notWordContainer(names []string) error {
	has := func(n string) bool {
		for _, x := range names {
			if strings.EqualFold(x, n) {
				return true
			}
		}
		return false
	}
	switch {
	case has("EncryptedPackage") || has("EncryptionInfo"):
		return fmt.Errorf("%w: password-protected OOXML package (encrypted .docx)", ErrEncrypted)
	case has("Workbook") || has("Book"):
		return fmt.Errorf("%w: compound file is an Excel workbook", ErrNotWord)
	case has("PowerPoint Document"):
		return fmt.Errorf("%w: compound file is a PowerPoint presentation", ErrNotWord)
	}
	return fmt.Errorf("%w: compound file has no WordDocument stream (root streams: %s)", ErrNotWord, strings.Join(names, ", "))
}

func u16(b []byte, off int) (uint16, bool) {
	if off < 0 || off+2 > len(b) {
		return 0, false
	}
	return binary.LittleEndian.Uint16(b[off:]), true
}

func u32(b []byte, off int) (uint32, bool) {
	if off < 0 || off+4 > len(b) {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b[off:]), true
}

// readStream reads a stream sector by sector so that a broken chain still
// yields the bytes before the break. damage is empty for a sound chain; it
// names the break when the chain comes back to a sector it has already
// given (a cycle: it would never end, and that sector's bytes are not this
// stream's) or ends before the stream's size. mscfb does not expose sector
// numbers, so the reader remembers where each sector came from (see
// paddedReader.lastOff); the set of offsets seen is bounded by the number
// of sectors in the file, and the loop stops at the first repeat.
func readStream(f *mscfb.File, b []byte, pr *paddedReader) (n int, damage string, err error) {
	chunk := 512
	if f.Size < 4096 {
		chunk = 64 // mini-stream sectors
	}
	seen := make(map[int64]bool, len(b)/chunk+1)
	for n < len(b) {
		m, err := f.Read(b[n:min(n+chunk, len(b))])
		if m > 0 {
			off := pr.lastOff.Load()
			if seen[off] {
				return n, fmt.Sprintf("its sector chain has a cycle (the sector at file offset %d comes back after %d bytes)", off, n), nil
			}
			seen[off] = true
		}
		n += m
		if err != nil && err != io.EOF {
			if n > 0 {
				return n, fmt.Sprintf("its sector chain breaks off (%v)", err), nil
			}
			return n, "", err
		}
		if m == 0 {
			break
		}
	}
	if n < len(b) {
		return n, "its sector chain ends early", nil
	}
	return n, "", nil
}
