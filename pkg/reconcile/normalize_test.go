package reconcile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The shortcuts of normalizeLine (ASCII and CJK ideographs taken without
// NFKC's quick check, which looks no further than the next of them) must
// give exactly what the general path alone gives.
func TestNormalizeFastPathAgreesWithReference(t *testing.T) {
	lines := []string{
		"", "a", "A", "é", "e\u0301", "E\u0301x", "=\u0338", "a\u0301\u0302b", "中\u0301", "x中e\u0301中",
		"〔2023〕　１号", "ＡＢＣ abc ABC", "第3页 共10页", "— 3 —", "\u00a0\u00a0关于印发《办法》的通知，", "㍷㋿",
		"\u200b零宽\ufeff", "\x00\x1f控制", "Ⅻ ⅻ ﬁ", "가각\u1100\u1161", "中文\xff断", "ab\xe4", "a\xe4\xb8", "𠀁😀",
	}
	files, _ := filepath.Glob("testdata/recon/*.txt")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.Split(string(b), "\n")...)
	}
	if len(files) == 0 {
		t.Fatal("no texts in testdata/recon")
	}
	for _, line := range lines {
		checkNormalizeAgrees(t, line)
	}
}

// FuzzNormalizeLine compares the two paths on any line.
//
//	go test -run '^$' -fuzz FuzzNormalizeLine -fuzztime 5m ./pkg/reconcile
func FuzzNormalizeLine(f *testing.F) {
	f.Add("e\u0301中a")
	f.Add("〔2023〕　１号ＡＢ")
	f.Add("a\u0338=\u0338")
	f.Fuzz(func(t *testing.T, line string) { checkNormalizeAgrees(t, line) })
}

func checkNormalizeAgrees(t *testing.T, line string) {
	t.Helper()
	var got, want normalized
	normalizeLine(line, 7, &got)
	normalizeWith(line, 7, &want, false)
	if !slices.Equal(got.runes, want.runes) || !slices.Equal(got.origin, want.origin) {
		t.Fatalf("%q:\n got  %q %v\n want %q %v", line, string(got.runes), got.origin, string(want.runes), want.origin)
	}
}
