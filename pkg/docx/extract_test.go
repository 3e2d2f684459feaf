package docx

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

func extractFile(t testing.TB, path string, opt Options) (*text.Document, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Extract(bytes.NewReader(b), int64(len(b)), opt)
}

// TestGolden: every .docx the shared fixtures hold (51 written by
// LibreOffice, 3 by AbiWord) gives its exact truth text.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.docx")
	if len(files) != 54 {
		t.Fatalf("expected 54 golden files, found %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			doc, err := extractFile(t, f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".docx") + ".golden.txt")
			if err != nil {
				t.Fatal(err)
			}
			if got := doc.PlainText(text.RenderOptions{}); got != string(want) {
				t.Errorf("text differs from golden (%d vs %d bytes)", len(got), len(want))
			}
		})
	}
}

// TestBadInputs follows shared/fixtures/bad/README.tsv.
func TestBadInputs(t *testing.T) {
	cases := []struct {
		file string
		want error
		says string
	}{
		{"zipbomb.docx", ErrTooLarge, "limit"},
		{"zipbomb_lying_size.docx", ErrTooLarge, "beyond its declared size"},
		{"malformed_xml_truncated.docx", ErrMalformedXML, "unexpected EOF"},
		{"malformed_xml_mismatched_tag.docx", ErrMalformedXML, "closed by"},
		{"no_document_xml.docx", ErrMissingPart, "word/document.xml"},
		{"truncated.docx", ErrNotZip, "zip"},
		{"empty.docx", ErrEmpty, "empty"},
		{"doc_named_as.docx", ErrNotZip, "zip"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			doc, err := extractFile(t, filepath.Join("testdata/bad", c.file), Options{})
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if doc != nil {
				t.Error("a failed extraction must not return a document")
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q should mention %q", err, c.says)
			}
		})
	}
}

func TestPartLimit(t *testing.T) {
	_, err := extractFile(t, "testdata/golden/lo-1778688997232377856.docx", Options{MaxPartBytes: 10000})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("got %v", err)
	}
	_, err = extractFile(t, "testdata/golden/lo-1778688997232377856.docx", Options{MaxTextRunes: 100})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("got %v", err)
	}
}

// makeDocx builds a package from parts; document.xml gets a minimal
// package around it unless the caller gives its own _rels/.rels.
func makeDocx(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	if _, ok := parts["_rels/.rels"]; !ok {
		parts["_rels/.rels"] = `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const wNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`

func TestFeatures(t *testing.T) {
	body := `<w:document ` + wNS + ` xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>
<w:p><w:r><w:t xml:space="preserve">kept </w:t></w:r><w:ins><w:r><w:t>inserted</w:t></w:r></w:ins><w:del><w:r><w:delText>deleted</w:delText></w:r></w:del></w:p>
<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>PAGE</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>7</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r><w:fldSimple w:instr="DATE"><w:r><w:t>-today</w:t></w:r></w:fldSimple></w:p>
<w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t><w:br w:type="page"/><w:noBreakHyphen/><w:softHyphen/><w:sym w:font="Symbol" w:char="03B1"/></w:r></w:p>
<w:p><w:hyperlink r:id="x"><w:r><w:t>link</w:t></w:r></w:hyperlink><w:smartTag><w:r><w:t>tag</w:t></w:r></w:smartTag><w:sdt><w:sdtPr><w:alias w:val="x"/></w:sdtPr><w:sdtContent><w:r><w:t>sdt</w:t></w:r></w:sdtContent></w:sdt></w:p>
<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>in a box</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>in a box</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent><w:t>anchor</w:t></w:r></w:p>
<w:tbl><w:tblPr/><w:tr><w:tc><w:p><w:r><w:t>A</w:t></w:r></w:p></w:tc><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>B</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>y</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tc></w:tr>
<w:tr><w:tc><w:p/></w:tc><w:tc><w:p><w:r><w:t>C</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>first</w:t></w:r></w:p>
<w:p><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>sub</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="H"/></w:pPr><w:r><w:t>second</w:t></w:r></w:p>
<w:p><w:pPr><w:rPr><w:del w:id="1"/></w:rPr></w:pPr><w:r><w:t>joined </w:t></w:r></w:p>
<w:p><w:r><w:t>to next</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r></w:p>
<w:sectPr><w:headerReference w:type="default" r:id="rIdH"/></w:sectPr>
</w:body></w:document>`
	num := `<w:numbering ` + wNS + `><w:abstractNum w:abstractNumId="5"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/><w:suff w:val="nothing"/></w:lvl>
<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="（%2）"/><w:suff w:val="nothing"/></w:lvl></w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="5"/></w:num></w:numbering>`
	styles := `<w:styles ` + wNS + `><w:style w:type="paragraph" w:styleId="H"><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style></w:styles>`
	notes := `<w:footnotes ` + wNS + `><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>a note</w:t></w:r></w:p></w:footnote></w:footnotes>`
	hdr := `<w:hdr ` + wNS + `><w:p><w:r><w:t>page header</w:t></w:r></w:p></w:hdr>`
	rels := `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rIdN" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>` +
		`<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="/word/styles.xml"/>` +
		`<Relationship Id="rIdF" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>` +
		`<Relationship Id="rIdH" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/></Relationships>`
	b := makeDocx(t, map[string]string{"word/document.xml": body, "word/numbering.xml": num, "word/styles.xml": styles,
		"word/footnotes.xml": notes, "word/header1.xml": hdr, "word/_rels/document.xml.rels": rels})
	doc, err := Extract(bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "kept inserted\n" +
		"7-today\n" +
		"a\tb\nc\u2011α\n" +
		"linktagsdt\n" +
		"anchor\n" +
		"A\tB\nx\ty\n" +
		"\tC\n" +
		"一、first\n" +
		"（1）sub\n" +
		"二、second\n" +
		"joined to next1\n" // the footnote's reference mark
	if got := doc.PlainText(text.RenderOptions{}); got != want {
		t.Errorf("main text:\n got %q\nwant %q", got, want)
	}
	all := doc.PlainText(text.RenderOptions{AllStories: true})
	for _, s := range []string{"=== header ===\npage header\n", "=== footnote ===\na note\n", "=== textbox ===\nin a box\n"} {
		if !strings.Contains(all, s) {
			t.Errorf("all stories should contain %q:\n%s", s, all)
		}
	}
	if strings.Count(all, "in a box") != 1 {
		t.Error("AlternateContent must be read once")
	}
}

// TestNamespacesNotPrefixes: Strict OOXML and an odd prefix, with the main
// part somewhere else than word/document.xml.
func TestNamespacesNotPrefixes(t *testing.T) {
	for _, ns := range []string{"http://purl.oclc.org/ooxml/wordprocessingml/main", "http://schemas.openxmlformats.org/wordprocessingml/2006/main"} {
		body := `<ns0:document xmlns:ns0="` + ns + `"><ns0:body><ns0:p><ns0:r><ns0:t>中文</ns0:t></ns0:r></ns0:p></ns0:body></ns0:document>`
		rels := `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument" Target="/content/main.xml"/></Relationships>`
		b := makeDocx(t, map[string]string{"content/main.xml": body, "_rels/.rels": rels})
		doc, err := Extract(bytes.NewReader(b), int64(len(b)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := doc.PlainText(text.RenderOptions{}); got != "中文\n" {
			t.Errorf("%s: %q", ns, got)
		}
	}
}

func TestNotWord(t *testing.T) {
	// a spreadsheet package: the officeDocument is not w:document
	rels := `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	b := makeDocx(t, map[string]string{"xl/workbook.xml": `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>`, "_rels/.rels": rels})
	if _, err := Extract(bytes.NewReader(b), int64(len(b)), Options{}); !errors.Is(err, ErrNotWord) {
		t.Errorf("got %v", err)
	}
	// deep nesting is refused, not followed into a stack overflow
	deep := strings.Repeat("<w:sdt><w:sdtContent>", 400) + strings.Repeat("</w:sdtContent></w:sdt>", 400)
	b = makeDocx(t, map[string]string{"word/document.xml": `<w:document ` + wNS + `><w:body>` + deep + `</w:body></w:document>`})
	if _, err := Extract(bytes.NewReader(b), int64(len(b)), Options{}); !errors.Is(err, ErrMalformedXML) {
		t.Errorf("deep nesting: got %v", err)
	}
}

func TestWordML(t *testing.T) {
	xml := `<?xml version="1.0"?><?mso-application progid="Word.Document"?>
<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml" xmlns:wx="http://schemas.microsoft.com/office/word/2003/auxHint">
<w:body><wx:sect><w:p><w:r><w:t>正文</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:sectPr><w:hdr w:type="odd"><w:p><w:r><w:t>页眉</w:t></w:r></w:p></w:hdr></w:sectPr></wx:sect></w:body></w:wordDocument>`
	doc, err := ExtractWordML(strings.NewReader(xml), int64(len(xml)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.PlainText(text.RenderOptions{AllStories: true}); got != "正文\n1\t2\n=== header ===\n页眉\n" {
		t.Errorf("%q", got)
	}
}

func extractBytes(b []byte) (*text.Document, error) {
	return Extract(bytes.NewReader(b), int64(len(b)), Options{})
}
