package msdoc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/policytext/policytext/pkg/text"
)

// The public corpus and the outputs of the reference tools live in the
// read-only ../shared tree of the development machines and CI; users of the
// repository do not have it, so these tests skip loudly without it.
const (
	corpusDir = "../../../shared/corpus/public"
	refsDir   = "../../../shared/corpus/public-refs"
)

// refTools are the references that read CJK .doc correctly (research §9).
var refTools = []string{"soffice", "poi-hwpf", "word-extractor"}

type corpusFile struct {
	path  string // relative to corpusDir
	notes string // SOURCES.tsv notes column
}

func corpusDocs(t *testing.T) []corpusFile {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(corpusDir, "SOURCES.tsv"))
	if err != nil {
		t.Skipf("SKIPPED: public corpus not present (%v); these checks run on machines with ../shared", err)
	}
	var out []corpusFile
	for _, line := range strings.Split(string(src), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) >= 6 && strings.HasSuffix(f[0], ".doc") {
			out = append(out, corpusFile{path: f[0], notes: f[5]})
		}
	}
	return out
}

// bigrams is the similarity used by public-refs/SUMMARY.tsv: the multiset of
// character bigrams after NFKC, removal of white space and control
// characters, and case folding.
func bigrams(s string) map[[2]rune]int {
	s = strings.ToLower(norm.NFKC.String(s))
	rs := make([]rune, 0, len(s))
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.IsControl(r) {
			rs = append(rs, r)
		}
	}
	m := make(map[[2]rune]int, len(rs))
	for i := 0; i+1 < len(rs); i++ {
		m[[2]rune{rs[i], rs[i+1]}]++
	}
	return m
}

func dice(a, b map[[2]rune]int) float64 {
	var na, nb, both int
	for k, x := range a {
		na += x
		both += min(x, b[k])
	}
	for _, y := range b {
		nb += y
	}
	if na+nb == 0 {
		return 1
	}
	return 2 * float64(both) / float64(na+nb)
}

// knownUnread are files a reference reads and this package refuses with a
// typed error, and why. Each is checked to still fail that way, so the list
// cannot silently hide a regression or an improvement.
var knownUnread = map[string]error{
	// Not Word 97-2003 at all: pkg/extract sniffs and routes these.
	"apache__poi/word2.doc":                            ErrUnsupportedVersion, // Word 2.0, non-OLE
	"apache__tika/testWORDML_tableInsideParagraph.doc": ErrNotWord,            // Word 2003 XML
	"xiaoxinlabi__smartsearch/4-中期检查 优秀项目推荐表.doc":      ErrNotWord,            // .docx under a .doc name
	// Its WordDocument directory entry says 16,896 bytes while pieces point
	// up to byte 69,136; LibreOffice prints a scrambled single line.
	"AbiWord__wv/this-file-crashes-msword.doc": ErrCorrupt,
	// A fuzzed directory tree (sibling index 0xF7FFFFFF) that mscfb rejects;
	// LibreOffice and POI recover by scanning the directory flat.
	"apache__poi/clusterfuzz-testcase-minimized-POIHWPFFuzzer-4892412469968896.doc": ErrCorrupt,
}

var fieldsTables = regexp.MustCompile(`(?i)field|table|hyperlink|pageref|tabular|merge|equation`)

func groupsOf(f corpusFile) []string {
	g := []string{"all"}
	if strings.Contains(f.notes, "CJK") {
		g = append(g, "CJK")
	}
	if strings.Contains(f.notes, "WPS") {
		g = append(g, "WPS")
	}
	if strings.Contains(f.notes, "Word6") || strings.Contains(f.notes, "Word95") {
		g = append(g, "Word 6/95")
	}
	if fieldsTables.MatchString(filepath.Base(f.path)) {
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
// per group an agreement with the references' consensus at least that of
// the best single reference. Run with -v to see the table.
func TestCorpus(t *testing.T) {
	files := corpusDocs(t)
	sums := map[string]map[string]float64{}
	counts := map[string]int{}
	var worse []string
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(corpusDir, f.path))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		doc, err := Extract(bytes.NewReader(b), int64(len(b)), Options{})
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v (hang?)", f.path, d)
		}
		var refs []map[[2]rune]int
		var refNames []string
		for _, tool := range refTools {
			out, err := os.ReadFile(filepath.Join(refsDir, f.path+"."+tool+".txt"))
			if err == nil && len(bytes.TrimSpace(out)) > 0 {
				refs = append(refs, bigrams(string(out)))
				refNames = append(refNames, tool)
			}
		}
		if err != nil {
			if !isSentinel(err) {
				t.Errorf("%s: untyped error: %v", f.path, err)
			}
			if want, ok := knownUnread[f.path]; ok {
				if !errors.Is(err, want) {
					t.Errorf("%s: got %v, want %v", f.path, err, want)
				}
				t.Logf("known unread: %s: %v", f.path, err)
				continue
			}
			if len(refs) > 0 {
				t.Errorf("%s: %v, but %s read it", f.path, err, strings.Join(refNames, ", "))
			}
			continue
		}
		if _, ok := knownUnread[f.path]; ok {
			t.Errorf("%s: listed as known unread, but it extracts now: update the list", f.path)
		}
		if len(refs) == 0 {
			t.Logf("%s: extracted although no reference reads it (%d chars)", f.path, len(doc.PlainText(text.RenderOptions{})))
			continue
		}
		// ours: the mean similarity with each reference over the same
		// stories; a reference: its mean similarity with the other
		// references (defined when there are at least two).
		s := map[string]float64{}
		for i, r := range refs {
			s["ours"] += dice(bigrams(scopeOf(doc, refNames[i])), r) / float64(len(refs))
		}
		best := -1.0
		for i := range refs {
			if len(refs) < 2 {
				break
			}
			var d float64
			for j := range refs {
				if j != i {
					d += dice(refs[i], refs[j]) / float64(len(refs)-1)
				}
			}
			s[refNames[i]] = d
			best = max(best, d)
		}
		if os.Getenv("CORPUS_VERBOSE") != "" {
			t.Logf("%s ours %.3f refs %v %v", f.path, s["ours"], refNames, s)
		}
		if best >= 0 && s["ours"]+0.02 < best {
			worse = append(worse, fmt.Sprintf("%s ours %.3f best %.3f", f.path, s["ours"], best))
		}
		for _, g := range groupsOf(f) {
			if sums[g] == nil {
				sums[g] = map[string]float64{}
			}
			counts[g]++
			sums[g]["ours"] += s["ours"]
			for _, tool := range refTools {
				if v, ok := s[tool]; ok {
					// each reference is compared with ours on the files
					// where that reference has a score
					sums[g][tool] += v
					sums[g]["ours-"+tool] += s["ours"]
					sums[g]["n-"+tool]++
				}
			}
		}
	}
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "\n| group | files | ours (all files) | ours / soffice | ours / poi-hwpf | ours / word-extractor |\n|---|---|---|---|---|---|\n")
	for _, g := range []string{"all", "CJK", "WPS", "Word 6/95", "fields/tables"} {
		n := float64(counts[g])
		if n == 0 {
			continue
		}
		m := sums[g]
		ref := func(tool string) string {
			k := m["n-"+tool]
			if k == 0 {
				return "-"
			}
			return fmt.Sprintf("%.3f / %.3f (%d files)", m["ours-"+tool]/k, m[tool]/k, int(k))
		}
		fmt.Fprintf(&tbl, "| %s | %d | %.3f | %s | %s | %s |\n", g, counts[g], m["ours"]/n,
			ref("soffice"), ref("poi-hwpf"), ref("word-extractor"))
		for _, tool := range refTools {
			if k := m["n-"+tool]; k > 0 && m["ours-"+tool]+1e-9 < m[tool] {
				t.Errorf("group %s: our agreement %.3f is below %s's %.3f on its %d files", g, m["ours-"+tool]/k, tool, m[tool]/k, int(k))
			}
		}
	}
	t.Log(tbl.String())
	for _, w := range worse {
		t.Log("below best reference: " + w)
	}
}

// TestCorpusSpecifics pins behaviours on public files that cannot be copied
// into testdata (their licences differ from ours).
func TestCorpusSpecifics(t *testing.T) {
	corpusDocs(t) // skips loudly without the corpus
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
			doc, err := extractFile(t, filepath.Join(corpusDir, c.file))
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
