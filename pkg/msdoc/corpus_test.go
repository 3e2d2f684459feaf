package msdoc

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/internal/corpustest"
	"github.com/policytext/policytext/pkg/text"
)

// refTools are the references that read CJK .doc correctly (research §9).
var refTools = []string{"soffice", "poi-hwpf", "word-extractor"}

// knownUnread are files a reference reads and this package refuses with a
// typed error, and why. Each is checked to still fail that way, so the list
// cannot silently hide a regression or an improvement.
var knownUnread = map[string]error{
	// Not Word 97-2003 at all: pkg/extract sniffs and routes these.
	"apache__poi/word2.doc":                            ErrUnsupportedVersion, // Word 2.0, non-OLE
	"apache__tika/testWORDML_tableInsideParagraph.doc": ErrNotWord,            // Word 2003 XML
	"xiaoxinlabi__smartsearch/4-中期检查 优秀项目推荐表.doc":      ErrNotWord,            // .docx under a .doc name
	// A fuzzed directory tree (sibling index 0xF7FFFFFF) that mscfb rejects;
	// LibreOffice and POI recover by scanning the directory flat.
	"apache__poi/clusterfuzz-testcase-minimized-POIHWPFFuzzer-4892412469968896.doc": ErrCorrupt,
}

var fieldsTables = regexp.MustCompile(`(?i)field|table|hyperlink|pageref|tabular|merge|equation`)

func groupsOf(f corpustest.File) []string {
	var g []string
	if strings.Contains(f.Notes, "CJK") {
		g = append(g, "CJK")
	}
	if strings.Contains(f.Notes, "WPS") {
		g = append(g, "WPS")
	}
	if strings.Contains(f.Notes, "Word6") || strings.Contains(f.Notes, "Word95") {
		g = append(g, "Word 6/95")
	}
	if fieldsTables.MatchString(filepath.Base(f.Path)) {
		g = append(g, "fields/tables")
	}
	return g
}

// scopeOf renders the stories a reference tool prints (research §4):
// LibreOffice's text export is the body only; POI's WordExtractor adds
// headers, footers and text boxes; node word-extractor adds notes and
// comments too. Comparing like with like keeps scope out of the score.
func scopeOf(doc *text.Document, tool string) string {
	var b strings.Builder
	for _, s := range doc.Stories {
		keep := s.Kind == text.Main
		switch tool {
		case "poi-hwpf":
			keep = keep || s.Kind == text.Header || s.Kind == text.Footer || s.Kind == text.TextBox
		case "word-extractor":
			keep = true
		}
		if keep {
			b.WriteString(s.Text())
		}
	}
	return b.String()
}

// TestCorpus runs the extractor over every .doc of the public corpus: no
// panic, no hang, a typed error for every file no reference tool reads, and
// per group an agreement with the references at least that of each of
// them. Run with -v to see the table (CORPUS_VERBOSE=1 for every file).
func TestCorpus(t *testing.T) {
	corpustest.Run(t, corpustest.Config{
		Dir: corpustest.Dir, RefsDir: corpustest.RefsDir,
		Files:       corpustest.Files(t, corpustest.Dir, ".doc"),
		Tools:       refTools,
		Groups:      []string{"CJK", "WPS", "Word 6/95", "fields/tables"},
		GroupsOf:    groupsOf,
		KnownUnread: knownUnread,
		IsTyped:     isSentinel,
		Extract: func(b []byte) (func(string) string, error) {
			doc, err := Extract(bytes.NewReader(b), int64(len(b)), Options{})
			if err != nil {
				return nil, err
			}
			return func(tool string) string { return scopeOf(doc, tool) }, nil
		},
	})
}

// TestCorpusSpecifics pins behaviours on public files that cannot be copied
// into testdata (their licences differ from ours).
func TestCorpusSpecifics(t *testing.T) {
	corpustest.Files(t, corpustest.Dir, ".doc") // skips loudly without the corpus
	cases := []struct {
		file, has, hasNot string
	}{
		// tracked deletions are dropped, insertions kept
		{"AbiWord__wv/supported-revision-features.doc", "I get added on", "I get deleted"},
		// stream names in other case (worddocument, 1TABLE)
		{"apache__poi/47950_lower.doc", "", ""},
		{"apache__poi/47950_upper.doc", "", ""},
		// a nested table inside a cell: the cell holds E, the inner rows, F
		{"apache__poi/innertable.doc", "D\tE\n1\t2\n3\t4\nF\tG\n", ""},
		// field results stay, instructions go
		{"apache__poi/hyperlink.doc", "Before text; Hyperlink text; after text", "HYPERLINK"},
		// WPS Office: not sector-aligned, fComplex set, one Unicode piece
		{"zenghdu__rag-memo/关于提示异地贷款业务风险的通知.doc", "异地贷款", ""},
		// automatic list numbering: multi-level decimal, and Chinese counting
		{"apache__poi/Lists.doc", "2.2.1. OL 2.2.1\n", ""},
		{"zenghdu__rag-memo/票据类专营机构季度经营情况分析报告模板.doc", "一、 基本情况\n（一）票据市场情况\n", ""},
		// a phonetic guide (EQ field without a result) shows its base text
		{"apache__tika/testWORD_phonetic.doc", "東京", "とうきょう"},
		// Word 95, Cyrillic in cp1251 found from the font charsets
		{"apache__poi/Bug50955.doc", "ОПЕРАЦИЯ", "ÎÏÅÐÀÖÈß"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			doc, err := extractFile(t, filepath.Join(corpustest.Dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			got := doc.PlainText(text.RenderOptions{})
			if strings.TrimSpace(got) == "" {
				t.Fatal("no text")
			}
			if c.has != "" && !strings.Contains(got, c.has) {
				t.Errorf("missing %q", c.has)
			}
			if c.hasNot != "" && strings.Contains(got, c.hasNot) {
				t.Errorf("should not contain %q", c.hasNot)
			}
		})
	}
}
