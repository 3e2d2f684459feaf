package msdoc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

func extractFile(t testing.TB, path string) (*text.Document, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Extract(bytes.NewReader(b), int64(len(b)), Options{})
}

// TestGolden checks every testdata/golden/*.doc against its exact expected
// text: LibreOffice-written files, files of an independent Word 97 writer
// (mini97) and a GBK Word 95 file.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.doc")
	if len(files) < 30 {
		t.Fatalf("expected at least 30 golden files, found %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			doc, err := extractFile(t, f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".doc") + ".golden.txt")
			if err != nil {
				t.Fatal(err)
			}
			got := doc.PlainText(text.RenderOptions{})
			if got != string(want) {
				t.Errorf("text differs from golden:\n%s", firstDiff(got, string(want)))
			}
		})
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return "line " + itoa(i+1) + ":\n got  " + strconvQuote(a) + "\n want " + strconvQuote(b)
		}
	}
	return "(no line differs)"
}

func TestStructure(t *testing.T) {
	// The 259-row task table of policy 1778614255339089920 must come out as
	// a real table, not as tab-joined paragraphs.
	doc, err := extractFile(t, "testdata/golden/lo-1778614237987241984.doc")
	if err != nil {
		t.Fatal(err)
	}
	c := text.Count(doc.Main().Blocks)
	if c.Tables != 1 || c.Rows < 250 {
		t.Errorf("want one table with >= 250 rows, got %+v", c)
	}
	if doc.Format != "doc" || !strings.Contains(doc.Version, "Word 97") {
		t.Errorf("format %q version %q", doc.Format, doc.Version)
	}
	// LibreOffice puts the "— N —" PAGE field in a footer story; the main
	// text must not contain it, the footer must carry the field result.
	var footer string
	for _, s := range doc.Stories {
		if s.Kind == text.Footer {
			footer += s.Text()
		}
	}
	if !strings.Contains(footer, "—") {
		t.Errorf("footer story missing or without its PAGE result: %q", footer)
	}
	all := doc.PlainText(text.RenderOptions{AllStories: true})
	if !strings.Contains(all, "=== footer ===\n") || strings.Contains(doc.PlainText(text.RenderOptions{}), "=== footer") {
		t.Errorf("AllStories rendering should add the footer section and the default should not")
	}
}

func TestWord95CodePage(t *testing.T) {
	doc, err := extractFile(t, "testdata/golden/word95-1775446429602316288.doc")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc.Version, "Word 95") {
		t.Errorf("version %q", doc.Version)
	}
	if !strings.Contains(doc.PlainText(text.RenderOptions{}), "重庆") {
		t.Error("GBK text not decoded")
	}
}

// TestBadInputs follows shared/fixtures/bad/README.tsv: each broken or
// foreign input gives its typed error, never text and never a panic.
func TestBadInputs(t *testing.T) {
	cases := []struct {
		file string
		want error
		says string
	}{
		{"truncated_10k.doc", ErrTruncated, "truncated"},
		{"corrupt_fat.doc", ErrCorrupt, "sector chain"},
		{"corrupt_fat_cycle.doc", ErrCorrupt, "cycle"},
		{"no_worddocument_stream.doc", ErrNotWord, "no WordDocument stream"},
		{"empty.doc", ErrEmpty, "empty"},
		{"html_error_page.doc", ErrNotWord, "HTML"},
		{"oss_nosuchkey.doc", ErrNotWord, "XML"},
		{"password_123456.doc", ErrEncrypted, "RC4"},
		{"docx_named_as.doc", ErrNotWord, "zip"},
		{"rtf_named_as.doc", ErrNotWord, "RTF"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			doc, err := extractFile(t, filepath.Join("testdata/bad", c.file))
			if !errors.Is(err, c.want) {
				t.Fatalf("got error %v, want %v", err, c.want)
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

func TestLimits(t *testing.T) {
	b, err := os.ReadFile("testdata/golden/lo-1778614237987241984.doc")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Extract(bytes.NewReader(b), int64(len(b)), Options{MaxInputBytes: 1000})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("input limit: got %v", err)
	}
	_, err = Extract(bytes.NewReader(b), int64(len(b)), Options{MaxTextRunes: 100})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("text limit: got %v", err)
	}
}

// TestTruncatedEverywhere cuts a valid file at many lengths: each cut gives
// a typed error or, when only streams that hold no text were lost, the
// complete text; never partial text and never a panic.
func TestTruncatedEverywhere(t *testing.T) {
	b, err := os.ReadFile("testdata/golden/mini97-1775446429602316288.doc")
	if err != nil {
		t.Fatal(err)
	}
	full, err := Extract(bytes.NewReader(b), int64(len(b)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := full.PlainText(text.RenderOptions{AllStories: true})
	failed := 0
	for n := 0; n < len(b); n += 97 {
		doc, err := Extract(bytes.NewReader(b[:n]), int64(n), Options{})
		switch {
		case err != nil && !isSentinel(err):
			t.Errorf("cut at %d: untyped error %v", n, err)
		case err != nil:
			failed++
		case doc.PlainText(text.RenderOptions{AllStories: true}) != want:
			t.Errorf("cut at %d of %d bytes: partial text returned without an error", n, len(b))
		}
	}
	if failed == 0 {
		t.Error("no cut failed: the test is not exercising truncation")
	}
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrEmpty, ErrNotWord, ErrEncrypted, ErrUnsupportedVersion, ErrTruncated, ErrCorrupt, ErrTooLarge} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
