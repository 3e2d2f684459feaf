// Package codepage maps the ways old Office formats name a character set
// (Windows code page numbers, font charsets, language ids) to decoders from
// golang.org/x/text, and decodes 8-bit text with them, double-byte code
// pages (GBK, Big5, Shift-JIS, UHC) included.
package codepage

import (
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// Decoder decodes one code page. Single-byte code pages use a 256-entry
// table; double-byte ones decode a lead byte together with its trail byte.
type Decoder struct {
	CodePage int
	table    [256]rune
	dbcs     encoding.Encoding
	isLead   func(b byte) bool
}

var cp1252 = newSingleByte(1252, charmap.Windows1252)

// CP1252 is the decoder of Windows-1252, the default of Western files.
func CP1252() *Decoder { return cp1252 }

func newSingleByte(cp int, cm *charmap.Charmap) *Decoder {
	d := &Decoder{CodePage: cp}
	for i := range d.table {
		d.table[i] = cm.DecodeByte(byte(i))
	}
	return d
}

func newDoubleByte(cp int, enc encoding.Encoding, isLead func(byte) bool) *Decoder {
	d := newSingleByte(cp, charmap.Windows1252)
	for i := 0x80; i < 0x100; i++ {
		d.table[i] = rune(i) // single high bytes outside lead ranges (rare)
	}
	d.dbcs, d.isLead = enc, isLead
	return d
}

// Byte returns the character of one byte on its own (for a double-byte
// code page, its meaning outside a pair).
func (d *Decoder) Byte(b byte) rune { return d.table[b] }

// IsDoubleByte reports whether b starts a two-byte character.
func (d *Decoder) IsDoubleByte(b byte) bool { return d.dbcs != nil && b >= 0x80 && d.isLead(b) }

// Each calls fn for every character of b with the offset of its first
// byte. A lead byte without a trail byte decodes as a single byte.
func (d *Decoder) Each(b []byte, fn func(r rune, off int)) {
	if d.dbcs == nil {
		for i, c := range b {
			fn(d.table[c], i)
		}
		return
	}
	dec := d.dbcs.NewDecoder()
	var dst [8]byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 || !d.isLead(c) || i+1 >= len(b) {
			fn(d.table[c], i)
			continue
		}
		dec.Reset()
		r := '\uFFFD'
		if n, _, err := dec.Transform(dst[:], b[i:i+2], true); err == nil && n > 0 {
			r, _ = utf8.DecodeRune(dst[:n])
		}
		fn(r, i)
		i++
	}
}

// String decodes b.
func (d *Decoder) String(b []byte) string {
	out := make([]rune, 0, len(b))
	d.Each(b, func(r rune, _ int) { out = append(out, r) })
	return string(out)
}

func leadRange(lo, hi byte) func(byte) bool {
	return func(b byte) bool { return b >= lo && b <= hi }
}

// IsDoubleByteCodePage reports whether a code page has double-byte
// characters (the Far East ones New knows: 932, 936, 949, 950).
func IsDoubleByteCodePage(cp int) bool {
	switch cp {
	case 932, 936, 949, 950:
		return true
	}
	return false
}

// MacRoman is the code page number Windows gives the Macintosh Roman
// character set (Word for the Macintosh writes its 8-bit text in it).
const MacRoman = 10000

// DecodePair decodes one double-byte character (a lead byte and its trail
// byte); ok is false when the decoder is single-byte, lead is not a lead
// byte or the pair is not a character of the code page.
func (d *Decoder) DecodePair(lead, trail byte) (r rune, ok bool) {
	if !d.IsDoubleByte(lead) {
		return 0, false
	}
	var dst [8]byte
	n, _, err := d.dbcs.NewDecoder().Transform(dst[:], []byte{lead, trail}, true)
	if err != nil || n == 0 {
		return 0, false
	}
	r, size := utf8.DecodeRune(dst[:n])
	if r == utf8.RuneError || size != n {
		return 0, false
	}
	return r, true
}

// New returns the decoder of a Windows code page, Windows-1252 for
// anything unknown.
func New(cp int) *Decoder {
	switch cp {
	case MacRoman:
		return newSingleByte(cp, charmap.Macintosh)
	case 936:
		return newDoubleByte(cp, simplifiedchinese.GBK, leadRange(0x81, 0xFE))
	case 950:
		return newDoubleByte(cp, traditionalchinese.Big5, leadRange(0x81, 0xFE))
	case 932:
		return newDoubleByte(cp, japanese.ShiftJIS, func(b byte) bool {
			return (b >= 0x81 && b <= 0x9F) || (b >= 0xE0 && b <= 0xFC)
		})
	case 949:
		return newDoubleByte(cp, korean.EUCKR, leadRange(0x81, 0xFE))
	case 874:
		return newSingleByte(cp, charmap.Windows874)
	case 1250:
		return newSingleByte(cp, charmap.Windows1250)
	case 1251:
		return newSingleByte(cp, charmap.Windows1251)
	case 1253:
		return newSingleByte(cp, charmap.Windows1253)
	case 1254:
		return newSingleByte(cp, charmap.Windows1254)
	case 1255:
		return newSingleByte(cp, charmap.Windows1255)
	case 1256:
		return newSingleByte(cp, charmap.Windows1256)
	case 1257:
		return newSingleByte(cp, charmap.Windows1257)
	case 1258:
		return newSingleByte(cp, charmap.Windows1258)
	}
	return cp1252
}

// FromCharset maps a font charset (FFN.chs, the Windows LOGFONT
// charset) to its code page; 0 when the charset says nothing about text
// (ANSI, DEFAULT, SYMBOL, MAC, OEM).
func FromCharset(chs int) int {
	switch chs {
	case 128:
		return 932
	case 129:
		return 949
	case 134:
		return 936
	case 136:
		return 950
	case 161:
		return 1253
	case 162:
		return 1254
	case 163:
		return 1258
	case 177:
		return 1255
	case 178:
		return 1256
	case 186:
		return 1257
	case 204:
		return 1251
	case 222:
		return 874
	case 238:
		return 1250
	}
	return 0
}

// FromLID maps a Windows language id to its ANSI code page (wv's
// wvLIDToCodePageConverter, reduced to the primary languages).
func FromLID(lid uint16) int {
	switch lid {
	case 0x0804, 0x1004:
		return 936
	case 0x0404, 0x0C04, 0x1404:
		return 950
	}
	switch lid & 0x3FF { // primary language
	case 0x11:
		return 932
	case 0x12:
		return 949
	case 0x04:
		return 936
	case 0x19, 0x22, 0x23, 0x02, 0x2F:
		return 1251
	case 0x05, 0x15, 0x0E, 0x1B, 0x24, 0x1A, 0x18, 0x1C:
		return 1250
	case 0x08:
		return 1253
	case 0x1F:
		return 1254
	case 0x0D:
		return 1255
	case 0x01, 0x20, 0x29:
		return 1256
	case 0x25, 0x26, 0x27:
		return 1257
	case 0x2A:
		return 1258
	case 0x1E:
		return 874
	}
	return 1252
}
