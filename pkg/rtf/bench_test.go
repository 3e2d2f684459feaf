package rtf

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkExtract: the AbiWord RTF fixtures, in memory.
//
//	go test -run '^$' -bench . -benchmem ./pkg/rtf
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
	for b.Loop() {
		for _, data := range files {
			if _, err := Extract(bytes.NewReader(data), int64(len(data)), Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(files))/b.Elapsed().Seconds(), "files/s")
}
