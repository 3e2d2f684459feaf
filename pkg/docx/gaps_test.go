package docx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

// TestGaps pins real files from public test suites (testdata/gaps, origins
// in SOURCES.tsv) where an earlier version printed the wrong text or none.
// Each is rendered with every story and compared with the exact text
// decided from the document's own structures (testdata/gaps/README.md).
func TestGaps(t *testing.T) {
	cases := []struct {
		file string
		// has are excerpts the case is about, checked first so that a
		// failure names the gap rather than the first differing line.
		has []string
	}{
		{"owpt-fax-content-control.docx", []string{"To:\n[Name - jump to next field with F11]\tOffice/Company:\n[Office/Company]\n",
			"[xx]\tTo confirm receipt", "[Subject] [Client name]\nContents:\n[Text]\n", "=== footer ===\n\nClick or tap here to enter text.\n"}},
		{"pandoc-docx.normalize.docx", []string{"  These are different fonts.\n\nThese are different fonts.\n"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata/gaps", c.file)
			doc, err := extractFile(t, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := doc.PlainText(text.RenderOptions{AllStories: true})
			for _, h := range c.has {
				if !strings.Contains(got, h) {
					t.Errorf("missing %q", h)
				}
			}
			want, err := os.ReadFile(strings.TrimSuffix(path, ".docx") + ".want.txt")
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("text differs:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestPlaceholders: content controls showing their placeholder (block,
// run and cell level) print it as Word shows it; MACROBUTTON fields, complex
// or simple, show their display text; other fields without a result show
// nothing.
func TestPlaceholders(t *testing.T) {
	plc := `<w:sdtPr><w:placeholder><w:docPart w:val="X"/></w:placeholder><w:showingPlcHdr/></w:sdtPr>`
	body := `<w:document ` + wNS + `><w:body>
<w:sdt>` + plc + `<w:sdtContent><w:p><w:r><w:rPr><w:rStyle w:val="PlaceholderText"/></w:rPr><w:t>Click or tap here to enter text.</w:t></w:r></w:p></w:sdtContent></w:sdt>
<w:p><w:r><w:t xml:space="preserve">Name: </w:t></w:r><w:sdt>` + plc + `<w:sdtContent><w:r><w:t>[Name]</w:t></w:r></w:sdtContent></w:sdt></w:p>
<w:tbl><w:tr><w:sdt>` + plc + `<w:sdtContent><w:tc><w:p><w:r><w:t>cell</w:t></w:r></w:p></w:tc></w:sdtContent></w:sdt></w:tr></w:tbl>
<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> MACROBUTTON  NoMacro </w:instrText></w:r><w:r><w:instrText>[Date]</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
<w:p><w:fldSimple w:instr=" MACROBUTTON DoFieldClick [Type here]"/><w:fldSimple w:instr="PAGE"/><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>MACROBUTTON</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
</w:body></w:document>`
	b := makeDocx(t, map[string]string{"word/document.xml": body})
	doc, err := extractBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	want := "Click or tap here to enter text.\nName: [Name]\ncell\n[Date]\n[Type here]\n"
	if got := doc.PlainText(text.RenderOptions{}); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
