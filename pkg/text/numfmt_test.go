package text

import "testing"

func TestFormatNumber(t *testing.T) {
	cases := []struct {
		n    int
		f    string
		want string
	}{
		{3, "decimal", "3"},
		{1, "chineseCounting", "一"},
		{10, "chineseCounting", "十"},
		{12, "chineseCountingThousand", "十二"},
		{20, "chineseCounting", "二十"},
		{21, "chineseCounting", "二十一"},
		{101, "chineseCounting", "一百零一"},
		{110, "chineseCounting", "一百一十"},
		{1020, "chineseCounting", "一千零二十"},
		{3, "chineseLegalSimplified", "叁"},
		{14, "upperRoman", "XIV"},
		{4, "lowerRoman", "iv"},
		{28, "upperLetter", "BB"},
		{2, "lowerLetter", "b"},
		{3, "decimalEnclosedCircle", "③"},
		{12, "decimalFullWidth", "１２"},
		{2, "ideographTraditional", "乙"},
		{7, "decimalZero", "07"},
		{22, "ordinal", "22nd"},
		{0, "ordinal", "0th"},
		{11, "ordinal", "11th"},
		{112, "ordinal", "112th"},
		{0, "decimalZero", "00"},
		{10, "decimalZero", "10"},
		{1, "chicago", "*"},
		{4, "chicago", "§"},
		{6, "chicago", "††"},
		{5, "somethingNew", "5"},
		{1, "none", ""},
	}
	for _, c := range cases {
		if got := FormatNumber(c.n, c.f); got != c.want {
			t.Errorf("FormatNumber(%d, %q) = %q, want %q", c.n, c.f, got, c.want)
		}
	}
}
