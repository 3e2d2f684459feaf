package docx

import (
	"bytes"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

const notesRels = `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rIdF" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>` +
	`<Relationship Id="rIdE" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes" Target="endnotes.xml"/>` +
	`<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/></Relationships>`

// TestNoteMarks: reference marks in the body where the notes are anchored,
// numbered in document order per kind in the document's formats; custom
// marks (a Symbol-font one too) as typed and unnumbered; each note's text
// after its number and exactly one space. A note the text never refers to
// (Word shows none) keeps its text as written.
func TestNoteMarks(t *testing.T) {
	body := `<w:document ` + wNS + `><w:body>
<w:p><w:r><w:t>first</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r><w:r><w:t xml:space="preserve"> and end</w:t></w:r><w:r><w:endnoteReference w:id="7"/></w:r></w:p>
<w:p><w:r><w:t>custom</w:t></w:r><w:r><w:footnoteReference w:customMarkFollows="1" w:id="3"/><w:t>*</w:t></w:r></w:p>
<w:p><w:r><w:t>heart</w:t></w:r><w:r><w:footnoteReference w:customMarkFollows="true" w:id="4"/></w:r><w:r><w:sym w:font="Symbol" w:char="F0A9"/></w:r></w:p>
<w:p><w:r><w:t>second</w:t></w:r><w:r><w:footnoteReference w:id="5"/></w:r><w:r><w:endnoteReference w:id="8"/></w:r></w:p>
</w:body></w:document>`
	foot := `<w:footnotes ` + wNS + `><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:id="2"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve">  </w:t></w:r><w:r><w:tab/><w:t>Note one</w:t></w:r></w:p><w:p><w:r><w:t>more</w:t></w:r></w:p></w:footnote>
<w:footnote w:id="3"><w:p><w:r><w:t>* starred</w:t></w:r></w:p></w:footnote>
<w:footnote w:id="4"><w:p><w:r><w:rPr><w:rFonts w:ascii="Symbol" w:hAnsi="Symbol"/></w:rPr><w:t>` + "\uF0A9" + `</w:t></w:r><w:r><w:t xml:space="preserve"> heart note</w:t></w:r></w:p></w:footnote>
<w:footnote w:id="5"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t>Glued</w:t></w:r></w:p></w:footnote>
<w:footnote w:id="6"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> never referred to</w:t></w:r></w:p></w:footnote></w:footnotes>`
	end := `<w:endnotes ` + wNS + `><w:endnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:endnote>
<w:endnote w:id="7"><w:p><w:r><w:endnoteRef/></w:r><w:r><w:t xml:space="preserve"> End one</w:t></w:r></w:p></w:endnote>
<w:endnote w:id="8"><w:p><w:r><w:endnoteRef/></w:r></w:p></w:endnote></w:endnotes>`
	for _, c := range []struct {
		name, settings, main, notes string
	}{
		{"defaults", "", "first1 and endi\ncustom*\nheart♥\nsecond2ii\n",
			"=== footnote ===\n1 Note one\nmore\n* starred\n♥ heart note\n2 Glued\n never referred to\n=== endnote ===\ni End one\nii\n"},
		{"settings", `<w:settings ` + wNS + `><w:footnotePr><w:numFmt w:val="lowerLetter"/><w:numStart w:val="3"/></w:footnotePr><w:endnotePr><w:numFmt w:val="decimal"/></w:endnotePr></w:settings>`,
			"firstc and end1\ncustom*\nheart♥\nsecondd2\n",
			"=== footnote ===\nc Note one\nmore\n* starred\n♥ heart note\nd Glued\n never referred to\n=== endnote ===\n1 End one\n2\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			parts := map[string]string{"word/document.xml": body, "word/footnotes.xml": foot, "word/endnotes.xml": end,
				"word/_rels/document.xml.rels": notesRels}
			if c.settings != "" {
				parts["word/settings.xml"] = c.settings
			}
			b := makeDocx(t, parts)
			doc, err := Extract(bytes.NewReader(b), int64(len(b)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := doc.PlainText(text.RenderOptions{}); got != c.main {
				t.Errorf("main:\n got %q\nwant %q", got, c.main)
			}
			if got := doc.PlainText(text.RenderOptions{AllStories: true}); got != c.main+c.notes {
				t.Errorf("all:\n got %q\nwant %q", got, c.main+c.notes)
			}
		})
	}
}

// TestSections: a paragraph that ends a section (w:pPr/w:sectPr) gives its
// headers, and note numbering restarting with each section starts again
// after it; the final section's properties do the same at the body's end.
func TestSections(t *testing.T) {
	body := `<w:document ` + wNS + ` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>
<w:p><w:r><w:t>a</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r><w:r><w:t>b</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r></w:p>
<w:p><w:pPr><w:sectPr><w:headerReference w:type="default" r:id="rIdH1"/><w:footnotePr><w:numRestart w:val="eachSect"/></w:footnotePr></w:sectPr></w:pPr><w:r><w:t>end of one</w:t></w:r></w:p>
<w:p><w:r><w:t>c</w:t></w:r><w:r><w:footnoteReference w:id="3"/></w:r></w:p>
<w:sectPr><w:headerReference w:type="default" r:id="rIdH2"/><w:footnotePr><w:numRestart w:val="eachSect"/></w:footnotePr></w:sectPr>
</w:body></w:document>`
	rels := `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rIdH1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>` +
		`<Relationship Id="rIdH2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header2.xml"/></Relationships>`
	b := makeDocx(t, map[string]string{"word/document.xml": body, "word/_rels/document.xml.rels": rels,
		"word/header1.xml": `<w:hdr ` + wNS + `><w:p><w:r><w:t>first header</w:t></w:r></w:p></w:hdr>`,
		"word/header2.xml": `<w:hdr ` + wNS + `><w:p><w:r><w:t>second header</w:t></w:r></w:p></w:hdr>`})
	doc, err := extractBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	want := "a1b2\nend of one\nc1\n=== header ===\nfirst header\n=== header ===\nsecond header\n"
	if got := doc.PlainText(text.RenderOptions{AllStories: true}); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
