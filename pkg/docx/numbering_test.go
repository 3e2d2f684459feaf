package docx

import (
	"bytes"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

// TestListOverrides: w:lvlOverride restarts a level (w:startOverride, the
// instance then counts on its own) or replaces it (w:lvl, numbered with the
// list's counters); bullets drawn in a symbol font map through it, and
// Word's "o" in Courier New is "◦".
func TestListOverrides(t *testing.T) {
	para := func(numID, ilvl int, s string) string {
		return `<w:p><w:pPr><w:numPr><w:ilvl w:val="` + string(rune('0'+ilvl)) + `"/><w:numId w:val="` + string(rune('0'+numID)) + `"/></w:numPr></w:pPr><w:r><w:t>` + s + `</w:t></w:r></w:p>`
	}
	body := `<w:document ` + wNS + `><w:body>` +
		para(1, 0, "a") + para(1, 0, "b") +
		para(2, 0, "restarted") + para(2, 0, "next") +
		para(3, 0, "replaced") +
		para(1, 0, "c") +
		para(4, 0, "dot") + para(4, 1, "hollow") + para(4, 2, "square") + para(4, 3, "arrow") +
		`</w:body></w:document>`
	num := `<w:numbering ` + wNS + `>
<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="1">
<w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="` + "\uF0B7" + `"/><w:rPr><w:rFonts w:ascii="Symbol" w:hAnsi="Symbol" w:hint="default"/></w:rPr></w:lvl>
<w:lvl w:ilvl="1"><w:numFmt w:val="bullet"/><w:lvlText w:val="o"/><w:rPr><w:rFonts w:ascii="Courier New" w:hAnsi="Courier New" w:cs="Courier New"/></w:rPr></w:lvl>
<w:lvl w:ilvl="2"><w:numFmt w:val="bullet"/><w:lvlText w:val="` + "\uF0A7" + `"/><w:rPr><w:rFonts w:ascii="Wingdings" w:hAnsi="Wingdings"/></w:rPr></w:lvl>
<w:lvl w:ilvl="3"><w:numFmt w:val="bullet"/><w:lvlText w:val="` + "\uF0D8" + `"/><w:rPr><w:rFonts w:ascii="Wingdings" w:hAnsi="Wingdings"/></w:rPr></w:lvl>
</w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="7"/></w:lvlOverride></w:num>
<w:num w:numId="3"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperLetter"/><w:lvlText w:val="(%1)"/></w:lvl></w:lvlOverride></w:num>
<w:num w:numId="4"><w:abstractNumId w:val="1"/></w:num>
</w:numbering>`
	rels := `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rIdN" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/></Relationships>`
	b := makeDocx(t, map[string]string{"word/document.xml": body, "word/numbering.xml": num, "word/_rels/document.xml.rels": rels})
	doc, err := Extract(bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "1. a\n2. b\n7. restarted\n8. next\n(C) replaced\n4. c\n• dot\n◦ hollow\n▪ square\n⮚ arrow\n"
	if got := doc.PlainText(text.RenderOptions{}); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestSymbolRuns: characters of a run in a symbol font are codes in that
// font, chosen by range as Word does (ascii below U+0080, hAnsi above);
// w:sym takes its own font; an unknown font keeps the character.
func TestSymbolRuns(t *testing.T) {
	run := func(fonts, s string) string {
		return `<w:r><w:rPr>` + fonts + `</w:rPr><w:t>` + s + `</w:t></w:r>`
	}
	body := `<w:document ` + wNS + `><w:body><w:p>` +
		run(`<w:rFonts w:ascii="Symbol" w:hAnsi="Symbol"/>`, "a\uF0B7") + "|" +
		run(`<w:rFonts w:ascii="Times New Roman" w:hAnsi="Symbol"/>`, "a\uF0B7") + "|" +
		run(`<w:rFonts w:ascii="Wingdings"/>`, "\uF0FC") + "|" +
		run(`<w:rFonts w:ascii="Wingdings 2" w:hAnsi="Wingdings 2"/>`, "\uF050") + "|" +
		`<w:r><w:sym w:font="Wingdings" w:char="F0A7"/><w:sym w:font="Symbol" w:char="B7"/><w:sym w:font="MT Extra" w:char="F021"/></w:r>` +
		`</w:p></w:body></w:document>`
	body = strings.ReplaceAll(body, "|", `<w:r><w:t>|</w:t></w:r>`)
	b := makeDocx(t, map[string]string{"word/document.xml": body})
	doc, err := extractBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := doc.PlainText(text.RenderOptions{}), "α•|a•|✔|\uF050|▪•\uF021\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
