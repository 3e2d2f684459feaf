// Package corpustest measures extractors against the reference tools'
// outputs for the public corpus (../shared/corpus, present on development
// and CI machines only; tests skip loudly without it).
//
// Similarity is the one of public-refs/SUMMARY.tsv: the Dice coefficient
// over character bigrams after NFKC, removal of white space and control
// characters, and case folding. Our text is compared with each reference
// over the stories that reference prints; each reference is scored by its
// mean similarity with the other references, on the files at least two
// references read. A group passes when our mean is at least each
// reference's mean on that reference's files.
package corpustest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Dir is the corpus root and RefsDir the reference outputs, relative to a
// package directory two levels below the repository root (pkg/X).
const (
	Dir     = "../../../shared/corpus/public"
	RefsDir = "../../../shared/corpus/public-refs"
)

// File is one corpus file with its SOURCES.tsv notes.
type File struct {
	Path  string // relative to Dir
	Notes string
}

// Files lists the corpus files with one of the extensions, skipping the
// test loudly when the corpus is absent. dir is Dir seen from the caller.
func Files(t *testing.T, dir string, exts ...string) []File {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, "SOURCES.tsv"))
	if err != nil {
		t.Skipf("SKIPPED: public corpus not present (%v); these checks run on machines with ../shared", err)
	}
	var out []File
	for _, line := range strings.Split(string(src), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) < 6 {
			continue
		}
		for _, e := range exts {
			if strings.HasSuffix(f[0], e) {
				out = append(out, File{Path: f[0], Notes: f[5]})
			}
		}
	}
	return out
}

// Bigrams is the multiset of character bigrams used for similarity.
func Bigrams(s string) map[[2]rune]int {
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

// Dice is the Dice coefficient of two bigram multisets.
func Dice(a, b map[[2]rune]int) float64 {
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

// Config describes one agreement run.
type Config struct {
	Dir, RefsDir string
	Files        []File
	Tools        []string            // reference tools, as named in public-refs
	Groups       []string            // group names in table order; "all" is implicit
	GroupsOf     func(File) []string // the groups a file belongs to
	KnownUnread  map[string]error    // files references read that we refuse, with the error we give
	IsTyped      func(error) bool    // our errors must all be typed
	Extract      func([]byte) (func(tool string) string, error)
	Skip         func(File) (bool, string) // files outside this run (e.g. routed elsewhere)
}

// Run extracts every file, checks errors, and reports (and asserts) the
// agreement table. It returns the table in Markdown.
func Run(t *testing.T, c Config) string {
	t.Helper()
	sums := map[string]map[string]float64{}
	counts := map[string]int{}
	verbose := os.Getenv("CORPUS_VERBOSE") != ""
	var slowest struct {
		d    time.Duration
		path string
	}
	defer func() { t.Logf("slowest file: %s (%v)", slowest.path, slowest.d) }()
	for _, f := range c.Files {
		if c.Skip != nil {
			if skip, why := c.Skip(f); skip {
				t.Logf("not in this run: %s: %s", f.Path, why)
				continue
			}
		}
		b, err := os.ReadFile(filepath.Join(c.Dir, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		// A hang is caught by the test's own timeout; the time taken is only
		// reported (a threshold here would fail on a busy machine).
		start := time.Now()
		ours, err := c.Extract(b)
		if d := time.Since(start); d > slowest.d {
			slowest.d, slowest.path = d, f.Path
		}
		var refs []map[[2]rune]int
		var names []string
		for _, tool := range c.Tools {
			out, rerr := os.ReadFile(filepath.Join(c.RefsDir, f.Path+"."+tool+".txt"))
			if rerr == nil && len(bytes.TrimSpace(out)) > 0 {
				refs = append(refs, Bigrams(string(out)))
				names = append(names, tool)
			}
		}
		if err != nil {
			if !c.IsTyped(err) {
				t.Errorf("%s: untyped error: %v", f.Path, err)
			}
			if want, ok := c.KnownUnread[f.Path]; ok {
				if !errors.Is(err, want) {
					t.Errorf("%s: got %v, want %v", f.Path, err, want)
				}
				t.Logf("known unread: %s: %v", f.Path, err)
				continue
			}
			if len(refs) > 0 {
				t.Errorf("%s: %v, but %s read it", f.Path, err, strings.Join(names, ", "))
			}
			continue
		}
		if _, ok := c.KnownUnread[f.Path]; ok {
			t.Errorf("%s: listed as known unread, but it extracts now: update the list", f.Path)
		}
		if len(refs) == 0 {
			t.Logf("%s: extracted although no reference reads it", f.Path)
			continue
		}
		s := map[string]float64{}
		for i, r := range refs {
			s["ours"] += Dice(Bigrams(ours(names[i])), r) / float64(len(refs))
		}
		for i := range refs {
			if len(refs) < 2 {
				break
			}
			var d float64
			for j := range refs {
				if j != i {
					d += Dice(refs[i], refs[j]) / float64(len(refs)-1)
				}
			}
			s[names[i]] = d
		}
		if verbose {
			t.Logf("%s ours %.3f refs %v %v", f.Path, s["ours"], names, s)
		}
		for _, g := range append([]string{"all"}, c.GroupsOf(f)...) {
			if sums[g] == nil {
				sums[g] = map[string]float64{}
			}
			counts[g]++
			sums[g]["ours"] += s["ours"]
			for _, tool := range c.Tools {
				if v, ok := s[tool]; ok {
					sums[g][tool] += v
					sums[g]["ours-"+tool] += s["ours"]
					sums[g]["n-"+tool]++
				}
			}
		}
	}
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "| group | files | ours (all files) |")
	for _, tool := range c.Tools {
		fmt.Fprintf(&tbl, " ours / %s |", tool)
	}
	fmt.Fprintf(&tbl, "\n|---|---|---|%s\n", strings.Repeat("---|", len(c.Tools)))
	for _, g := range append([]string{"all"}, c.Groups...) {
		n := float64(counts[g])
		if n == 0 {
			continue
		}
		m := sums[g]
		fmt.Fprintf(&tbl, "| %s | %d | %.3f |", g, counts[g], m["ours"]/n)
		for _, tool := range c.Tools {
			k := m["n-"+tool]
			if k == 0 {
				fmt.Fprintf(&tbl, " - |")
				continue
			}
			fmt.Fprintf(&tbl, " %.3f / %.3f (%d files) |", m["ours-"+tool]/k, m[tool]/k, int(k))
			if m["ours-"+tool]+1e-9 < m[tool] {
				t.Errorf("group %s: our agreement %.3f is below %s's %.3f on its %d files", g, m["ours-"+tool]/k, tool, m[tool]/k, int(k))
			}
		}
		tbl.WriteString("\n")
	}
	t.Log("\n" + tbl.String())
	return tbl.String()
}
