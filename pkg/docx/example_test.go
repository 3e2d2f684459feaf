package docx_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"

	"github.com/policytext/policytext/pkg/docx"
	"github.com/policytext/policytext/pkg/text"
)

// newDocx builds a minimal package around document.xml and footnotes.xml.
func newDocx(document, footnotes string) []byte {
	parts := map[string]string{
		"_rels/.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/_rels/document.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>`,
		"word/document.xml":  document,
		"word/footnotes.xml": footnotes,
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"_rels/.rels", "word/_rels/document.xml.rels", "word/document.xml", "word/footnotes.xml"} {
		w, _ := zw.Create(name)
		w.Write([]byte(parts[name]))
	}
	zw.Close()
	return buf.Bytes()
}

func ExampleExtract() {
	const w = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	b := newDocx(`<w:document `+w+`><w:body>`+
		`<w:p><w:r><w:sym w:font="Symbol" w:char="F0B7"/><w:tab/><w:t>第一条 R&D</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r></w:p>`+
		`</w:body></w:document>`,
		`<w:footnotes `+w+`><w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve">  A note.</w:t></w:r></w:p></w:footnote></w:footnotes>`)
	doc, err := docx.Extract(bytes.NewReader(b), int64(len(b)), docx.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(doc.PlainText(text.RenderOptions{AllStories: true}))

	_, err = docx.Extract(bytes.NewReader([]byte("not a zip")), 9, docx.Options{})
	fmt.Println(errors.Is(err, docx.ErrNotZip))
	// Output:
	// •	第一条 R&D1
	// === footnote ===
	// 1 A note.
	// true
}
