package web

import (
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/reconcile"
)

func viewOf(att, web string) *diffView {
	return newDiffView(att, web, reconcile.Compare(att, web, reconcile.Options{}), reconcileLabels)
}

func allRows(v *diffView) []pairRow {
	var out []pairRow
	for _, b := range v.Blocks {
		out = append(out, b.Rows...)
	}
	return out
}

// TestAlignmentGapsAndLineUp: the web-only paragraph faces a gap, the
// missing one too, and every row after each lines up again; the changed
// number is marked in its own paragraph on both sides; the summary says it
// in one line.
func TestAlignmentGapsAndLineUp(t *testing.T) {
	f := longFixture("1")
	v := viewOf(f.Attachment, strings.Join(f.Web, "\n"))
	rows := allRows(v)
	if len(rows) != 41 {
		t.Fatalf("%d rows, want 41 (40 paragraphs, one web-only)", len(rows))
	}
	for i, r := range rows {
		switch {
		case i == 2:
			if r.Kind != "changed" || r.LeftNo != 3 || r.RightNo != 3 ||
				!strings.Contains(string(r.Left), `class="d changed numeric" title="#1">5万元</mark>`) ||
				!strings.Contains(string(r.Right), `>4万元</mark>`) {
				t.Errorf("row 3: %+v", r)
			}
			if len(r.Anchors) != 1 || r.Anchors[0] != "d1" {
				t.Errorf("the numeric difference is listed first and anchored on its row: %v", r.Anchors)
			}
		case i == 10:
			if r.Kind != "right" || !r.GapL || r.LeftNo != 0 || r.RightNo != 11 || !strings.Contains(string(r.Right), "网页新增") {
				t.Errorf("web-only row: %+v", r)
			}
		case i < 10:
			if r.LeftNo != i+1 || r.RightNo != i+1 {
				t.Errorf("row %d: %d/%d", i, r.LeftNo, r.RightNo)
			}
		case i == 30:
			if r.Kind != "left" || !r.GapR || r.LeftNo != 30 || !strings.Contains(string(r.Left), "区县财政配套资金") {
				t.Errorf("attachment-only row: %+v", r)
			}
		case i < 30:
			if r.LeftNo != i || r.RightNo != i+1 || r.Kind != "same" {
				t.Errorf("row %d after the web-only paragraph: %d/%d %s", i, r.LeftNo, r.RightNo, r.Kind)
			}
		default:
			if r.LeftNo != i || r.RightNo != i || r.Kind != "same" {
				t.Errorf("row %d after both gaps: %d/%d %s", i, r.LeftNo, r.RightNo, r.Kind)
			}
		}
	}
	want := "The web text changes 1 number, lacks 1 paragraph of the attachment and adds 1 paragraph (the one-sided text holds 2 numbers)."
	if v.Summary != want {
		t.Errorf("summary %q\nwant    %q", v.Summary, want)
	}
	if len(v.Items) != 3 || !v.Items[0].Numeric || v.Items[0].Label != "number changed" ||
		!strings.Contains(string(v.Items[0].Left), "一次性补贴<mark class=\"d changed numeric\">5万元</mark>，所需") {
		t.Errorf("items: %+v", v.Items)
	}
}

// TestFolding: unchanged runs longer than foldAfter fold, keeping
// foldContext rows around each change; changes are never folded.
func TestFolding(t *testing.T) {
	f := longFixture("1")
	v := viewOf(f.Attachment, strings.Join(f.Web, "\n"))
	var folded []int
	shown := 0
	for _, b := range v.Blocks {
		if b.Folded {
			folded = append(folded, len(b.Rows))
			for _, r := range b.Rows {
				if r.Kind != "same" || len(r.Anchors) > 0 {
					t.Errorf("folded a row that differs: %+v", r)
				}
			}
		} else {
			shown += len(b.Rows)
		}
	}
	// rows 4–10 (7) stay: 7 > 6 but keeping 2+2 leaves 3 folded;
	// rows 12–30 (19): 15 folded; rows 32–41 (10): the last 8 folded
	want := []int{3, 15, 8}
	if len(folded) != len(want) || folded[0] != want[0] || folded[1] != want[1] || folded[2] != want[2] {
		t.Errorf("folded runs %v, want %v", folded, want)
	}
	if shown+3+15+8 != 41 {
		t.Errorf("shown %d", shown)
	}
}

// TestPairUpBySimilarity: in a run of unequal paragraphs, a changed one
// faces its counterpart even when a new paragraph comes before it.
func TestPairUpBySimilarity(t *testing.T) {
	att := "第一段文字保持不变。\n原来的第二段说的是补贴标准和申报程序。\n第三段。"
	web := "第一段文字保持不变。\n完全新增的一段关于网站维护的话。\n原来的第二段说的是补贴标准与申报流程。\n第三段。"
	rows := allRows(viewOf(att, web))
	if len(rows) != 4 || !rows[1].GapL || rows[1].RightNo != 2 || rows[2].LeftNo != 2 || rows[2].RightNo != 3 || rows[2].Kind != "changed" {
		for _, r := range rows {
			t.Logf("%d/%d %s", r.LeftNo, r.RightNo, r.Kind)
		}
		t.Fatal("the changed paragraph must face its counterpart, the new one a gap")
	}
}

// TestEscapingAndStaleReports: text is always escaped; a report that no
// longer fits the texts is listed but not marked.
func TestEscapingAndStaleReports(t *testing.T) {
	att := "限额的5倍。<script>alert(1)</script>\n第八条\n"
	web := "限额的4倍。<script>alert(1)</script>\n"
	v := viewOf(att, web)
	for _, r := range allRows(v) {
		if strings.Contains(string(r.Left)+string(r.Right), "<script>") {
			t.Fatal("text must be escaped")
		}
	}
	for _, it := range v.Items {
		if strings.Contains(string(it.Left)+string(it.Right), "<script>") {
			t.Fatal("context must be escaped")
		}
	}
	stale := newDiffView(att+"more", "other", reconcile.Compare(att, web, reconcile.Options{}), reconcileLabels)
	if stale.Consistent {
		t.Fatal("ranges that no longer fit must be noticed")
	}
	for _, r := range allRows(stale) {
		if strings.Contains(string(r.Left)+string(r.Right), "<mark") {
			t.Error("stale ranges must not be highlighted")
		}
	}
}

// TestSummaries: one line per verdict, in the reviewer's words.
func TestSummaries(t *testing.T) {
	long := strings.Join(paragraphsN(30), "\n")
	half := strings.Join(paragraphsN(10), "\n")
	for _, c := range []struct{ att, web, want string }{
		{long, long, "The web text says what the attachment says (spacing and punctuation aside)."},
		{long, half, "The web text stops early."},
		{long, "完全不同的一份文件，讲的是另外一件事情，与附件毫无关系，没有任何共同的内容可言。", "The web text is not the attachment"},
		{"", long, "There is no attachment text"},
		{"甲乙丙丁，规定如下：戊己庚辛。\n", "甲乙丙丁，规定如下：戊己庚辛壬癸。\n", "The web text adds 1 passage."},
		{"补贴标准为每人3000元，由市财政局统一发放。\n", "补贴标准为每人3500元，由区人社局统一发放。\n", "The web text changes 1 number and rewords 1 passage."},
	} {
		v := viewOf(c.att, c.web)
		if !strings.HasPrefix(v.Summary, c.want) {
			t.Errorf("%q\n want it to start with %q", v.Summary, c.want)
		}
	}
	hv := newDiffView("第一条。\n第二条。\n", "第一条。\n", reconcile.Compare("第一条。\n第二条。\n", "第一条。\n", reconcile.Options{}), historyLabels)
	if hv.Summary != "The later web text removes 1 paragraph." {
		t.Errorf("history summary %q", hv.Summary)
	}
}
