package msdoc

import (
	"fmt"
	"github.com/policytext/policytext/pkg/codepage"
	"unicode"
	"unicode/utf16"
)

// piece is one entry of the piece table: CPs [cpStart, cpEnd) are stored in
// WordDocument from byte offset fc in the encoding enc.
type piece struct {
	cpStart, cpEnd uint32
	fc             uint32
	enc            pieceEncoding
}

// pieceEncoding says how the characters of a piece are stored.
type pieceEncoding uint8

const (
	// encANSI: one byte per CP in the document's ANSI code page (cp1252
	// for Word 97, whose 8-bit pieces are "compressed" Unicode).
	encANSI pieceEncoding = iota
	// encUTF16: two bytes per CP, UTF-16LE (Word 97 and later).
	encUTF16
	// encWide6: two bytes per CP, Word 6/95 files saved with fExtChar (the
	// Far East builds): a double-byte character of the Far East code page
	// as lead<<8|trail, any other character as its single byte in the low
	// half; the high half of a single-byte character is not always zero,
	// and is ignored then (see decodeWide6).
	encWide6
)

// width is the number of bytes a CP takes.
func (e pieceEncoding) width() uint32 {
	if e == encANSI {
		return 1
	}
	return 2
}

const (
	clxtPrc  = 0x01
	clxtPcdt = 0x02
	pcdSize  = 8
)

// parsePieceTable walks the Clx: it skips Prc entries (property
// modifications of fast-saved files) until the Pcdt, then reads the PlcPcd.
// Every step is bounded by the Clx length. word6 is the encoding of every
// piece of a Word 6/95 file (its piece offsets are plain byte offsets and
// carry no encoding bit); nil for Word 97.
func parsePieceTable(clx []byte, word6 *pieceEncoding) ([]piece, error) {
	pos := 0
	for pos < len(clx) {
		switch clx[pos] {
		case clxtPcdt:
			lcb, ok := u32(clx, pos+1)
			plc := pos + 5
			if !ok || uint64(plc)+uint64(lcb) > uint64(len(clx)) || lcb < 4+4+pcdSize {
				return nil, fmt.Errorf("%w: piece table length %d does not fit the Clx", ErrCorrupt, lcb)
			}
			return parsePlcPcd(clx[plc:plc+int(lcb)], word6)
		case clxtPrc:
			n, ok := u16(clx, pos+1)
			if !ok || int16(n) < 0 {
				return nil, fmt.Errorf("%w: bad Prc in Clx at %d", ErrCorrupt, pos)
			}
			pos += 3 + int(n)
		case 0x00:
			// antiword tolerates stray padding bytes between Prc entries.
			pos++
		default:
			return nil, fmt.Errorf("%w: unknown Clx entry type 0x%02X at %d", ErrCorrupt, clx[pos], pos)
		}
	}
	return nil, fmt.Errorf("%w: Clx has no piece table", ErrCorrupt)
}

func parsePlcPcd(plc []byte, word6 *pieceEncoding) ([]piece, error) {
	n := (len(plc) - 4) / (4 + pcdSize)
	pcds := 4 * (n + 1)
	pieces := make([]piece, 0, n)
	var prev uint32
	for i := 0; i < n; i++ {
		a, _ := u32(plc, 4*i)
		b, _ := u32(plc, 4*i+4)
		fc, _ := u32(plc, pcds+pcdSize*i+2)
		if b < a || a < prev {
			// A damaged table: keep its sorted prefix, as LibreOffice's
			// WW8PLCF::TruncToSortedRange does, rather than lose the file.
			break
		}
		prev = b
		p := piece{cpStart: a, cpEnd: b}
		if word6 != nil {
			p.fc, p.enc = fc, *word6
		} else {
			// FcCompressed: bit 30 set means 8-bit text at fc/2; bit 31 is
			// reserved and masked as POI and LibreOffice do.
			p.enc = encUTF16
			p.fc = fc & 0x3FFFFFFF
			if fc&0x40000000 != 0 {
				p.enc = encANSI
				p.fc /= 2
			}
		}
		pieces = append(pieces, p)
	}
	if len(pieces) == 0 {
		return nil, fmt.Errorf("%w: piece table has no valid piece", ErrCorrupt)
	}
	return pieces, nil
}

// fcOf maps a CP to its byte offset in WordDocument (for PAPX look-ups).
func fcOf(pieces []piece, cp uint32) (uint32, bool) {
	lo, hi := 0, len(pieces)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case cp < pieces[m].cpStart:
			hi = m
		case cp >= pieces[m].cpEnd:
			lo = m + 1
		default:
			p := pieces[m]
			return p.fc + p.enc.width()*(cp-p.cpStart), true
		}
	}
	return 0, false
}

// decoded is the text of a CP range: runes[i] starts at CP cps[i].
type decoded struct {
	runes []rune
	cps   []uint32
}

// textDecoder holds the code pages of a document's 8-bit text: ansi for
// single-byte characters, farEast (nil if none) for the double-byte
// characters of encWide6 pieces.
type textDecoder struct {
	ansi    *codepage.Decoder
	farEast *codepage.Decoder
}

// decodeRange decodes CPs [from, to) into runes. 16-bit pieces are UTF-16LE
// (surrogate pairs may straddle pieces); 8-bit pieces go through the ANSI
// code page, which is cp1252 for Word 97+ and the document's own for Word
// 6/95.
func decodeRange(wd []byte, pieces []piece, from, to uint32, dec textDecoder, out *decoded) error {
	var pendingHigh rune = -1
	var pendingCP uint32
	flushHigh := func() {
		if pendingHigh >= 0 {
			out.runes = append(out.runes, unicode.ReplacementChar)
			out.cps = append(out.cps, pendingCP)
			pendingHigh = -1
		}
	}
	for i, p := range pieces {
		a, b := max(p.cpStart, from), min(p.cpEnd, to)
		if a >= b {
			continue
		}
		w := uint64(p.enc.width())
		start := uint64(p.fc) + w*uint64(a-p.cpStart)
		end := start + w*uint64(b-a)
		if end > uint64(len(wd)) {
			return fmt.Errorf("%w: text piece %d (bytes %d-%d) lies beyond the %d-byte WordDocument stream", ErrCorrupt, i, start, end, len(wd))
		}
		buf := wd[start:end]
		switch p.enc {
		case encANSI:
			flushHigh()
			dec.ansi.Each(buf, func(r rune, off int) {
				out.runes = append(out.runes, r)
				out.cps = append(out.cps, a+uint32(off))
			})
			continue
		case encWide6:
			flushHigh()
			for j := 0; j+1 < len(buf); j += 2 {
				out.runes = append(out.runes, dec.wide6(buf[j], buf[j+1]))
				out.cps = append(out.cps, a+uint32(j/2))
			}
			continue
		}
		for j := 0; j+1 < len(buf); j += 2 {
			r := rune(buf[j]) | rune(buf[j+1])<<8
			cp := a + uint32(j/2)
			switch {
			case utf16.IsSurrogate(r) && r < 0xDC00:
				flushHigh()
				pendingHigh, pendingCP = r, cp
			case utf16.IsSurrogate(r):
				if pendingHigh >= 0 {
					out.runes = append(out.runes, utf16.DecodeRune(pendingHigh, r))
					out.cps = append(out.cps, pendingCP)
					pendingHigh = -1
				} else {
					out.runes = append(out.runes, unicode.ReplacementChar)
					out.cps = append(out.cps, cp)
				}
			default:
				flushHigh()
				out.runes = append(out.runes, r)
				out.cps = append(out.cps, cp)
			}
		}
	}
	flushHigh()
	return nil
}

// wide6 decodes one character of an encWide6 piece, stored little-endian
// as lo, hi. A double-byte character of the Far East code page is hi, lo;
// anything else is the single byte lo: Word leaves stale bits in the high
// half of single-byte characters (Bug51944.doc stores a right quote as
// 0x1092 and a paragraph mark as 0x350D, the latter at an FC that its PAPX
// runs confirm ends a paragraph). LibreOffice instead decodes every unit
// from 0x3000 up as a double-byte pair, which turns that paragraph mark
// into a "5"; antiword decodes the unit as UTF-16.
func (d textDecoder) wide6(lo, hi byte) rune {
	if hi != 0 && d.farEast != nil {
		if r, ok := d.farEast.DecodePair(hi, lo); ok {
			return r
		}
	}
	return d.ansi.Byte(lo)
}
