package docx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/policytext/policytext/pkg/text"
)

// TestLenientReader: the two repairs, and everything else untouched; read
// whole and one byte at a time (every lookahead split over reads).
func TestLenientReader(t *testing.T) {
	cases := []struct{ in, want string }{
		{`<w:i/ >`, `<w:i/>`},
		{"<w:i w:val=\"1\"/\t\n>", `<w:i w:val="1"/>`},
		{`<a>R&D & co</a>`, `<a>R&amp;D &amp; co</a>`},
		{`<a>&amp;&lt;&#38;&#x26;&nbsp;&a.b-c;</a>`, `<a>&amp;&lt;&#38;&#x26;&nbsp;&a.b-c;</a>`},
		{`<a>&#;&#xZ;&;&1a;</a>`, `<a>&amp;#;&amp;#xZ;&amp;;&amp;1a;</a>`},
		{`<a b="x & y < z" c='&amp;'>`, `<a b="x &amp; y &lt; z" c='&amp;'>`},
		{`<a b="/ >">`, `<a b="/ >">`},
		{`<!-- & <w:i/ > --><![CDATA[ & / > ]]><?pi & ?><!DOCTYPE x>`, `<!-- & <w:i/ > --><![CDATA[ & / > ]]><?pi & ?><!DOCTYPE x>`},
		{`<a>&` + strings.Repeat("x", 60) + `;</a>`, `<a>&amp;` + strings.Repeat("x", 60) + `;</a>`},
		{`<a/` + strings.Repeat(" ", 20) + `>`, `<a/` + strings.Repeat(" ", 20) + `>`},
		{`<a>tail &`, `<a>tail &amp;`},
		{"line1\n<a / >\n&", "line1\n<a />\n&amp;"},
	}
	for _, c := range cases {
		for _, one := range []bool{false, true} {
			var r io.Reader = strings.NewReader(c.in)
			if one {
				r = iotest.OneByteReader(r)
			}
			got, err := io.ReadAll(newLenientReader(r))
			if err != nil || string(got) != c.want {
				t.Errorf("%q (one byte %v): got %q %v, want %q", c.in, one, got, err, c.want)
			}
		}
	}
	// a long document passes through unchanged across buffer refills
	long := strings.Repeat(`<w:r><w:t xml:space="preserve">&amp; text </w:t></w:r>`, 5000)
	got, err := io.ReadAll(newLenientReader(strings.NewReader(long)))
	if err != nil || string(got) != long {
		t.Errorf("long input changed (%d vs %d bytes, %v)", len(got), len(long), err)
	}
	// a reader that returns nothing forever ends with an error, not a hang
	if _, err := io.ReadAll(newLenientReader(stuckReader{})); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("stuck reader: %v", err)
	}
	// a read error is passed on
	boom := errors.New("boom")
	if _, err := io.ReadAll(newLenientReader(iotest.ErrReader(boom))); !errors.Is(err, boom) {
		t.Errorf("error: %v", err)
	}
}

// TestMalformedXML: slips with one meaning are read (package doc), truly
// broken parts are still refused.
func TestMalformedXML(t *testing.T) {
	doc := func(inner string) []byte {
		return makeDocx(t, map[string]string{"word/document.xml": `<w:document ` + wNS + `><w:body>` + inner + `</w:body></w:document>`})
	}
	for _, c := range []struct{ name, in, want string }{
		{"space before />", `<w:p><w:r><w:rPr><w:i/ ></w:rPr><w:t>italic</w:t></w:r></w:p>`, "italic\n"},
		{"bare ampersand", `<w:p><w:r><w:t>R&D & policy</w:t></w:r></w:p>`, "R&D & policy\n"},
	} {
		b := doc(c.in)
		d, err := Extract(bytes.NewReader(b), int64(len(b)), Options{})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := d.PlainText(text.RenderOptions{}); got != c.want {
			t.Errorf("%s: %q", c.name, got)
		}
	}
	for _, c := range []struct{ name, in string }{
		{"mismatched", `<w:p><w:r><w:t>x</w:r></w:t></w:p>`},
		{"unclosed", `<w:p><w:r><w:t>x`},
		{"undefined entity", `<w:p><w:r><w:t>&nbsp;</w:t></w:r></w:p>`},
		{"slash inside a tag", `<w:p/ x><w:r/>`},
	} {
		b := doc(c.in)
		if _, err := Extract(bytes.NewReader(b), int64(len(b)), Options{}); !errors.Is(err, ErrMalformedXML) {
			t.Errorf("%s: got %v, want ErrMalformedXML", c.name, err)
		}
	}
	// what the repair hands the decoder is well-formed where it acted
	var v struct{}
	if err := xml.NewDecoder(newLenientReader(strings.NewReader(`<a b="&"><c/ >&</a>`))).Decode(&v); err != nil {
		t.Error(err)
	}
}

type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }
