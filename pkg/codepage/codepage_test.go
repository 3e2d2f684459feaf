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
