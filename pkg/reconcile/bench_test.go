package reconcile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchPair builds a ~100,000-character attachment from the recon texts
// (paragraphs made unique by a running number) and a web copy with web
// noise (half-width punctuation, NBSP indents), 20 scattered one-character
// edits and one missing block of about 2,000 characters.
func benchPair(tb testing.TB) (att, web string, edits int) { return benchPairOf(tb, 100_000, false) }

// benchPairOf builds a pair of about size characters (see benchPair); with
// numbers, each edit changes a paragraph's running number instead
// ("(1234)" → "(1239)"), so that every difference grows to a whole number.
func benchPairOf(tb testing.TB, size int, numbers bool) (att, web string, edits int) {
	tb.Helper()
	var paras []string
	files, _ := filepath.Glob("testdata/recon/*.attachment.txt")
	for i := 0; ; i++ {
		b, err := os.ReadFile(files[i%len(files)])
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(p) != "" {
				paras = append(paras, fmt.Sprintf("%s(%d)", p, len(paras)))
			}
		}
		if n := len([]rune(strings.Join(paras, "\n"))); n >= size {
			break
		}
	}
	webParas := make([]string, 0, len(paras))
	missing := 0
	step := len(paras) / 21
	for i, p := range paras {
		switch {
		case i > len(paras)/2 && missing < 2000:
			missing += len([]rune(p)) // the missing block
			continue
		case i%step == step/2 && edits < 20:
			r := []rune(p)
			if numbers {
				r[len(r)-2] = '0' + (r[len(r)-2]-'0'+5)%10 // the last digit of "(N)"
			} else {
				r[len(r)/2] = '※'
			}
			p = string(r)
			edits++
		}
		p = strings.NewReplacer("，", ",", "：", ":", "（", "(", "）", ")").Replace(p)
		webParas = append(webParas, "\u00a0\u00a0"+p)
	}
	return strings.Join(paras, "\n"), strings.Join(webParas, "\n"), edits
}

func TestBenchPair(t *testing.T) {
	att, web, edits := benchPair(t)
	rep := Compare(att, web, Options{})
	checkRanges(t, rep, att, web)
	// 20 changes plus the one missing block, nothing from the noise
	if edits != 20 || len(rep.Differences) != 21 || rep.Approximate {
		t.Errorf("%d edits, %d differences, approximate %v", edits, len(rep.Differences), rep.Approximate)
	}
}

// BenchmarkCompare100k: the yardstick (a 100,000-character pair with
// 20 scattered edits and one 2,000-character missing block).
//
//	go test -run '^$' -bench Compare100k -benchmem ./pkg/reconcile
func BenchmarkCompare100k(b *testing.B) {
	att, web, _ := benchPair(b)
	b.SetBytes(int64(len(att) + len(web)))
	for b.Loop() {
		Compare(att, web, Options{})
	}
}

// BenchmarkCompareNumbers100k: the 100k pair with its 20 edits inside
// numbers, each widened to the whole number and tagged numeric.
//
//	go test -run '^$' -bench CompareNumbers100k -benchmem ./pkg/reconcile
func BenchmarkCompareNumbers100k(b *testing.B) {
	att, web, _ := benchPairOf(b, 100_000, true)
	b.SetBytes(int64(len(att) + len(web)))
	for b.Loop() {
		Compare(att, web, Options{})
	}
}

// TestBenchNumbersPair: the numbers variant of the benchmark pair gives 20
// numeric differences, each a whole running number, and the missing block.
func TestBenchNumbersPair(t *testing.T) {
	att, web, edits := benchPairOf(t, 100_000, true)
	rep := Compare(att, web, Options{})
	checkRanges(t, rep, att, web)
	numeric := 0
	for _, d := range rep.Differences {
		if isTagged(d) && d.Attachment != d.Web && strings.Trim(d.Attachment+d.Web, "0123456789") == "" {
			numeric++
		}
	}
	if edits != 20 || numeric != 20 || len(rep.Differences) != 21 {
		t.Errorf("%d edits, %d differences, %d whole numbers", edits, len(rep.Differences), numeric)
	}
}

// BenchmarkCompareSizes shows that time and memory grow linearly with the
// size of the pair (same edits, same missing block).
//
//	go test -run '^$' -bench CompareSizes -benchmem ./pkg/reconcile
func BenchmarkCompareSizes(b *testing.B) {
	for _, size := range []int{25_000, 50_000, 100_000, 200_000} {
		att, web, _ := benchPairOf(b, size, false)
		b.Run(fmt.Sprintf("chars=%d", size), func(b *testing.B) {
			for b.Loop() {
				Compare(att, web, Options{})
			}
		})
	}
}

// TestApproximateIsReported: a block diff that hits its time limit marks
// the report approximate instead of silently returning a coarse diff.
func TestApproximateIsReported(t *testing.T) {
	att, web, _ := benchPair(t)
	// make the large blocks unequal everywhere so that the diffs need time
	web = strings.ReplaceAll(web, "的", "地")
	rep := Compare(att, web, Options{BlockTimeout: time.Nanosecond})
	checkRanges(t, rep, att, web)
	if !rep.Approximate {
		t.Error("a diff cut short by its time limit must set approximate")
	}
}
