package htmltext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParagraphs: any input gives paragraphs without a panic, valid UTF-8
// out of valid UTF-8 in, and no text from scripts.
//
//	go test -run '^$' -fuzz FuzzParagraphs -fuzztime 10m ./pkg/htmltext
func FuzzParagraphs(f *testing.F) {
	for _, s := range []string{`<p>一</p><p><br></p>`, `<table><tr><td>A<table><tr><td>x</td></tr></table></td></tr></table>`,
		`<div>a<p>b<br>c</p>d</div>`, `<p>&ldquo;&#12288;&nbsp;&bogus;</p>`, `<script>x</script><p>y`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		paras := Paragraphs(s)
		if !utf8.ValidString(s) {
			return
		}
		for _, p := range paras {
			if !utf8.ValidString(p) {
				t.Fatalf("invalid UTF-8 out of %q", s)
			}
		}
		if !strings.Contains(s, "SECRET") && strings.Contains(strings.Join(paras, ""), "SECRET") {
			t.Fatal("text appeared from nowhere")
		}
	})
}
