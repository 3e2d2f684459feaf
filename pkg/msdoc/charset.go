package msdoc

import (
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// charset decodes the 8-bit text of a piece. Single-byte code pages use a
// 256-entry table; double-byte ones (GBK, Big5, Shift-JIS, UHC) decode a
// lead byte together with its trail byte. Word's control characters are all
// below 0x40 and can never be trail bytes, so paragraph and cell marks are
// found at the right CP whatever the code page.
type charset struct {
	name   string
	table  [256]rune
	dbcs   encoding.Encoding
	isLead func(b byte) bool
}

var cp1252 = newSingleByte("windows-1252", charmap.Windows1252)

func newSingleByte(name string, cm *charmap.Charmap) *charset {
	cs := &charset{name: name}
	for i := range cs.table {
		cs.table[i] = cm.DecodeByte(byte(i))
	}
	return cs
}

func newDoubleByte(name string, enc encoding.Encoding, isLead func(byte) bool) *charset {
	cs := newSingleByte(name, charmap.Windows1252)
	for i := 0x80; i < 0x100; i++ {
		cs.table[i] = rune(i) // single high bytes outside lead ranges (rare)
	}
	cs.dbcs, cs.isLead = enc, isLead
	return cs
}

func (cs *charset) decode(b []byte, cp uint32, out *decoded) {
	if cs.dbcs == nil {
		for i, c := range b {
			out.runes = append(out.runes, cs.table[c])
			out.cps = append(out.cps, cp+uint32(i))
		}
		return
	}
	dec := cs.dbcs.NewDecoder()
	var pair [2]byte
	var dst [8]byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 || !cs.isLead(c) || i+1 >= len(b) {
			out.runes = append(out.runes, cs.table[c])
			out.cps = append(out.cps, cp+uint32(i))
			continue
		}
		pair[0], pair[1] = c, b[i+1]
		dec.Reset()
		n, _, err := dec.Transform(dst[:], pair[:], true)
		r := '\uFFFD'
		if err == nil && n > 0 {
			r, _ = utf8.DecodeRune(dst[:n])
		}
		out.runes = append(out.runes, r)
		out.cps = append(out.cps, cp+uint32(i))
		i++
	}
}

func leadRange(lo, hi byte) func(byte) bool {
	return func(b byte) bool { return b >= lo && b <= hi }
}

// charsetForCodePage returns the decoder of a Windows code page, cp1252 for
// anything unknown.
func charsetForCodePage(cp int) *charset {
	switch cp {
	case 936:
		return newDoubleByte("gbk", simplifiedchinese.GBK, leadRange(0x81, 0xFE))
	case 950:
		return newDoubleByte("big5", traditionalchinese.Big5, leadRange(0x81, 0xFE))
	case 932:
		return newDoubleByte("shift_jis", japanese.ShiftJIS, func(b byte) bool {
			return (b >= 0x81 && b <= 0x9F) || (b >= 0xE0 && b <= 0xFC)
		})
	case 949:
		return newDoubleByte("uhc", korean.EUCKR, leadRange(0x81, 0xFE))
	case 874:
		return newSingleByte("windows-874", charmap.Windows874)
	case 1250:
		return newSingleByte("windows-1250", charmap.Windows1250)
	case 1251:
		return newSingleByte("windows-1251", charmap.Windows1251)
	case 1253:
		return newSingleByte("windows-1253", charmap.Windows1253)
	case 1254:
		return newSingleByte("windows-1254", charmap.Windows1254)
	case 1255:
		return newSingleByte("windows-1255", charmap.Windows1255)
	case 1256:
		return newSingleByte("windows-1256", charmap.Windows1256)
	case 1257:
		return newSingleByte("windows-1257", charmap.Windows1257)
	case 1258:
		return newSingleByte("windows-1258", charmap.Windows1258)
	}
	return cp1252
}

// codePageOfCharset maps a font charset (FFN.chs, the Windows LOGFONT
// charset) to its code page; 0 when the charset says nothing about text
// (ANSI, DEFAULT, SYMBOL, MAC, OEM).
func codePageOfCharset(chs byte) int {
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

// codePageOfLID maps a Windows language id to its ANSI code page (wv's
// wvLIDToCodePageConverter, reduced to the primary languages).
func codePageOfLID(lid uint16) int {
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
