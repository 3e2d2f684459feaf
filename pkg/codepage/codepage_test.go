package codepage

import "testing"

func TestDecode(t *testing.T) {
	cases := []struct {
		cp   int
		in   []byte
		want string
	}{
		{FromCharset(134), []byte{0xD6, 0xD0, 0xCE, 0xC4, 'a'}, "中文a"},
		{FromLID(0x0804), []byte{0xD6, 0xD0}, "中"},
		{FromLID(0x0419), []byte{0xCE, 0xCF}, "ОП"},
		{FromCharset(136), []byte{0xA4, 0xA4}, "中"},
		{1252, []byte{0x93, 'x', 0x94}, "“x”"},
		{936, []byte{0xD6}, "\u00D6"}, // a lone lead byte at the end
	}
	for _, c := range cases {
		if got := New(c.cp).String(c.in); got != c.want {
			t.Errorf("cp %d %x: %q, want %q", c.cp, c.in, got, c.want)
		}
	}
	if FromCharset(0) != 0 || FromCharset(2) != 0 {
		t.Error("ANSI and SYMBOL charsets say nothing about the code page")
	}
}

func TestMacRoman(t *testing.T) {
	// Word 6 for the Macintosh: 0xD5 is the right single quote, 0x8E é.
	if got := New(MacRoman).String([]byte{'l', 0xD5, 'a', 0x8E}); got != "l’aé" {
		t.Errorf("Mac Roman: %q", got)
	}
}

func TestDecodePair(t *testing.T) {
	big5 := New(950)
	if r, ok := big5.DecodePair(0xA4, 0xA4); !ok || r != '中' {
		t.Errorf("Big5 A4A4: %q %v", r, ok)
	}
	if _, ok := big5.DecodePair(0x35, 0x0D); ok {
		t.Error("0x35 is not a Big5 lead byte")
	}
	if !IsDoubleByteCodePage(950) || IsDoubleByteCodePage(1252) || IsDoubleByteCodePage(MacRoman) {
		t.Error("IsDoubleByteCodePage")
	}
	if _, ok := CP1252().DecodePair(0xA4, 0xA4); ok {
		t.Error("cp1252 has no double-byte characters")
	}
}
