package msdoc

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

// BenchmarkExtract measures extraction of every golden file, in memory, to
// plain text. b.SetBytes makes `go test -bench` report MB/s of input;
// files/s is reported as a custom metric.
//
//	go test -run '^$' -bench . -benchmem ./pkg/msdoc
func BenchmarkExtract(b *testing.B) {
	paths, _ := filepath.Glob("testdata/golden/*.doc")
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
	b.ResetTimer()
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

// BenchmarkExtractLargeTable is the 148 KB file with the 259-row table.
func BenchmarkExtractLargeTable(b *testing.B) {
	data, err := os.ReadFile("testdata/golden/lo-1778614237987241984.doc")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Extract(bytes.NewReader(data), int64(len(data)), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
