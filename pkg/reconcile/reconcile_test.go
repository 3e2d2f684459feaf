package reconcile

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/htmltext"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata")

type reconCase struct {
	Case          string `json:"case"`
	ExpectedMatch bool   `json:"expected_match"`
	Differences   []struct {
		Type          string `json:"type"`
		Old           string `json:"old"`
		New           string `json:"new"`
		OldParagraph  string `json:"old_paragraph"`
		Text          string `json:"text"`
		FirstMissing  string `json:"first_missing_text"`
		MissingNonEmp int    `json:"missing_nonempty_paragraphs"`
	} `json:"differences"`
}

// loadCase reads case name of a testdata folder: the attachment's text and
// the web page's paragraphs as lines.
func loadCase(t *testing.T, dir, name string) (attachment, web string) {
	t.Helper()
	a, err := os.ReadFile(filepath.Join(dir, name+".attachment.txt"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := os.ReadFile(filepath.Join(dir, name+".web.html"))
	if err != nil {
		t.Fatal(err)
	}
	return string(a), strings.Join(htmltext.Paragraphs(string(h)), "\n")
}

// TestReconCases: each case of shared/fixtures/recon/cases.json (copied to
// testdata) gives exactly its injected differences, nothing extra; the
// report is also pinned as a golden JSON file (go test -update rewrites).
func TestReconCases(t *testing.T) {
	raw, err := os.ReadFile("testdata/recon/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []reconCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) != 5 {
		t.Fatalf("%d cases", len(file.Cases))
	}
	for _, c := range file.Cases {
		t.Run(c.Case, func(t *testing.T) {
			att, web := loadCase(t, "testdata/recon", c.Case)
			rep := Compare(att, web, Options{})
			checkRanges(t, rep, att, web)
			checkExpected(t, c, rep)
			checkGolden(t, filepath.Join("testdata/recon", c.Case+".report.json"), rep)
		})
	}
}

// checkGolden compares the report (without its timing) with a golden JSON
// file; go test -update rewrites the file.
func checkGolden(t *testing.T, golden string, rep Report) {
	t.Helper()
	rep.Stats.ElapsedMicros = 0
	got, _ := json.MarshalIndent(rep, "", "  ")
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("report differs from %s (run with -update after checking)", golden)
	}
}

func checkExpected(t *testing.T, c reconCase, rep Report) {
	t.Helper()
	if c.ExpectedMatch {
		if rep.Verdict != Match || len(rep.Differences) != 0 {
			t.Fatalf("want match with no differences, got %s with %+v", rep.Verdict, rep.Differences)
		}
		return
	}
	if c.Differences[0].Type == "different_document" {
		if rep.Verdict != DifferentDocument {
			t.Fatalf("verdict %s", rep.Verdict)
		}
		return
	}
	if c.Differences[0].Type == "truncated_tail" {
		if rep.Verdict != Truncated || rep.TruncatedSide != "attachment" || len(rep.Differences) != 1 {
			t.Fatalf("want one truncated tail on the attachment side, got %s/%s %d differences", rep.Verdict, rep.TruncatedSide, len(rep.Differences))
		}
		d := rep.Differences[0]
		lines := strings.Count(d.Web, "\n") + 1
		if d.Type != WebOnly || !strings.HasPrefix(d.Web, c.Differences[0].FirstMissing) || lines < c.Differences[0].MissingNonEmp {
			t.Errorf("tail: %s, starts right: %v, %d lines", d.Type, strings.HasPrefix(d.Web, c.Differences[0].FirstMissing), lines)
		}
		return
	}
	if rep.Verdict != Differs {
		t.Fatalf("verdict %s", rep.Verdict)
	}
	if len(rep.Differences) != len(c.Differences) {
		t.Fatalf("%d differences, want %d: %+v", len(rep.Differences), len(c.Differences), rep.Differences)
	}
	for _, want := range c.Differences {
		found := false
		for _, d := range rep.Differences {
			switch want.Type {
			case "changed_text":
				// the reported spans are the minimal differing parts of
				// the injected substitution, in its paragraph
				found = found || (d.Type == Changed && d.Web != "" && d.Attachment != "" &&
					strings.Contains(want.Old, d.Web) && strings.Contains(want.New, d.Attachment) &&
					strings.Contains(want.OldParagraph, d.Web) && len(d.Tags) == 1 && d.Tags[0] == "numeric")
			case "deleted_paragraph":
				found = found || (d.Type == WebOnly && d.Web == want.Text)
			case "added_paragraph":
				found = found || (d.Type == AttachmentOnly && d.Attachment == want.Text)
			}
		}
		if !found {
			t.Errorf("injected %s not reported as such: %+v", want.Type, rep.Differences)
		}
	}
}

// checkRanges: every range is a valid rune range of its text, the reported
// texts are exactly those ranges, and the differences are not empty and
// come in text order without overlapping; a numeric difference counts no
// numbers.
func checkRanges(t *testing.T, rep Report, att, web string) {
	t.Helper()
	ra, rw := []rune(att), []rune(web)
	endA, endW := 0, 0
	for _, d := range rep.Differences {
		a, w := d.AttachmentRange, d.WebRange
		if a[0] < endA || a[0] > a[1] || a[1] > len(ra) || w[0] < endW || w[0] > w[1] || w[1] > len(rw) {
			t.Fatalf("range out of bounds or order: %+v (lengths %d, %d; previous ends %d, %d)", d, len(ra), len(rw), endA, endW)
		}
		endA, endW = a[1], w[1]
		if a[0] == a[1] && w[0] == w[1] {
			t.Fatalf("an empty difference: %+v", d)
		}
		if len(d.Tags) > 0 && d.Numbers != 0 {
			t.Fatalf("a numeric difference with a number count: %+v", d)
		}
		if string(ra[a[0]:a[1]]) != d.Attachment || string(rw[w[0]:w[1]]) != d.Web {
			t.Fatalf("texts are not their ranges: %+v", d)
		}
	}
}

func TestNoiseIsNotADifference(t *testing.T) {
	att := "渝经信通信〔2023〕11号\n第一条　　为贯彻落实，特制定本办法（试行）。\n\n序号\t名称\t金额\n1\t研发\t5万元\n“引号”—破折号\n— 3 —\n"
	web := "渝经信通信[2023]11号\n第一条 为贯彻落实,\n特制定本办法(试行)。\n序号\n名称\n金额\n1\t研发\t5万元\n\"引号\"-破折号\u00a0"
	rep := Compare(att, web, Options{})
	if rep.Verdict != Match || len(rep.Differences) != 0 || rep.Stats.IgnoredLines != 1 {
		t.Errorf("%s %+v ignored %d", rep.Verdict, rep.Differences, rep.Stats.IgnoredLines)
	}
}

func TestVerdicts(t *testing.T) {
	long := strings.Repeat("第一条 本办法适用于全市范围内的人才服务管理工作。\n", 40)
	cases := []struct {
		name, att, web, verdict, side string
	}{
		{"no text", "\n\n", "abc", NoText, ""},
		{"different", long, strings.Repeat("春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。\n", 40), DifferentDocument, ""},
		{"web stops", long + strings.Repeat("第二条 另有规定。\n", 30), long, Truncated, "web"},
		{"web cut mid-paragraph", long + "第二条 另有规定的从其规定" + strings.Repeat("，并且继续说明", 40), long + "第二条 另有", Truncated, "web"},
		{"one small tail is a difference", long + "(此件公开发布)\n", long, Differs, ""},
	}
	for _, c := range cases {
		rep := Compare(c.att, c.web, Options{})
		checkRanges(t, rep, c.att, c.web)
		if rep.Verdict != c.verdict || rep.TruncatedSide != c.side {
			t.Errorf("%s: %s/%s, want %s/%s (%+v)", c.name, rep.Verdict, rep.TruncatedSide, c.verdict, c.side, rep.Differences)
		}
		if c.verdict == Truncated && len(rep.Differences) != 1 {
			t.Errorf("%s: the tail should be one difference: %+v", c.name, rep.Differences)
		}
	}
}

func TestSupplementaryAndTags(t *testing.T) {
	att := "𠀁字😀 比例为3%,期限2024年5月\n"
	web := "𠀁字😁 比例为4%,期限2024年6月\n"
	rep := Compare(att, web, Options{})
	checkRanges(t, rep, att, web)
	if rep.Verdict != Differs || len(rep.Differences) != 3 {
		t.Fatalf("%s %+v", rep.Verdict, rep.Differences)
	}
	if rep.Differences[0].Attachment != "😀" || rep.Differences[0].Tags != nil {
		t.Errorf("emoji difference: %+v", rep.Differences[0])
	}
	for _, d := range rep.Differences[1:] {
		if len(d.Tags) != 1 || d.Tags[0] != "numeric" {
			t.Errorf("numeric tag missing: %+v", d)
		}
	}
}

// TestMultiPieceDecomposition: NFKC emits some decompositions (U+33F7) over
// several Next calls without moving the input position; normalisation must
// still advance (a fuzzer found the hang).
func TestMultiPieceDecomposition(t *testing.T) {
	var n normalized
	normalizeLine("㏷x", 0, &n)
	if len(n.runes) == 0 || n.runes[len(n.runes)-1] != 'x' || n.origin[len(n.origin)-1] != 1 {
		t.Errorf("%q %v", string(n.runes), n.origin)
	}
}
