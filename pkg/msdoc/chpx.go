package msdoc

import (
	"sort"

	"github.com/policytext/policytext/pkg/codepage"
)

const (
	fcPlcfBteChpx  = 12
	sprmCFRMarkDel = 0x0800 // tracked deletion
	// sprmCSymbol: the character is a symbol, ftc (2 bytes) and its code
	// (2 bytes); the text stream holds a placeholder ("(" in Word 97).
	sprmCSymbol = 0x6A09
	// sprmCRgFtc0 / sprmCRgFtc2: the font of ASCII characters and of the
	// other non-East-Asian ones.
	sprmCRgFtc0 = 0x4A4F
	sprmCRgFtc2 = 0x4A51
)

// fcRange is a half-open range of WordDocument byte offsets.
type fcRange struct{ a, b uint32 }

// symbolRun is a run of characters whose glyphs come from a symbol font:
// either each character is drawn from font (a symbol font the code page
// package knows), or, with sym set, the run is one inserted symbol whose
// character is sym in font.
type symbolRun struct {
	fcRange
	font string
	sym  rune
	// hasSym: the run is a sprmCSymbol run.
	hasSym bool
}

// charRuns are the character properties this package uses, by FC.
type charRuns struct {
	deletions []fcRange   // tracked deletions (sprmCFRMarkDel)
	symbols   []symbolRun // symbol-font text and inserted symbols
}

// parseCharRuns reads PlcfBteChpx and its CHPX FKP pages. Deleted text is
// still in the text stream; dropping it gives the text as accepted, the
// same rule the .docx extractor applies to w:del. Only direct formatting
// is read: a symbol font that comes from a style is not seen.
func parseCharRuns(wd, plc []byte, fonts []string) charRuns {
	var out charRuns
	if len(plc) < 8 {
		return out
	}
	font := func(ftc int) string {
		if ftc >= 0 && ftc < len(fonts) {
			return fonts[ftc]
		}
		return ""
	}
	n := (len(plc) - 4) / 8
	seen := make(map[uint32]bool, n)
	for i := 0; i < n; i++ {
		pn, _ := u32(plc, 4*(n+1)+4*i)
		pn &= 0x3FFFFF
		off := int64(pn) * fkpSize
		if seen[pn] || off+fkpSize > int64(len(wd)) {
			continue
		}
		seen[pn] = true
		page := wd[off : off+fkpSize]
		crun := int(page[fkpSize-1])
		if 4*(crun+1)+crun > fkpSize-1 {
			continue
		}
		for j := 0; j < crun; j++ {
			bOff := 2 * int(page[4*(crun+1)+j])
			if bOff == 0 || bOff >= fkpSize-1 {
				continue
			}
			cb := int(page[bOff])
			if bOff+1+cb > fkpSize {
				continue
			}
			a, _ := u32(page, 4*j)
			b, _ := u32(page, 4*j+4)
			if b <= a {
				continue
			}
			deleted := false
			ftc0, ftc2 := -1, -1
			run := symbolRun{fcRange: fcRange{a, b}}
			walkSprms(page[bOff+1:bOff+1+cb], func(op uint16, arg []byte) {
				switch op {
				case sprmCFRMarkDel:
					deleted = arg[0] != 0
				case sprmCRgFtc0:
					ftc0 = int(uint16(arg[0]) | uint16(arg[1])<<8)
				case sprmCRgFtc2:
					ftc2 = int(uint16(arg[0]) | uint16(arg[1])<<8)
				case sprmCSymbol:
					run.hasSym = true
					run.font = font(int(uint16(arg[0]) | uint16(arg[1])<<8))
					run.sym = rune(uint16(arg[2]) | uint16(arg[3])<<8)
				}
			})
			if deleted {
				out.deletions = append(out.deletions, fcRange{a, b})
			}
			if !run.hasSym {
				// A run in a symbol font: high characters use ftc2, and
				// symbol characters are high (0xF0xx or 0x80-0xFF), so it
				// decides when present.
				name := font(ftc0)
				if ftc2 >= 0 {
					name = font(ftc2)
				}
				if _, ok := codepage.SymbolRune(name, ' '); !ok {
					continue
				}
				run.font = name
			}
			out.symbols = append(out.symbols, run)
		}
	}
	sort.Slice(out.deletions, func(i, j int) bool { return out.deletions[i].a < out.deletions[j].a })
	sort.Slice(out.symbols, func(i, j int) bool { return out.symbols[i].a < out.symbols[j].a })
	return out
}

// isDeleted reports whether the character at cp is a tracked deletion.
func (p *parser) isDeleted(cp uint32) bool {
	if len(p.chars.deletions) == 0 {
		return false
	}
	fc, ok := fcOf(p.pieces, cp)
	if !ok {
		return false
	}
	i := sort.Search(len(p.chars.deletions), func(i int) bool { return p.chars.deletions[i].b > fc })
	return i < len(p.chars.deletions) && p.chars.deletions[i].a <= fc
}

// symbolChar returns what Word draws for the character r at cp: an
// inserted symbol (sprmCSymbol) is its own character through its font; a
// character in a symbol-font run goes through that font (Symbol's 0xB7 or
// U+F0B7 is "•"). Anything else is r.
func (p *parser) symbolChar(r rune, cp uint32) rune {
	if len(p.chars.symbols) == 0 {
		return r
	}
	fc, ok := fcOf(p.pieces, cp)
	if !ok {
		return r
	}
	runs := p.chars.symbols
	i := sort.Search(len(runs), func(i int) bool { return runs[i].b > fc })
	if i == len(runs) || runs[i].a > fc {
		return r
	}
	run := runs[i]
	if run.hasSym {
		r = run.sym
	}
	if m, ok := codepage.SymbolRune(run.font, r); ok && m != 0 {
		return m
	}
	return r
}
