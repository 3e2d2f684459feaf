package rtf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

func extractString(s string) (*text.Document, error) {
	return Extract(strings.NewReader(s), int64(len(s)), Options{})
}

// TestGolden: the AbiWord "Word" exports of the shared fixtures are RTF
// under a .doc name; each gives its exact truth text.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.doc")
	if len(files) != 7 {
		t.Fatalf("expected 7 golden files, found %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Extract(bytes.NewReader(b), int64(len(b)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(strings.TrimSuffix(f, ".doc") + ".golden.txt")
			if got := doc.PlainText(text.RenderOptions{}); got != string(want) {
				t.Errorf("text differs from golden (%d vs %d bytes)", len(got), len(want))
			}
		})
	}
}

func TestFeatures(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"gbk hex pairs", `{\rtf1\ansi\ansicpg936 \'d6\'d0\'ce\'c4\par}`, "中文\n"},
		{"font charset", `{\rtf1\ansi\ansicpg1252{\fonttbl{\f0\fcharset134 SimSun;}{\f1\fcharset0 Arial;}}\f0 \'d6\'d0\f1 \'e9\par}`, "中é\n"},
		{"unicode with fallback", `{\rtf1\uc1\u20013?\u25991?\uc2\u-28211\'d6\'d8\par}`, "中文重\n"},
		{"uc0", `{\rtf1{\uc0\u21508 x}\par}`, "各x\n"},
		{"destinations skipped", `{\rtf1{\*\generator x;}{\info{\title T}}{\colortbl;\red0;}{\stylesheet{\s0 Normal;}}{\*\unknown junk}body{\pict 0102}\par}`, "body\n"},
		{"fields keep result", `{\rtf1{\field{\*\fldinst HYPERLINK "http://x"}{\fldrslt link}}\par}`, "link\n"},
		{"specials", `{\rtf1 a\tab b\line c\~d\emdash\ldblquote q\rdblquote\_\-x\{\}\\\par}`, "a\tb\nc\u00a0d—“q”\u2011x{}\\\n"},
		{"table", `{\rtf1\trowd\cellx1\cellx2\pard\intbl A\cell B\cell\row\trowd\cellx1\cellx2\pard\intbl C\cell\cell\row\pard after\par}`, "A\tB\nC\t\nafter\n"},
		{"nested table", `{\rtf1\pard\intbl X\par\pard\intbl\itap2 i\nestcell j\nestcell{\*\nesttableprops\trowd\cellx1\nestrow}{\nonesttables\par}\pard\intbl\itap1 Y\cell\row\pard z\par}`, "X\ni\tj\nY\nz\n"},
		{"list text kept", `{\rtf1{\listtext 1.\tab}item\par}`, "1.\titem\n"},
		{"deleted dropped", `{\rtf1 keep{\deleted gone}\par}`, "keep\n"},
		{"stories", `{\rtf1{\header head\par}body{\footnote note\par}\par}`, "body\n"},
		{"last paragraph without par", `{\rtf1 one\par two}`, "one\ntwo\n"},
		{"hostile nesting depth is capped", `{\rtf1\pard\intbl\itap444444444444 x\nestcell\nestrow\pard y\par}`, "x\ny\n"},
		{"binary skipped", "{\\rtf1 a\\bin3 \x01}\x02b\\par}", "ab\n"},
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
	doc, _ := extractString(`{\rtf1{\header head\par}body{\footnote note\par}\par}`)
	if all := doc.PlainText(text.RenderOptions{AllStories: true}); !strings.Contains(all, "=== header ===\nhead\n") || !strings.Contains(all, "=== footnote ===\nnote\n") {
		t.Errorf("stories: %q", all)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{"", ErrEmpty},
		{"<html>", ErrNotRTF},
		{`{\rtf1 unterminated`, ErrMalformed},
		{`{\rtf1 x}}`, nil}, // trailing bytes after the document group are ignored
		{`{\rtf1` + strings.Repeat("{", 600), ErrMalformed},
	}
	for _, c := range cases {
		_, err := extractString(c.in)
		if !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
			t.Errorf("%q: got %v, want %v", c.in, err, c.want)
		}
	}
}
