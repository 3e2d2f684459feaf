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
		// the shape Word writes: the \footnote group inside the mark's group
		{"word", `{\rtf1\ansi\deff0` + fonts + `\aftnnrlc\pard\plain {\rtlch\fcs1 \af0 \ltrch\fcs0 \insrsid1 Text}{\rtlch\fcs1 \af0 \ltrch\fcs0 \cs15\super\insrsid1 \chftn {\footnote \ltrpar \pard\plain \ltrpar\s16\ql \li0\ri0 {\rtlch\fcs1 \af0 \ltrch\fcs0 \cs15\super\insrsid1 \chftn }{\rtlch\fcs1 \af0 \ltrch\fcs0 \insrsid1  A footnote.}}}` +
			`{\rtlch\fcs1 \af0 \ltrch\fcs0 \cs15\super\insrsid1 \chftn {\footnote \ftnalt \ltrpar \pard\plain \ltrpar\s18\ql {\rtlch\fcs1 \af0 \ltrch\fcs0 \cs17\super\insrsid1 \chftn }{\rtlch\fcs1 \af0 \ltrch\fcs0 \insrsid1  An endnote.}}}{\insrsid1 .}` +
			`{\cs15\super \chftn {\footnote \pard\plain {\cs15\super \chftn }{ Second.}}}\par}`,
			"Text1i.2\n", "=== footnote ===\n1 A footnote.\n2 Second.\n=== endnote ===\ni An endnote.\n"},
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

// TestMacroButton: a field without a result shows nothing, except
// MACROBUTTON, which shows its display text (as Word and package docx do);
// a field with a result shows only the result.
func TestMacroButton(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"placeholder", `{\rtf1 To: {\field{\*\fldinst {\rtlch MACROBUTTON NN [}{Name}{]}}{\fldrslt }}\par}`, "To: [Name]\n"},
		{"short macro name", `{\rtf1 {\field{\*\fldinst  MACROBUTTON\tab M  [Date] }}\par}`, "[Date] \n"},
		{"result wins", `{\rtf1 {\field{\*\fldinst MACROBUTTON NN [x]}{\fldrslt shown}}\par}`, "shown\n"},
		{"other fields", `{\rtf1 a{\field{\*\fldinst PAGE}{\fldrslt }}b{\field{\*\fldinst MACROBUTTON}}c\par}`, "abc\n"},
		{"nested and sequential", `{\rtf1 {\field{\*\fldinst HYPERLINK x}{\fldrslt {\field{\*\fldinst MACROBUTTON A [in]}}}} {\field{\*\fldinst MACROBUTTON B [two]}}\par}`, "[in] [two]\n"},
	}
	for _, c := range cases {
		doc, err := extractString(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := doc.PlainText(text.RenderOptions{}); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
