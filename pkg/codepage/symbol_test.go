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
		{"Wingdings", 0xF0A7, '▪', true},
		{"Times New Roman", 0xF0B7, 0xF0B7, false},
	}
	for _, c := range cases {
		if got, ok := SymbolRune(c.font, c.r); got != c.want || ok != c.ok {
			t.Errorf("SymbolRune(%q, %#x) = %q %v, want %q %v", c.font, c.r, got, ok, c.want, c.ok)
		}
	}
}
