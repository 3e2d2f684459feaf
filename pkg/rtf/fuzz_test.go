package rtf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

// FuzzExtract: mutated RTF gives a document or a typed error, never a
// panic. Seeds: testdata and the feature cases.
//
//	go test -run '^$' -fuzz FuzzExtract -fuzztime 10m ./pkg/rtf
func FuzzExtract(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/golden/*.doc")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 16<<10)])
	}
	f.Add([]byte(`{\rtf1\ansi\ansicpg936{\fonttbl{\f0\fcharset134 SimSun;}}\f0\'d6\'d0\trowd\intbl A\cell\row{\field{\*\fldinst X}{\fldrslt y}}\u20013?\par}`))
	// note marks and symbol fonts
	f.Add([]byte(`{\rtf1\ansi{\fonttbl{\f1\fcharset2 Symbol;}{\f2 Wingdings{\*\falt W};}}\ftnnalc\aftnstart3 a{\super\chftn}{\footnote\ftnalt{\super\chftn} n\par}{\f1 \'b7a}{\f2\u61692?}\par}`))
	f.Add([]byte(`{\rtf1 {\field{\*\fldinst {MACROBUTTON N [}{x]}}{\fldrslt {\field{\*\fldinst MACROBUTTON A b}}}}{\footnote a}{\header b}\par}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Extract(bytes.NewReader(b), int64(len(b)), Options{MaxTextRunes: 1 << 20})
		if err != nil {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrNotRTF) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error: %v", err)
			}
			if strings.Contains(err.Error(), "internal parser failure") {
				t.Fatalf("recovered panic: %v", err)
			}
			return
		}
		_ = doc.PlainText(text.RenderOptions{AllStories: true})
	})
}
