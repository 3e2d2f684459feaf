package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/store"
)

var testS3 *devstack.S3

func TestMain(m *testing.M) {
	os.Exit(devstack.RunTestsWithS3(m, &testS3))
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var buckets atomic.Int64

// newStore is a store on a bucket of its own.
func newStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.New(testS3.StoreConfig(fmt.Sprintf("web%d-%d", time.Now().UnixNano()%1e6, buckets.Add(1))))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// fixture is a policy to store: its record's fields and its attachment.
type fixture struct {
	ID, Title, Issue, Type, Level string
	Web                           []string // paragraphs of policyText
	Attachment                    string   // "" with Failed: the extraction failed
	Failed                        bool
	Bytes                         int64
}

// record builds the portal's record (as the portal sends it) of f.
func (f fixture) record() policyapi.Policy {
	var html strings.Builder
	for _, p := range f.Web {
		html.WriteString("<p>" + escapeHTML(p) + "</p>")
	}
	rec := map[string]any{"id": f.ID, "policyTitle": f.Title, "issueNumber": f.Issue, "policyText": html.String(),
		"publishTime": "2024-05-01 00:00:00", "policyTypeName": f.Type, "policyLevelName": f.Level,
		"files": []map[string]any{{"fileId": f.ID + "1", "fileName": "附件.doc", "fileKey": "k/" + f.ID + ".doc",
			"fileType": "doc", "fileSize": 75, "fileUrl": "http://127.0.0.1:1/oss/k/" + f.ID + ".doc"}}}
	raw, _ := json.Marshal(rec)
	var p policyapi.Policy
	if err := json.Unmarshal(raw, &p); err != nil {
		panic(err)
	}
	p.Raw = raw
	return p
}

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// put stores f as the pipeline would: record, web text, the attachment's
// text and record, the report of the comparison, the index row.
func put(t testing.TB, st *store.Store, f fixture) {
	t.Helper()
	ctx := context.Background()
	p := f.record()
	prev, err := st.Policy(ctx, f.ID)
	var prevp *policyapi.Policy
	if err == nil {
		prevp = &prev
	}
	facts := store.NewPolicyFacts(p)
	if prevp != nil {
		vs, _ := st.Versions(ctx, f.ID)
		facts.Changed, facts.Versions = facts.At, len(vs)+1
	}
	must(t, st.PutWebText(ctx, p))
	must(t, st.PutPolicy(ctx, p, prevp))
	rec := store.Record{PolicyID: f.ID, FileID: f.ID + "1", FileName: "附件.doc", OK: !f.Failed, Format: "doc",
		Original: "doc", Bytes: f.Bytes, At: time.Now()}
	text := f.Attachment
	if f.Failed {
		rec.Error, rec.ErrorKind, rec.Original, rec.Format, text = "the server answered 404", "download", "", "", ""
	}
	must(t, st.PutResult(ctx, rec, text))
	c, err := st.Compared(ctx, f.ID, nil, nil)
	must(t, err)
	rep := store.Report{PolicyID: f.ID, Title: f.Title, Report: reconcile.Compare(c.Attachment, c.Web, reconcile.Options{}),
		Attachments:  []store.AttachmentNote{{FileID: rec.FileID, OK: rec.OK, Error: rec.Error, ErrorKind: rec.ErrorKind}},
		PolicySHA256: store.PolicySHA256(p), At: time.Now()}
	must(t, st.PutReport(ctx, rep))
	must(t, st.AppendIndex(ctx, []store.Row{{ID: f.ID, Policy: facts, Report: store.NewReportFacts(rep)}}))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var topics = []string{"科技创新", "中小企业", "人才引进", "乡村振兴", "数字经济", "绿色低碳", "文化旅游", "对外开放"}

// paragraphsN returns n distinct paragraphs of a policy text.
func paragraphsN(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("第%d条　为推动本市%s高质量发展，各区县人民政府应当按照本办法规定落实%s相关政策措施，做好组织实施和监督检查工作。",
			i+1, topics[i%len(topics)], topics[(i*3+1)%len(topics)])
	}
	return out
}

// longFixture: 40 paragraphs; the web text changes the number of the third
// (5万元 → 4万元), adds a paragraph after the tenth and lacks the thirtieth,
// which holds a phrase found nowhere else (区县财政配套资金).
func longFixture(id string) fixture {
	att := paragraphsN(40)
	att[2] = "第3条　对认定的企业给予一次性补贴5万元，所需资金由市级财政承担。"
	att[29] = "第30条　区县财政配套资金应当在每年六月底前拨付到位，不得挪作他用。"
	web := append([]string(nil), att...)
	web[2] = "第3条　对认定的企业给予一次性补贴4万元，所需资金由市级财政承担。"
	web = append(web[:29], web[30:]...)
	web = append(web[:10], append([]string{"本条为网页新增的说明：申报材料可通过网上办事大厅提交。"}, web[10:]...)...)
	return fixture{ID: id, Title: "关于支持科技创新的若干政策措施", Issue: "渝府发〔2024〕12号", Type: "科技", Level: "市级",
		Web: web, Attachment: strings.Join(att, "\n") + "\n", Bytes: 25 * 1024}
}

// newServer stores the fixtures and serves the pages over them.
func newServer(t testing.TB, fixtures ...fixture) (*httptest.Server, *store.Store, *Handler) {
	t.Helper()
	st := newStore(t)
	for _, f := range fixtures {
		put(t, st, f)
	}
	h := New(st, quiet())
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, st, h
}

func newHTTP(t testing.TB, h *Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
