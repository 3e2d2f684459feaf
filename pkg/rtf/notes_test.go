package rtf

import (
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

// TestNoteMarksAndSymbols: \chftn is the note's number in the text and at
// the start of the note (then one space); endnotes (\ftnalt) count on their
// own, in the document's formats; a custom mark is typed text; characters
// in a Symbol or Wingdings font (bytes, \'hh, \u in the F0xx range) are
// mapped through the font.
func TestNoteMarksAndSymbols(t *testing.T) {
	fonts := `{\fonttbl{\f0\froman\fcharset0 Times New Roman;}{\f3\froman\fcharset2{\*\panose 05050102010706020507}Symbol;}{\f4\fnil\fcharset2 Wingdings{\*\falt Wingdings};}}`
	cases := []struct{ name, in, main, all string }{
		{"defaults", `{\rtf1\ansi` + fonts + `\f0 one{\super\chftn}{\footnote\pard{\super\chftn}   \tab first note\par} end{\super\chftn}{\footnote \ftnalt\pard{\super\chftn} an endnote\par}` +
			` two{\super\chftn}{\footnote\pard{\super\chftn}second\par} custom{\super *}{\footnote\pard{\super *} starred\par}\par}`,
			"one1 endi two2 custom*\n",
			"=== footnote ===\n1 first note\n2 second\n* starred\n=== endnote ===\ni an endnote\n"},
		{"formats", `{\rtf1\ansi` + fonts + `\ftnnalc\ftnstart3\aftnnar\f0 a{\super\chftn}{\footnote{\super\chftn} x\par} b{\super\chftn}{\footnote\ftnalt{\super\chftn} y\par}\par}`,
			"ac b1\n", "=== footnote ===\nc x\n=== endnote ===\n1 y\n"},
		{"symbols", `{\rtf1\ansi` + fonts + `{\listtext\f3 \'b7\tab}item\par {\f3 a\'b7}{\f4 \'fc\u61607?}{\f0 \u61623?}\par}`,
			"•\titem\nα•✔▪\uF0B7\n", ""},
	}
	for _, c := range cases {
		doc, err := extractString(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := doc.PlainText(text.RenderOptions{}); got != c.main {
			t.Errorf("%s: main %q, want %q", c.name, got, c.main)
		}
		if got := doc.PlainText(text.RenderOptions{AllStories: true}); got != c.main+c.all {
			t.Errorf("%s: all %q, want %q", c.name, got, c.main+c.all)
		}
	}
}
