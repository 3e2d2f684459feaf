package reconcile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type numberCase struct {
	Case          string `json:"case"`
	Verdict       string `json:"verdict"`
	TruncatedSide string `json:"truncated_side"`
	Differences   []struct {
		Type       string `json:"type"`
		Attachment string `json:"attachment"`
		Web        string `json:"web"`
		Numeric    bool   `json:"numeric"`
		Numbers    int    `json:"numbers"`
	} `json:"differences"`
}

// TestNumberCases: catalogue policies with a number changed (a year in
// figures and in Chinese numerals, 十五→二十, a date inside a sentence, an
// amount with a decimal) and a truncated web page whose missing tail holds
// numbers (testdata/numbers, made by build.py, which states the expected
// strings). Each report gives exactly the listed differences; the report is
// also pinned as a golden JSON file (go test -update rewrites).
func TestNumberCases(t *testing.T) {
	raw, err := os.ReadFile("testdata/numbers/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []numberCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) != 6 {
		t.Fatalf("%d cases", len(file.Cases))
	}
	for _, c := range file.Cases {
		t.Run(c.Case, func(t *testing.T) {
			att, web := loadCase(t, "testdata/numbers", c.Case)
			rep := Compare(att, web, Options{})
			checkRanges(t, rep, att, web)
			checkHunks(t, att, web)
			if rep.Verdict != c.Verdict || rep.TruncatedSide != c.TruncatedSide || len(rep.Differences) != len(c.Differences) {
				t.Fatalf("%s/%s with %d differences, want %s/%s with %d: %+v", rep.Verdict, rep.TruncatedSide,
					len(rep.Differences), c.Verdict, c.TruncatedSide, len(c.Differences), rep.Differences)
			}
			for i, want := range c.Differences {
				d := rep.Differences[i]
				if d.Type != want.Type || d.Attachment != want.Attachment || d.Web != want.Web ||
					isTagged(d) != want.Numeric || d.Numbers != want.Numbers {
					t.Errorf("difference %d: %s %q/%q numeric %v numbers %d, want %s %q/%q numeric %v numbers %d", i,
						d.Type, clipped(d.Attachment), clipped(d.Web), isTagged(d), d.Numbers,
						want.Type, clipped(want.Attachment), clipped(want.Web), want.Numeric, want.Numbers)
				}
			}
			checkGolden(t, filepath.Join("testdata/numbers", c.Case+".report.json"), rep)
		})
	}
}

func isTagged(d Difference) bool { return slices.Equal(d.Tags, []string{"numeric"}) }

func clipped(s string) string {
	if r := []rune(s); len(r) > 30 {
		return string(r[:30]) + "…"
	}
	return s
}

// TestNumberRules: what a number is (figures, separators, units, written in
// one piece), when a difference grows to it, when differences merge, and
// when a difference is tagged numeric or only counts its numbers.
func TestNumberRules(t *testing.T) {
	type diff struct {
		att, web string
		numeric  bool
		numbers  int
	}
	cases := []struct {
		name, att, web string
		want           []diff
	}{
		{"year in figures", "到2034年,", "到2027年,", []diff{{"2034年", "2027年", true, 0}}},
		{"full-width digits", "补贴１５万元。", "补贴16万元。", []diff{{"１５万元", "16万元", true, 0}}},
		{"full-width percent", "提高10％。", "提高15%。", []diff{{"10％", "15%", true, 0}}},
		{"decimal and multiple", "提高到1.5倍。", "提高到1.8倍。", []diff{{"1.5倍", "1.8倍", true, 0}}},
		{"decimal inserted", "补贴15.5万元。", "补贴15万元。", []diff{{"15.5万元", "15万元", true, 0}}},
		{"figure inserted inside", "补贴500万元。", "补贴50万元。", []diff{{"500万元", "50万元", true, 0}}},
		{"thousands separator", "共计1,250人。", "共计1,350人。", []diff{{"1,250", "1,350", true, 0}}},
		{"full-width thousands separator", "共计1，250人。", "共计1，350人。", []diff{{"1，250", "1，350", true, 0}}},
		{"a comma before two digits separates numbers", "第1,23项。", "第1,24项。", []diff{{"23", "24", true, 0}}},
		{"a TAB separates table cells", "1\t500万元\n", "1\t600万元\n", []diff{{"500万元", "600万元", true, 0}}},
		{"Chinese numerals", "少于二十日。", "少于十五日。", []diff{{"二十日", "十五日", true, 0}}},
		{"financial numerals", "金额叁佰元整。", "金额贰佰元整。", []diff{{"叁佰元", "贰佰元", true, 0}}},
		{"month alone", "自2024年5月15日起", "自2024年3月15日起", []diff{{"5月", "3月", true, 0}}},
		{"year and month touch and merge", "自2024年11月起", "自2023年10月起", []diff{{"2024年11月", "2023年10月", true, 0}}},
		{"a dash keeps two years apart", "(2025—2030年)", "(2024—2027年)", []diff{{"2025", "2024", true, 0}, {"2030年", "2027年", true, 0}}},
		{"a number only one side has", "有效期3年。", "有效期。", []diff{{"3年", "", true, 0}}},
		{"words are not widened", "支持企业发展。", "鼓励企业发展。", []diff{{"支持", "鼓励", false, 0}}},
		{"a numeral in a word", "统一部署。", "统筹部署。", []diff{{"一", "筹", false, 0}}},
		{"a lone numeral one side has is no number", "进一步加强。", "进步加强。", []diff{{"一", "", false, 0}}},
		{"a sentence with numbers counts them", "补贴5万元。\n另奖励3万元，期限2年。\n", "补贴5万元。\n", []diff{{"另奖励3万元，期限2年。", "", false, 2}}},
		{"a unit after a lone numeral makes a number", "推进一元化管理", "推进多元化管理", []diff{{"一元", "多元", false, 1}}},
	}
	const around = "第一条 为做好人才服务工作，制定本办法。\n第二条 本办法适用于全市范围内的人才服务管理工作。\n"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// the same paragraphs around, so that the pair is one document
			att, web := around+c.att+"\n"+around, around+c.web+"\n"+around
			rep := Compare(att, web, Options{})
			checkRanges(t, rep, att, web)
			checkHunks(t, att, web)
			var got []diff
			for _, d := range rep.Differences {
				got = append(got, diff{d.Attachment, d.Web, isTagged(d), d.Numbers})
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestTruncatedInsideANumber: the tail of a text cut inside a number starts
// where the short side stops; it is not widened into a changed number.
func TestTruncatedInsideANumber(t *testing.T) {
	long := strings.Repeat("第一条 本办法适用于全市范围内的人才服务管理工作。\n", 40)
	att := long + "第二条 补贴不超过15万元" + strings.Repeat("，并且继续说明", 40)
	web := long + "第二条 补贴不超过1"
	rep := Compare(att, web, Options{})
	checkRanges(t, rep, att, web)
	checkHunks(t, att, web)
	if rep.Verdict != Truncated || rep.TruncatedSide != "web" || len(rep.Differences) != 1 {
		t.Fatalf("%s/%s %+v", rep.Verdict, rep.TruncatedSide, rep.Differences)
	}
	d := rep.Differences[0]
	if d.Type != AttachmentOnly || !strings.HasPrefix(d.Attachment, "5万元，并且") || d.Tags != nil || d.Numbers != 1 {
		t.Errorf("tail: %s %q tags %v numbers %d", d.Type, clipped(d.Attachment), d.Tags, d.Numbers)
	}
}

// TestNumberIsBounded: a run of figures longer than a number can be is not
// one, so a difference inside it stays as small as the diff found it.
func TestNumberIsBounded(t *testing.T) {
	digits := strings.Repeat("7", 100)
	att, web := "编码"+digits+"1"+digits+"。", "编码"+digits+"2"+digits+"。"
	rep := Compare(att, web, Options{})
	checkRanges(t, rep, att, web)
	checkHunks(t, att, web)
	if len(rep.Differences) != 1 || rep.Differences[0].Attachment != "1" || rep.Differences[0].Tags != nil {
		t.Errorf("%+v", rep.Differences)
	}
}

// checkHunks checks the reported hunks in normalised coordinates: between
// and around them both texts are equal (so the hunks are all the
// differences), they are in order and do not touch, and no edge cuts a
// number, except where the truncated tail starts.
func checkHunks(t *testing.T, att, web string) {
	t.Helper()
	a, w := prepare(att, true), prepare(web, true)
	if len(a.all.runes) == 0 || len(w.all.runes) == 0 {
		return
	}
	al := alignChars(alignParagraphs(a, w), a, w, Options{}.withDefaults())
	hunks, short := finalHunks(al.hunks, a, w, Options{}.withDefaults())
	pa, pw := 0, 0 // ends of the previous hunk
	for i, h := range hunks {
		tail := short != "" && i == len(hunks)-1
		if h.a0 < pa || h.w0 < pw || h.a0 > h.a1 || h.w0 > h.w1 || (h.a0 == h.a1 && h.w0 == h.w1) {
			t.Fatalf("hunk %d %+v after %d/%d: out of order or empty", i, h, pa, pw)
		}
		if i > 0 && !tail && (h.a0 == pa || h.w0 == pw) {
			t.Fatalf("hunk %d %+v touches the previous one", i, h)
		}
		if string(a.all.runes[pa:h.a0]) != string(w.all.runes[pw:h.w0]) {
			t.Fatalf("hunk %d %+v: the texts before it differ", i, h)
		}
		if !tail {
			limA, limW := len(a.all.runes), len(w.all.runes)
			if short != "" {
				limA, limW = hunks[len(hunks)-1].a0, hunks[len(hunks)-1].w0
			}
			la, ra := a.all.grow(h.a0, h.a1)
			lw, rw := w.all.grow(h.w0, h.w1)
			if la+lw > 0 || (ra+rw > 0 && h.a1 < limA && h.w1 < limW) {
				t.Fatalf("hunk %d %+v cuts a number (%q / %q)", i, h, string(a.all.runes[h.a0:h.a1]), string(w.all.runes[h.w0:h.w1]))
			}
		}
		pa, pw = h.a1, h.w1
	}
	if string(a.all.runes[pa:]) != string(w.all.runes[pw:]) {
		t.Fatalf("the texts after the last hunk differ")
	}
}
