package docx

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

// FuzzExtract feeds mutated packages to the extractor: a document or a
// typed error, never a panic (which Extract would report as an internal
// failure). Seeds: every .docx under testdata.
//
//	go test -run '^$' -fuzz '^FuzzExtract$' -fuzztime 10m ./pkg/docx
func FuzzExtract(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.docx")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) < 200<<10 { // the zip bomb is no useful seed
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Extract(bytes.NewReader(b), int64(len(b)), Options{MaxTotalBytes: 16 << 20, MaxTextRunes: 1 << 20})
		checkOutcome(t, doc, err)
	})
}

// FuzzWalker fuzzes the XML walk itself (mutating a zip mostly breaks its
// checksums): the input is document.xml, wrapped into a package.
//
//	go test -run '^$' -fuzz '^FuzzWalker$' -fuzztime 10m ./pkg/docx
func FuzzWalker(f *testing.F) {
	f.Add(`<w:document ` + wNS + `><w:body><w:p><w:r><w:t>x</w:t></w:r></w:p></w:body></w:document>`)
	f.Add(`<w:document ` + wNS + `><w:body><w:tbl><w:tr><w:tc><w:p><w:r><w:fldChar w:fldCharType="begin"/><w:instrText>X</w:instrText><w:fldChar w:fldCharType="separate"/><w:t>r</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>`)
	f.Add(`<w:document ` + wNS + ` xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body><w:p><w:r><mc:AlternateContent><mc:Choice><w:txbxContent><w:p><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:p></w:txbxContent></mc:Choice></mc:AlternateContent></w:r></w:p></w:body></w:document>`)
	// the issue-13 cases: note marks, symbols, placeholders, XML slips
	f.Add(`<w:document ` + wNS + `><w:body><w:p><w:r><w:t>R&D</w:t><w:footnoteReference w:id="1"/><w:footnoteReference w:customMarkFollows="1" w:id="2"/><w:sym w:font="Wingdings" w:char="F0FC"/></w:r><w:r><w:rPr><w:i/ ><w:rFonts w:ascii="Symbol"/></w:rPr><w:t>a` + "\uF0B7" + `</w:t><w:footnoteRef/><w:t> x</w:t></w:r></w:p></w:body></w:document>`)
	f.Add(`<w:document ` + wNS + `><w:body><w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:p><w:fldSimple w:instr="MACROBUTTON A [b]"/><w:r><w:fldChar w:fldCharType="begin"/><w:instrText> MACROBUTTON N [x]</w:instrText><w:fldChar w:fldCharType="end"/></w:r></w:p></w:sdtContent></w:sdt></w:body></w:document>`)
	if b, err := os.ReadFile("testdata/gaps/pandoc-docx.normalize.docx"); err == nil {
		if d, err := documentXML(b); err == nil {
			f.Add(d)
		}
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if !strings.Contains(doc, "<") {
			return
		}
		b := makeDocx(t, map[string]string{"word/document.xml": doc})
		d, err := Extract(bytes.NewReader(b), int64(len(b)), Options{MaxTextRunes: 1 << 20})
		checkOutcome(t, d, err)
	})
}

// documentXML returns the document.xml of a package, for seeds.
func documentXML(b []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return "", err
	}
	rc, err := zr.Open("word/document.xml")
	if err != nil {
		return "", err
	}
	defer rc.Close()
	d, err := io.ReadAll(rc)
	return string(d), err
}

func checkOutcome(t *testing.T, doc *text.Document, err error) {
	t.Helper()
	if err != nil {
		typed := false
		for _, s := range []error{ErrEmpty, ErrNotZip, ErrNotWord, ErrMissingPart, ErrMalformedXML, ErrTooLarge, ErrCorrupt} {
			if errors.Is(err, s) {
				typed = true
			}
		}
		if !typed {
			t.Fatalf("untyped error: %v", err)
		}
		if strings.Contains(err.Error(), "internal parser failure") {
			t.Fatalf("recovered panic: %v", err)
		}
		return
	}
	_ = doc.PlainText(text.RenderOptions{AllStories: true})
}
