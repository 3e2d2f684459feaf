package codepage

import "testing"

func TestSymbolRune(t *testing.T) {
	cases := []struct {
		font string
		r    rune
		want rune
		ok   bool
	}{
		{"Symbol", 0xB7, '•', true},
		{"symbol", 0xF0B7, '•', true},
		{" SYMBOL ", 0xF0A8, '♦', true},
		{"Symbol", 0xF0A9, '♥', true},
		{"Symbol", 'a', 'α', true},
		{"Symbol", 'W', 'Ω', true},
		{"Symbol", 0xF020, ' ', true},
		{"Symbol", 0xF0AE, '→', true},
		{"Symbol", 0xF0D4, '™', true},
		{"Symbol", 0xF0E6, '⎛', true},
		{"Symbol", 0xF0FE, '⎭', true},    // the last code: rows are aligned
		{"Symbol", 0xF080, 0xF080, true}, // no glyph: unchanged
		{"Symbol", '中', '中', true},       // outside the font's codes
		{"Wingdings", 0xF0A7, '▪', true},
		{"Wingdings", 0x9F, '•', true},
		{"Wingdings", 0xF0D8, '⮚', true},
		{"Wingdings", 0xF0FC, '✔', true},
		{"Wingdings", 0xF0FE, '🗹', true},
		{"Wingdings", 0xF076, '❖', true},
		{"Wingdings", 0xF06C, '●', true},
		{"Wingdings", 0xF08C, '❶', true},
		{"Wingdings", 0xF021, '🖉', true},
		{"Wingdings", 0xF0FF, 0xF0FF, true},
		{"Times New Roman", 0xF0B7, 0xF0B7, false},
		{"", 'a', 'a', false},
	}
	for _, c := range cases {
		if got, ok := SymbolRune(c.font, c.r); got != c.want || ok != c.ok {
			t.Errorf("SymbolRune(%q, %#x) = %q %v, want %q %v", c.font, c.r, got, ok, c.want, c.ok)
		}
	}
}

// TestSymbolTablesComplete: every printable code of both fonts maps to a
// character outside the private-use area (except the few without glyph),
// so a shifted row would show up as a wrong character in TestSymbolRune and
// a missing one here.
func TestSymbolTablesComplete(t *testing.T) {
	for _, c := range []struct {
		font  string
		holes map[rune]bool
	}{
		{"Symbol", map[rune]bool{0x7F: true, 0xF0: true, 0xFF: true}},
		{"Wingdings", map[rune]bool{0x7F: true, 0xFF: true}},
	} {
		for code := rune(0x20); code <= 0xFF; code++ {
			if c.font == "Symbol" && code >= 0x80 && code < 0xA0 {
				continue
			}
			got, _ := SymbolRune(c.font, 0xF000+code)
			if mapped := got != 0xF000+code; mapped == c.holes[code] {
				t.Errorf("%s %#x: got %q", c.font, code, got)
			}
		}
	}
	if !IsSymbolFont("Wingdings") || IsSymbolFont("Arial") {
		t.Error("IsSymbolFont")
	}
}
