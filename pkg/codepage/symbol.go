package codepage

import "strings"

// SymbolRune maps a character of a symbol font (Symbol, Wingdings) to
// Unicode. r is the font's code, 0x20-0xFF, or its private-use form
// U+F020-U+F0FF; ok reports whether font is a symbol font this table
// knows (then the result is the Unicode character, or r when the table
// has none for it).
//
// Placeholder: only the characters the msdoc tests need; the full tables
// (after LibreOffice's unotools/source/misc/fontcvt.cxx) come from branch
// i13-docx.
func SymbolRune(font string, r rune) (rune, bool) {
	table, ok := symbolTables[strings.ToLower(strings.TrimSpace(font))]
	if !ok {
		return r, false
	}
	code := r
	if code >= 0xF020 && code <= 0xF0FF {
		code -= 0xF000
	}
	if m, ok := table[code]; ok {
		return m, true
	}
	return r, true
}

var symbolTables = map[string]map[rune]rune{
	"symbol":    {0xA8: '♦', 0xA9: '♥', 0xB7: '•'},
	"wingdings": {0xA7: '▪'},
}
