package extract

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/text"
)

func extractFile(t testing.TB, path string, opt Options) (*Result, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Bytes(context.Background(), b, opt)
}

// TestGoldenAllFormats runs every golden file of the format packages
// through the entry point: the format is found from the bytes and the text
// is exact.
func TestGoldenAllFormats(t *testing.T) {
	dirs := map[string]Format{
		"../msdoc/testdata/golden/*.doc": FormatDoc,
		"../docx/testdata/golden/*.docx": FormatDocx,
		"../rtf/testdata/golden/*.doc":   FormatRTF,
	}
	n := 0
	for glob, format := range dirs {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			n++
			res, err := extractFile(t, f, Options{})
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if res.Format != format {
				t.Errorf("%s: format %s, want %s", f, res.Format, format)
			}
			want, _ := os.ReadFile(strings.TrimSuffix(f, filepath.Ext(f)) + ".golden.txt")
			if got := res.Doc.PlainText(text.RenderOptions{}); got != string(want) {
				t.Errorf("%s: text differs from golden", f)
			}
		}
	}
	if n < 90 {
		t.Errorf("only %d golden files found", n)
	}
}

// TestBadInputs: every file of shared/fixtures/bad (copies live in the
// format packages' testdata) behaves as bad/README.tsv says.
func TestBadInputs(t *testing.T) {
	const (
		doc  = "../msdoc/testdata/bad/"
		docx = "../docx/testdata/bad/"
	)
	cases := []struct {
		file   string
		want   error  // nil: extracts
		format Format // when it extracts
		truth  string // when it extracts
		says   string
	}{
		{file: doc + "truncated_10k.doc", want: ErrTruncated, says: "truncated"},
		{file: doc + "corrupt_fat.doc", want: ErrCorrupt, says: "sector chain"},
		{file: doc + "corrupt_fat_cycle.doc", want: ErrCorrupt, says: "cycle"},
		{file: doc + "no_worddocument_stream.doc", want: ErrUnsupportedFormat, says: "no WordDocument stream"},
		{file: doc + "empty.doc", want: ErrEmpty, says: "empty"},
		{file: docx + "empty.docx", want: ErrEmpty, says: "empty"},
		{file: doc + "html_error_page.doc", want: ErrUnsupportedFormat, says: "HTML page"},
		{file: doc + "oss_nosuchkey.doc", want: ErrUnsupportedFormat, says: "NoSuchKey"},
		{file: docx + "no_document_xml.docx", want: ErrCorrupt, says: "word/document.xml"},
		{file: docx + "malformed_xml_truncated.docx", want: ErrCorrupt, says: "malformed XML"},
		{file: docx + "malformed_xml_mismatched_tag.docx", want: ErrCorrupt, says: "malformed XML"},
		{file: docx + "truncated.docx", want: ErrTruncated, says: "zip"},
		{file: docx + "zipbomb.docx", want: ErrTooLarge, says: "limit"},
		{file: docx + "zipbomb_lying_size.docx", want: ErrTooLarge, says: "declared size"},
		{file: doc + "password_123456.doc", want: ErrEncrypted, says: "encrypted"},
		{file: "../msdoc/testdata/golden/word95-1775446429602316288.doc", format: FormatDoc,
			truth: "../msdoc/testdata/golden/word95-1775446429602316288.golden.txt"},
		{file: doc + "docx_named_as.doc", format: FormatDocx, truth: "../docx/testdata/golden/lo-1778688997232377856.golden.txt"},
		{file: docx + "doc_named_as.docx", format: FormatDoc, truth: "../msdoc/testdata/golden/lo-1775446429602316288.golden.txt"},
		{file: doc + "rtf_named_as.doc", format: FormatRTF, truth: "../rtf/testdata/golden/abiword-1775446429602316288.golden.txt"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			res, err := extractFile(t, c.file, Options{})
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("got %v, want %v", err, c.want)
				}
				if res != nil {
					t.Error("a failed extraction must not return a result")
				}
				if !strings.Contains(err.Error(), c.says) {
					t.Errorf("error %q should mention %q", err, c.says)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(c.truth)
			if res.Format != c.format || res.Doc.PlainText(text.RenderOptions{}) != string(want) {
				t.Errorf("format %s (want %s), text matches: %v", res.Format, c.format, res.Doc.PlainText(text.RenderOptions{}) == string(want))
			}
		})
	}
}

func TestSniffedErrors(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{"\xDB\xA5\x2D\x00" + strings.Repeat("\x00", 60), ErrUnsupportedFormat},
		{"%PDF-1.4 ...", ErrUnsupportedFormat},
		{"plain words", ErrUnsupportedFormat},
		{"PK\x03\x04 not really a zip", ErrTruncated},
	}
	for _, c := range cases {
		if _, err := Bytes(context.Background(), []byte(c.in), Options{}); !errors.Is(err, c.want) {
			t.Errorf("%q: got %v, want %v", c.in, err, c.want)
		}
	}
	if _, err := Bytes(context.Background(), make([]byte, 100), Options{MaxInputBytes: 10}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("input limit: %v", err)
	}
}

// TestTimeout: a parse that cannot finish within the limit gives
// ErrTimeout instead of holding the caller.
func TestTimeout(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{\rtf1\ansi `)
	for b.Len() < 16<<20 {
		b.WriteString(`\u20013?\u25991?\par `)
	}
	b.WriteString("}")
	_, err := Bytes(context.Background(), []byte(b.String()), Options{Timeout: time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Bytes(ctx, []byte(b.String()), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}
