package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func snapOf(docs ...*doc) *snapshot {
	sn := &snapshot{live: map[string]*doc{}, chunks: []*chunk{newChunk(docs)}}
	for _, d := range docs {
		sn.live[d.id] = d
	}
	return sn
}

func mkDoc(id, title, issue, att, web string) *doc {
	return &doc{id: id, fields: [nFields]field{newField(title), newField(issue), newField(att), newField(web)}}
}

func ids(hs []hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.doc.id)
	}
	return out
}

func TestSearch(t *testing.T) {
	sn := snapOf(
		mkDoc("1", "关于支持科技创新的若干政策措施", "渝府发〔2024〕12号", "第一条 区县财政配套资金应当按时拨付。", "第一条"),
		mkDoc("2", "中小企业发展专项资金管理办法", "渝财规〔2023〕5号", "专项资金用于科技创新项目。科技创新", "专项资金用于科技创新项目。"),
		mkDoc("3", "Rural Revitalisation Plan", "", "ＡＢＣ公司的补贴", "乡村振兴"),
	)
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"区县财政配套资金", []string{"1"}},  // only inside an attachment
		{"科技创新", []string{"1", "2"}}, // the title weighs more than the text
		{"专项资金 科技", []string{"2"}},   // every term must match
		{"专项资金 乡村", nil},             // ... or nothing
		{"〔2023〕5号", []string{"2"}},  // issue numbers
		{"[2023]", []string{"2"}},    // brackets folded
		{"abc", []string{"3"}},       // width and case folded
		{"rural", []string{"3"}},     // case folded
		{"振", []string{"3"}},         // one character
		{"配套资金拨付", nil},              // the characters, not the phrase
		{"", nil},
	} {
		got := ids(sn.search(c.q))
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%q: %v, want %v", c.q, got, c.want)
		}
	}
	// the passage shows the original text around the match, highlighted
	h := sn.search("abc")[0]
	where, html := h.passage(terms("abc"))
	if where != "attachment" || string(html) != "<mark>ＡＢＣ</mark>公司的补贴" {
		t.Errorf("passage %s: %s", where, html)
	}
	h = sn.search("配套资金")[0]
	if _, html := h.passage(terms("配套资金")); !strings.Contains(string(html), "第一条 区县财政<mark>配套资金</mark>应当按时拨付。") {
		t.Errorf("passage %s", html)
	}
}

func TestPassageEscapes(t *testing.T) {
	sn := snapOf(mkDoc("1", "t", "", "前文<script>alert(1)</script>后文", ""))
	_, html := sn.search("script")[0].passage(terms("script"))
	if strings.Contains(string(html), "<script>") || !strings.Contains(string(html), "&lt;<mark>script</mark>&gt;") {
		t.Errorf("passage %s", html)
	}
}

// TestSearchRefresh: the index follows the store: a new policy is found,
// a changed one only by its new text, and the old chunks are merged away.
func TestSearchRefresh(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	a := longFixture("100")
	put(t, st, a)
	s := newSearcher(st, quiet())
	rows := func() { r, err := st.NewIndexReader().Rows(ctx); must(t, err); must(t, s.refresh(ctx, r)) }
	rows()
	if got := ids(s.current().search("区县财政配套资金")); len(got) != 1 || got[0] != "100" {
		t.Fatalf("attachment phrase: %v", got)
	}
	if got := ids(s.current().search("网上办事大厅")); len(got) != 1 {
		t.Fatalf("web phrase: %v", got)
	}
	// change it more times than there may be chunks
	for i := range mergeChunks + 2 {
		b := longFixture("100")
		b.Web = append(b.Web, fmt.Sprintf("修订后新增第%d版：本办法自发布之日起施行。", i))
		b.Attachment = strings.Replace(b.Attachment, "区县财政配套资金", "市级财政奖励资金", 1)
		put(t, st, b)
		rows()
	}
	if got := s.current().search("区县财政配套资金"); len(got) != 0 {
		t.Errorf("the old text is still found: %v", ids(got))
	}
	if got := s.current().search("修订后新增第9版"); len(got) != 1 {
		t.Errorf("the new text is not found")
	}
	if got := s.current().search("修订后新增第8版"); len(got) != 0 {
		t.Errorf("an older version is still found")
	}
	if n := len(s.current().chunks); n > mergeChunks {
		t.Errorf("%d chunks", n)
	}
}

// TestSearchRefreshCutShort: a refresh whose context has ended indexes
// nothing it could not read, and the next one catches up.
func TestSearchRefreshCutShort(t *testing.T) {
	st := newStore(t)
	put(t, st, longFixture("200"))
	put(t, st, longFixture("201"))
	rows, err := st.NewIndexReader().Rows(context.Background())
	must(t, err)
	s := newSearcher(st, quiet())
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.refresh(done, rows); err == nil {
		t.Error("a refresh cut short must say so")
	}
	if n := len(s.current().search("配套资金")); n != 0 {
		t.Errorf("%d found after a refresh that read nothing", n)
	}
	must(t, s.refresh(context.Background(), rows))
	if n := len(s.current().search("配套资金")); n != 2 {
		t.Errorf("%d found, want 2", n)
	}
}

// TestSearchMergesSmallChunks: changes to a few policies among many merge
// into a second chunk; the first, large one is not rebuilt.
func TestSearchMergesSmallChunks(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	small := func(id string, v int) fixture {
		ps := paragraphsN(3)
		ps[0] += fmt.Sprintf("版本%d", v)
		return fixture{ID: id, Title: "政策" + id, Web: ps, Attachment: strings.Join(ps, "\n")}
	}
	for i := range 20 {
		put(t, st, small(fmt.Sprint(300+i), 0))
	}
	s := newSearcher(st, quiet())
	refresh := func() {
		rows, err := st.NewIndexReader().Rows(ctx)
		must(t, err)
		must(t, s.refresh(ctx, rows))
	}
	refresh()
	base := s.current().chunks[0]
	for v := 1; v <= mergeChunks+1; v++ {
		put(t, st, small("300", v))
		refresh()
	}
	sn := s.current()
	// nine changes: eight chunks merged into one after the eighth, then one more
	if len(sn.chunks) != 3 || sn.chunks[0] != base {
		t.Errorf("%d chunks, first rebuilt: %v", len(sn.chunks), sn.chunks[0] != base)
	}
	if got := ids(sn.search(fmt.Sprintf("版本%d", mergeChunks+1))); len(got) != 1 || got[0] != "300" {
		t.Errorf("latest version: %v", got)
	}
	if got := ids(sn.search("版本0")); len(got) != 19 {
		t.Errorf("the others: %d", len(got))
	}
}
