package msdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

// TestGaps pins real files from public test suites (testdata/gaps, origins in
// SOURCES.tsv) where an earlier version printed the wrong text. Each is
// rendered with every story and compared with the exact text decided from
// the document's own structures (see the package doc and the comments of
// each case); the references (LibreOffice, POI, antiword) were evidence, not
// truth.
func TestGaps(t *testing.T) {
	cases := []struct {
		file string
		// has are short excerpts the case is about, checked first so that a
		// failure names the gap rather than the first differing line.
		has []string
		// warnings: how many damage warnings the document must carry.
		warnings int
	}{
		// Word 95 Far East build (wIdent 0xA699), fast-saved twice, fExtChar:
		// every piece holds 16-bit units; 0x1092 is a right quote (cp1252
		// 0x92 in the low byte) and 0x350D a paragraph mark (its PAPX run
		// ends right after it).
		{file: "poi-Bug51944.doc", has: []string{"Many thanks for xxxxxx’x block2xxxx to xxxxxxx a xxxxxxx with you in your office this morning.\n", "xxxxxxxxx xxxxx\n9-55 xxxxx block5\n"}},
		// Word 6 written on a Macintosh (FIB chse 256, fonts MAC_CHARSET).
		{file: "poi-TestInvertedClassID.doc", has: []string{"BIOGRAPHIE de l’auteur\n", "la stratégie"}},
		// Each paragraph types the label Word shows after its automatic one:
		// a list starting at 0 (ordinal, leading zero), LFOs that restart a
		// level (fStartAt) or replace its LVL (fFormatting) and share the
		// list's counters, restart limits (fNoRestart/ilvlRestartLim),
		// legal numbering, skipped levels and bullet levels inside a pattern.
		{file: "tika-testWORD_override_list_numbering.doc", has: []string{"0th 0th\n1st 1st\n", "1.1.1.1...1 1.1.1.1...1\n",
			"1.b.III 1.b.III\n2 2\n2.a.I 2.a.I\n2.b 2.b\n", "1 1\nB B\nC C\nA A\nB B\n4 4\n", "00 00\n01 01\n01. 01.\n01. 01.\n01..1 01..1\n02 02\n"}},
		// Note reference marks (text package doc): automatic marks numbered
		// from the Dop (endnotes i, ii, iii here), custom marks as typed,
		// Symbol-font marks (sprmCSymbol, U+F0A8 and U+F0A9 in Symbol)
		// mapped through their font, each note's text after its mark and
		// one space.
		{file: "wv-endnoteexample1.doc", has: []string{"I am an autonumbered endnotei\nA am another autonumbered endnoteii\nI am a custom endnotecustum\n",
			"I am a symbol♦\n", "Endnote on another pageiv\n", "=== endnote ===\ni Endnote i\nii Endnote ii\ncustum a custom endnote\niii Endnote iii\n♦ I am a symbol endnote\niv another endnote\n"}},
		{file: "wv-supported-footnote-1-features.doc", has: []string{"I am a footnote test1\nI am another footnote2\nI am another footnotefish\nI am another footnote3\nI am another footnote♥\nI am a footnote on page 2 continous45\n",
			"=== footnote ===\n1 I am an autonumbered footnote 1\n", "♥ I am a heart footnote\n"}},
		// 1Table's sector chain loops back after three sectors: the piece
		// table is lost, the text read from fcMin (ccpText 333 characters,
		// as LibreOffice recovers), the endnote marks still numbered from
		// the PLCs that survived (Word's default i, ii, iii: the Dop is
		// lost too). The converter that wrote it put line feeds where the
		// paragraph marks belong; the PAPX runs end there.
		{file: "wv-footnote6.doc", warnings: 2, has: []string{"Footnote Tests\nFootnotes numbered in lower roman, converted to endnotes, restarts at each section\n\nI am a footnote testi\n",
			"I am a footnote on page 2 don’t restart txxixii\n", "=== endnote ===\ni I am an autonumbered footnote 1\n"}},
		// List bullets drawn from their level's font: Symbol U+F0B7 "•",
		// Wingdings U+F0A7 "▪", and Word's default "o" in Courier New "◦".
		{file: "kreuzberg-unit_test_lists.doc", has: []string{"• List item 1\n◦ List item 1.1\n▪ List item 1.1.1\n• List item 3\n"}},
		// An LFO replaces level 0 of a "*" list by a Symbol bullet.
		{file: "tika-test_TIKA-1251.doc", has: []string{"1. Organisering av vakten:\n• Sikre overføring av informasjon fra forrige ansvarsvakt og leder\n"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata/gaps", c.file)
			doc, err := extractFile(t, path)
			if err != nil {
				t.Fatal(err)
			}
			got := doc.PlainText(text.RenderOptions{AllStories: true})
			for _, h := range c.has {
				if !strings.Contains(got, h) {
					t.Errorf("missing %q", h)
				}
			}
			want, err := os.ReadFile(strings.TrimSuffix(path, ".doc") + ".want.txt")
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("text differs:\n%s", firstDiff(got, string(want)))
			}
			if len(doc.Warnings) != c.warnings {
				t.Errorf("warnings %q, want %d", doc.Warnings, c.warnings)
			}
		})
	}
}
