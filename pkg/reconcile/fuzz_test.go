package reconcile

import (
	"testing"
	"unicode/utf8"
)

// FuzzCompare: any pair of texts gives a report without a panic, with
// every range a valid rune range of its text and every text equal to its
// range, in order; the differences are all there is (the texts are equal
// between them) and cut no number; identical texts always match.
//
//	go test -run '^$' -fuzz FuzzCompare -fuzztime 10m ./pkg/reconcile
func FuzzCompare(f *testing.F) {
	f.Add("第一条 4倍\n第二条", "第一条 5倍\n")
	f.Add("〔2023〕　１号\n\n表\t格", "[2023] 1号\n表\n格")
	f.Add("𠀁😀a\u0301b", "𠀁😁áb")
	f.Add("a\nb\nc", "")
	f.Add("到2034年3月，补贴1,500.5万元", "到2027年5月，补贴1，500万元")
	f.Add("二〇二七年十五日", "二〇三四年二十日")
	f.Fuzz(func(t *testing.T, att, web string) {
		if !utf8.ValidString(att) || !utf8.ValidString(web) {
			return
		}
		rep := Compare(att, web, Options{})
		checkRanges(t, rep, att, web)
		checkHunks(t, att, web)
		if rep.Verdict == "" {
			t.Fatal("no verdict")
		}
		if same := Compare(att, att, Options{}); same.Verdict != Match && same.Verdict != NoText {
			t.Fatalf("a text against itself: %s %+v", same.Verdict, same.Differences)
		}
	})
}
