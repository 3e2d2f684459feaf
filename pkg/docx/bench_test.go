package docx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

// BenchmarkExtract: every golden .docx, in memory, to plain text; MB/s of
// input and files/s.
//
//	go test -run '^$' -bench . -benchmem ./pkg/docx
func BenchmarkExtract(b *testing.B) {
	paths, _ := filepath.Glob("testdata/golden/*.docx")
	var files [][]byte
	var total int64
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		total += int64(len(data))
	}
	b.SetBytes(total)
	for b.Loop() {
		for _, data := range files {
			doc, err := Extract(bytes.NewReader(data), int64(len(data)), Options{})
			if err != nil {
				b.Fatal(err)
			}
			_ = doc.PlainText(text.RenderOptions{})
		}
	}
	b.ReportMetric(float64(b.N*len(files))/b.Elapsed().Seconds(), "files/s")
}
