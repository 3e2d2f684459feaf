package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/extract"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/sample"
	"github.com/policytext/policytext/pkg/store"
	"github.com/policytext/policytext/pkg/text"
)

// The bundled sample as the search indexes it: 190 policies with their
// titles, issue numbers, web texts and extracted attachments.
var sampleDocs = sync.OnceValues(func() ([]*doc, error) {
	var env struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(sample.Catalogue(), &env); err != nil {
		return nil, err
	}
	var out []*doc
	for _, raw := range env.Data.Result {
		var p policyapi.Policy
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, err
		}
		var att []string
		for _, f := range p.Files {
			b, err := fs.ReadFile(sample.Files(), f.FileKey)
			if err != nil {
				return nil, err
			}
			res, err := extract.Bytes(context.Background(), b, extract.Options{})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.FileKey, err)
			}
			att = append(att, res.Doc.PlainText(text.RenderOptions{}))
		}
		out = append(out, mkDoc(p.ID, p.PolicyTitle, p.IssueNumber, strings.Join(att, "\n"), store.WebText(p)))
	}
	return out, nil
})

// cpuTime is the process's CPU time so far. On a machine shared with other
// work, wall time per op says more about the neighbours than about the
// code; each benchmark also reports its CPU time per op (cpu-ms/op,
// garbage collection included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// copies repeats the sample to n policies, each copy's texts made its own
// (a line with its number added), as a portal ten times larger would be.
func copies(b *testing.B, n int) []*doc {
	base, err := sampleDocs()
	if err != nil {
		b.Fatal(err)
	}
	out := make([]*doc, n)
	for i := range out {
		d := base[i%len(base)]
		tag := fmt.Sprintf("\n副本%d", i)
		out[i] = mkDoc(fmt.Sprintf("%s%05d", d.id, i), d.fields[fTitle].norm, d.fields[fIssue].norm,
			d.fields[fAttachment].norm+tag, d.fields[fWeb].norm+tag)
	}
	return out
}

var benchQueries = []struct{ name, q string }{
	{"common-2", "资金"},         // in nearly every policy
	{"phrase-6", "人才工作领导小组"},   // a phrase: candidates confirmed in the text
	{"issue", "渝人社发〔2020〕53号"}, // an issue number
	{"two-terms", "英才 住房"},     // both must match
	{"rare", "副本7"},            // one policy of many
	{"none", "量子引力"},           // nothing
}

func benchSearch(b *testing.B, n int) {
	docs := copies(b, n)
	sn := snapOf(docs...)
	for _, q := range benchQueries {
		b.Run(q.name, func(b *testing.B) {
			hits := 0
			start := cpuTime()
			for b.Loop() {
				hs := sn.search(q.q)
				hits = len(hs)
				// the page shows the passages of its first 100
				ts := terms(q.q)
				for _, h := range hs[:min(len(hs), PageSize)] {
					h.passage(ts)
				}
			}
			reportCPU(b, start)
			b.ReportMetric(float64(hits), "hits")
		})
	}
}

// BenchmarkSearch190: the bundled sample. BenchmarkSearch10k: 10,000
// policies. Each query as the list page runs it: ranked hits, and the
// passages of the first page.
func BenchmarkSearch190(b *testing.B) { benchSearch(b, 190) }
func BenchmarkSearch10k(b *testing.B) { benchSearch(b, 10000) }

// BenchmarkIndexBuild: the postings of every policy (the texts already
// read), and the memory the index holds.
func BenchmarkIndexBuild(b *testing.B) {
	for _, n := range []int{190, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			docs := copies(b, n)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var c *chunk
			start := cpuTime()
			for b.Loop() {
				c = newChunk(docs)
			}
			reportCPU(b, start)
			runtime.GC()
			runtime.ReadMemStats(&after)
			postings := 0
			for _, l := range c.post {
				postings += len(l)
			}
			b.ReportMetric(float64(len(c.post)), "grams")
			b.ReportMetric(float64(postings), "postings")
			b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "index-MiB")
			runtime.KeepAlive(c)
		})
	}
}

// BenchmarkDiffView: the side-by-side view, aligned and rendered to HTML,
// of the sample's longest policy (its web text against a copy with a
// number changed and a paragraph gone) and of a 100,000-character pair.
func BenchmarkDiffView(b *testing.B) {
	docs, err := sampleDocs()
	if err != nil {
		b.Fatal(err)
	}
	longest := docs[0]
	for _, d := range docs {
		if len(d.fields[fWeb].norm) > len(longest.fields[fWeb].norm) {
			longest = d
		}
	}
	web := longest.fields[fWeb].norm
	lines := strings.Split(web, "\n")
	edited := append([]string(nil), lines...)
	edited = append(edited[:len(edited)/2], edited[len(edited)/2+1:]...)
	edited[3] = strings.Replace(edited[3], "1", "7", 1)
	big := strings.Builder{}
	bigWeb := strings.Builder{}
	for i := range 1000 {
		p := fmt.Sprintf("第%d条 %s", i, strings.Repeat("依照本办法规定的程序和标准办理相关事项，", 5))
		big.WriteString(p + "\n")
		switch {
		case i%50 == 7:
			bigWeb.WriteString(strings.Replace(p, fmt.Sprint(i), fmt.Sprint(i+1), 1) + "\n")
		case i == 500:
		default:
			bigWeb.WriteString(p + "\n")
		}
	}
	h := New(nil, quiet())
	for _, c := range []struct{ name, att, web string }{
		{fmt.Sprintf("sample-%dchars", len([]rune(web))), strings.Join(edited, "\n"), web},
		{"100k", big.String(), bigWeb.String()},
	} {
		rep := reconcile.Compare(c.att, c.web, reconcile.Options{})
		b.Run(c.name, func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				v := newDiffView(c.att, c.web, rep, reconcileLabels)
				if err := h.tmpl.ExecuteTemplate(io.Discard, "diff", v); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
			b.ReportMetric(float64(len(rep.Differences)), "differences")
		})
	}
}
