package codepage

import "strings"

// SymbolRune maps a character of a symbol font (Symbol, Wingdings) to
// Unicode. r is the font's code, 0x20-0xFF, or its private-use form
// U+F020-U+F0FF (what Word stores for a symbol inserted from such a font);
// ok reports whether font is a symbol font this package knows (then the
// result is the Unicode character, or r when the font has no glyph there).
// Other characters (r outside both ranges) come back unchanged.
//
// Word draws these fonts by code, not by Unicode: the byte 0xB7 in Symbol
// is a bullet, in Wingdings a clock face. The tables follow what
// LibreOffice shows for them (its font conversion, unotools fontcvt, maps
// the same codes to these glyphs), written as standard Unicode characters
// rather than its own private-use OpenSymbol code points:
//
//   - Symbol: Adobe's Symbol encoding as Unicode publishes it
//     (VENDORS/ADOBE/symbol.txt): Greek letters, mathematical operators,
//     arrows, card suits; 0xA0 is the euro sign Windows' Symbol font adds;
//     the bracket, integral and arrow pieces Adobe maps to its corporate
//     private-use area are the Unicode 3.2 pieces (U+239B-U+23AE, U+23D0,
//     U+23AF) and the serif/sans copyright, registered and trade mark signs
//     both their one Unicode character.
//   - Wingdings: the Unicode 7.0 equivalents encoded for Wingdings' glyphs
//     (Unicode's Wingdings/Webdings compatibility set): 0x9F "•", 0xA7 "▪",
//     0xA8 "◻", 0x6C "●", 0x6E "■", 0x76 "❖", 0xD8 "⮚", 0xFC "✔", ...
//
// Font names are matched without regard to case or surrounding space.
func SymbolRune(font string, r rune) (rune, bool) {
	table := symbolTable(font)
	if table == nil {
		return r, false
	}
	code := r
	if code >= 0xF020 && code <= 0xF0FF {
		code -= 0xF000
	}
	if code < 0x20 || code > 0xFF {
		return r, true
	}
	if m := table[code-0x20]; m != 0 {
		return m, true
	}
	return r, true
}

// IsSymbolFont reports whether SymbolRune maps the characters of font.
func IsSymbolFont(font string) bool { return symbolTable(font) != nil }

func symbolTable(font string) *[224]rune {
	switch strings.ToLower(strings.TrimSpace(font)) {
	case "symbol":
		return &symbolFont
	case "wingdings":
		return &wingdingsFont
	}
	return nil
}

// symbolFont is the Symbol font, codes 0x20-0xFF; 0 where it has no glyph.
var symbolFont = [224]rune{
	// 0x20
	' ', '!', '∀', '#', '∃', '%', '&', '∋', '(', ')', '∗', '+', ',', '−', '.', '/',
	// 0x30
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	// 0x40
	'≅', 'Α', 'Β', 'Χ', 'Δ', 'Ε', 'Φ', 'Γ', 'Η', 'Ι', 'ϑ', 'Κ', 'Λ', 'Μ', 'Ν', 'Ο',
	// 0x50
	'Π', 'Θ', 'Ρ', 'Σ', 'Τ', 'Υ', 'ς', 'Ω', 'Ξ', 'Ψ', 'Ζ', '[', '∴', ']', '⊥', '_',
	// 0x60 (0x60: the radical extender, drawn as an overline)
	'‾', 'α', 'β', 'χ', 'δ', 'ε', 'φ', 'γ', 'η', 'ι', 'ϕ', 'κ', 'λ', 'μ', 'ν', 'ο',
	// 0x70
	'π', 'θ', 'ρ', 'σ', 'τ', 'υ', 'ϖ', 'ω', 'ξ', 'ψ', 'ζ', '{', '|', '}', '∼', 0,
	// 0x80-0x9F: no glyphs
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	// 0xA0
	'€', 'ϒ', '′', '≤', '⁄', '∞', 'ƒ', '♣', '♦', '♥', '♠', '↔', '←', '↑', '→', '↓',
	// 0xB0
	'°', '±', '″', '≥', '×', '∝', '∂', '•', '÷', '≠', '≡', '≈', '…', '⏐', '⎯', '↵',
	// 0xC0
	'ℵ', 'ℑ', 'ℜ', '℘', '⊗', '⊕', '∅', '∩', '∪', '⊃', '⊇', '⊄', '⊂', '⊆', '∈', '∉',
	// 0xD0
	'∠', '∇', '®', '©', '™', '∏', '√', '⋅', '¬', '∧', '∨', '⇔', '⇐', '⇑', '⇒', '⇓',
	// 0xE0
	'◊', '〈', '®', '©', '™', '∑', '⎛', '⎜', '⎝', '⎡', '⎢', '⎣', '⎧', '⎨', '⎩', '⎪',
	// 0xF0 (0xF0: the Apple logo of Adobe's font, nothing in Windows')
	0, '〉', '∫', '⌠', '⎮', '⌡', '⎞', '⎟', '⎠', '⎤', '⎥', '⎦', '⎫', '⎬', '⎭', 0,
}

// wingdingsFont is the Wingdings font, codes 0x20-0xFF; 0 where Unicode
// has no equivalent (0x7F, 0xFF: the Windows logo).
var wingdingsFont = [224]rune{
	// 0x20
	' ', '🖉', '✂', '✁', '👓', '🕭', '🕮', '🕯', '🕿', '✆', '🖂', '🖃', '📪', '📫', '📬', '📭',
	// 0x30
	'📁', '📂', '📄', '🗏', '🗐', '🗄', '⌛', '🖮', '🖰', '🖲', '🖳', '🖴', '🖫', '🖬', '✇', '✍',
	// 0x40
	'🖎', '✌', '👌', '👍', '👎', '☜', '☞', '☝', '☟', '🖐', '☺', '😐', '☹', '💣', '☠', '🏳',
	// 0x50
	'🏱', '✈', '☼', '💧', '❄', '🕆', '✞', '🕈', '✠', '✡', '☪', '☯', 'ॐ', '☸', '♈', '♉',
	// 0x60
	'♊', '♋', '♌', '♍', '♎', '♏', '♐', '♑', '♒', '♓', '🙰', '🙵', '●', '🔾', '■', '□',
	// 0x70
	'🞐', '❑', '❒', '⬧', '⧫', '◆', '❖', '⬥', '⌧', '⮹', '⌘', '🏵', '🏶', '🙶', '🙷', 0,
	// 0x80
	'⓪', '①', '②', '③', '④', '⑤', '⑥', '⑦', '⑧', '⑨', '⑩', '⓿', '❶', '❷', '❸', '❹',
	// 0x90
	'❺', '❻', '❼', '❽', '❾', '❿', '🙢', '🙠', '🙡', '🙣', '🙞', '🙜', '🙝', '🙟', '·', '•',
	// 0xA0
	'▪', '⚪', '🞆', '🞈', '◉', '◎', '🔿', '▪', '◻', '🟂', '✦', '★', '✶', '✴', '✹', '✵',
	// 0xB0
	'⯐', '⌖', '⟡', '⌑', '⯑', '✪', '✰', '🕐', '🕑', '🕒', '🕓', '🕔', '🕕', '🕖', '🕗', '🕘',
	// 0xC0
	'🕙', '🕚', '🕛', '⮰', '⮱', '⮲', '⮳', '⮴', '⮵', '⮶', '⮷', '🙪', '🙫', '🙕', '🙔', '🙗',
	// 0xD0
	'🙖', '🙐', '🙑', '🙒', '🙓', '⌫', '⌦', '⮘', '⮚', '⮙', '⮛', '⮈', '⮊', '⮉', '⮋', '🡨',
	// 0xE0
	'🡪', '🡩', '🡫', '🡬', '🡭', '🡯', '🡮', '🡸', '🡺', '🡹', '🡻', '🡼', '🡽', '🡿', '🡾', '⇦',
	// 0xF0
	'⇨', '⇧', '⇩', '⬄', '⇳', '⬀', '⬁', '⬃', '⬂', '🢬', '🢭', '🗶', '✔', '🗷', '🗹', 0,
}
