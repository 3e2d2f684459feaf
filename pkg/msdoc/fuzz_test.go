package msdoc

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

// FuzzExtract feeds mutated Word files to the extractor: it must return a
// document or a typed error, never panic (the recover in Extract would turn
// a panic into ErrCorrupt, so that is checked too) and never produce more
// text than the bound. Seeds are every file under testdata.
//
//	go test -run '^$' -fuzz FuzzExtract -fuzztime 10m ./pkg/msdoc
func FuzzExtract(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.doc")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Extract(bytes.NewReader(b), int64(len(b)), Options{MaxTextRunes: 1 << 20})
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("untyped error: %v", err)
			}
			if bytes.Contains([]byte(err.Error()), []byte("internal parser failure")) {
				t.Fatalf("recovered panic: %v", err)
			}
			return
		}
		if doc == nil {
			t.Fatal("nil document without error")
		}
		_ = doc.PlainText(text.RenderOptions{AllStories: true})
	})
}
