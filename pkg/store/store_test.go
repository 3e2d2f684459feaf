package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/store"
)

// One S3 server (versitygw, real SigV4) for the test binary: the gateway
// allows one instance per process.
var testS3 *devstack.S3

func TestMain(m *testing.M) {
	os.Exit(devstack.RunTestsWithS3(m, &testS3))
}

var (
	bucketsMu sync.Mutex
	buckets   = map[string]int{} // uses of each test's bucket name
)

// newStore is a store on a fresh bucket, and a raw S3 client on the same
// bucket (to see what a browser of the bucket sees). The bucket is named
// after the test, with a number from its second use on (go test -count=2
// runs a test again on the same server).
func newStore(t testing.TB) (*store.Store, *minio.Client, string) {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	bucketsMu.Lock()
	buckets[name]++
	if n := buckets[name]; n > 1 {
		name += "-" + strconv.Itoa(n)
	}
	bucketsMu.Unlock()
	st, err := store.New(testS3.StoreConfig(name))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	mc, err := minio.New(testS3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(testS3.AccessKey, testS3.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return st, mc, name
}

// policy makes a record as the portal sends it (t may be nil in examples).
func policy(t testing.TB, id, text string, files ...string) policyapi.Policy {
	rec := map[string]any{"id": id, "policyTitle": "关于印发《重庆英才服务管理办法》的通知", "issueNumber": "渝人社发〔2020〕53号",
		"policyText": text, "publishTime": "2024-04-12 15:44:48", "policyLevelName": "市级", "policyTypeName": "人才引进政策"}
	var fl []map[string]any
	for _, f := range files {
		fl = append(fl, map[string]any{"fileId": f, "fileName": "附件" + f, "fileType": "doc", "fileSize": 75})
	}
	rec["files"] = fl
	raw, _ := json.Marshal(rec)
	var p policyapi.Policy
	if err := json.Unmarshal(raw, &p); err != nil {
		panic(err)
	}
	p.Raw = raw
	return p
}

func keys(t testing.TB, mc *minio.Client, bucket, prefix string) []string {
	t.Helper()
	var out []string
	for o := range mc.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

func TestPolicyVersionsAndWebText(t *testing.T) {
	st, mc, bucket := newStore(t)
	ctx := context.Background()
	v1 := policy(t, "1778690715361914880", "<p>第一条 限额的5倍。</p><script>alert(1)</script><p>第二条</p>", "11")
	if _, err := st.Policy(ctx, v1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("not stored yet: %v", err)
	}
	if err := st.PutWebText(ctx, v1); err != nil {
		t.Fatal(err)
	}
	if err := st.PutPolicy(ctx, v1, nil); err != nil {
		t.Fatal(err)
	}
	got, err := st.Policy(ctx, v1.ID)
	if err != nil || !bytes.Equal(got.Raw, v1.Raw) || got.PolicyTitle != v1.PolicyTitle || len(got.Files) != 1 {
		t.Fatalf("read back: %+v %v", got, err)
	}
	// the web text is plain text, without the portal's script
	obj, err := mc.GetObject(ctx, bucket, "policies/"+v1.ID+"/web.txt", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := obj.Stat()
	b, _ := io.ReadAll(obj)
	if string(b) != "第一条 限额的5倍。\n第二条" || !strings.HasPrefix(info.ContentType, "text/plain") {
		t.Errorf("web.txt %q as %s", b, info.ContentType)
	}

	v2 := policy(t, v1.ID, "<p>第一条 限额的4倍。</p>", "11")
	if err := st.PutPolicy(ctx, v2, &got); err != nil {
		t.Fatal(err)
	}
	vs, err := st.Versions(ctx, v1.ID)
	if err != nil || len(vs) != 1 || time.Since(vs[0].Replaced) > time.Minute {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	old, err := st.PolicyVersion(ctx, v1.ID, vs[0].ID())
	if err != nil || !bytes.Equal(old.Raw, v1.Raw) {
		t.Errorf("kept version: %v", err)
	}
	if _, err := st.PolicyVersion(ctx, v1.ID, "../policy"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bad version id: %v", err)
	}
	// storing the same record again keeps no copy
	cur, _ := st.Policy(ctx, v1.ID)
	if err := st.PutPolicy(ctx, v2, &cur); err != nil {
		t.Fatal(err)
	}
	if vs, _ := st.Versions(ctx, v1.ID); len(vs) != 1 {
		t.Errorf("%d versions after an unchanged store", len(vs))
	}
	ids, err := st.PolicyIDs(ctx)
	if err != nil || len(ids) != 1 || ids[0] != v1.ID {
		t.Errorf("ids %v %v", ids, err)
	}
	if sha := store.PolicySHA256(v1); sha == store.PolicySHA256(v2) || len(sha) != 64 {
		t.Errorf("sha %s", sha)
	}
}

func TestIDsAreValidatedEverywhere(t *testing.T) {
	st, _, _ := newStore(t)
	ctx := context.Background()
	for _, bad := range []string{"", "../x", "12/34", "1e5", " 1", "１２", "1234567890123456789012345678901"} {
		calls := map[string]error{}
		_, calls["Policy"] = st.Policy(ctx, bad)
		calls["PutWebText"] = st.PutWebText(ctx, policyapi.Policy{ID: bad})
		calls["PutPolicy"] = st.PutPolicy(ctx, policyapi.Policy{ID: bad, Raw: []byte("{}")}, nil)
		_, calls["Versions"] = st.Versions(ctx, bad)
		_, calls["Text"] = st.Text(ctx, "1", bad)
		_, calls["Record"] = st.Record(ctx, bad, "1")
		calls["PutResult"] = st.PutResult(ctx, store.Record{PolicyID: "1", FileID: bad}, "")
		calls["PutResult/policy"] = st.PutResult(ctx, store.Record{PolicyID: bad, FileID: "1", OK: true}, "x")
		calls["PutOriginal"] = st.PutOriginal(ctx, &store.Record{PolicyID: bad, FileID: "1"}, "doc", "", strings.NewReader("x"), 1)
		_, calls["Report"] = st.Report(ctx, bad)
		calls["PutReport"] = st.PutReport(ctx, store.Report{PolicyID: bad})
		calls["AppendIndex"] = st.AppendIndex(ctx, []store.Row{{ID: bad}})
		_, calls["Compared"] = st.Compared(ctx, bad, nil, nil)
		for name, err := range calls {
			if !errors.Is(err, store.ErrBadID) {
				t.Errorf("%s(%q): %v", name, bad, err)
			}
		}
		if store.ValidID(bad) {
			t.Errorf("ValidID(%q)", bad)
		}
	}
}

func TestOriginalsAreNeverServedAsPages(t *testing.T) {
	st, mc, bucket := newStore(t)
	ctx := context.Background()
	for _, c := range []struct{ ext, ct, wantExt, wantCT string }{
		{"doc", "application/msword", "doc", "application/msword"},
		{"html", "text/html", "bin", "application/octet-stream"},
		{"xml", "application/xml", "xml", "application/octet-stream"},
		{"svg", "image/svg+xml", "bin", "application/octet-stream"},
		{"../x", "", "bin", "application/octet-stream"},
	} {
		rec := store.Record{PolicyID: "7", FileID: "70", FileName: "通知.html", FileURL: "https://youth.cq.cqyl.org.cn/oss/a.doc", SHA256: "ab"}
		if err := st.PutOriginal(ctx, &rec, c.ext, c.ct, strings.NewReader("<script>x</script>"), 18); err != nil {
			t.Fatal(err)
		}
		if rec.Original != c.wantExt {
			t.Errorf("%s stored as .%s", c.ext, rec.Original)
		}
		info, err := mc.StatObject(ctx, bucket, "policies/7/files/70."+c.wantExt, minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if info.ContentType != c.wantCT || !strings.HasPrefix(info.Metadata.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s: served as %s, %q", c.ext, info.ContentType, info.Metadata.Get("Content-Disposition"))
		}
		if err := st.PutResult(ctx, rec, ""); err != nil {
			t.Fatal(err)
		}
		body, orig, err := st.OpenOriginal(ctx, "7", "70")
		if err != nil {
			t.Fatal(err)
		}
		body.Close()
		if orig.Name != "通知."+c.wantExt || orig.ContentType != c.wantCT || orig.Size != 18 {
			t.Errorf("download %+v", orig)
		}
	}
	for name, want := range map[string]string{"a/../../b.doc": "b.rtf", `c:\x\y.DOC`: "y.rtf", "": "attachment.rtf",
		"报告 2024.5.1通知": "报告 2024.5.1通知.rtf", "x\x00y<>.doc": "x_y__.rtf"} {
		if got := store.DownloadName(name, "rtf"); got != want {
			t.Errorf("DownloadName(%q) = %q, want %q", name, got, want)
		}
	}
	if got := store.DownloadName("a.doc", "html"); got != "a.bin" {
		t.Errorf("html download name %q", got)
	}
}

func TestComparedWaitsForEveryAttachment(t *testing.T) {
	st, _, _ := newStore(t)
	ctx := context.Background()
	p := policy(t, "42", "<p>第一条</p><p>第二条</p>", "1", "2", "3")
	if err := st.PutPolicy(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	put := func(id string, ok bool, text string) store.Record {
		rec := store.Record{PolicyID: "42", FileID: id, OK: ok, Run: "9." + id, At: time.Now().UTC()}
		if !ok {
			rec.Error, rec.ErrorKind = "document is encrypted", "encrypted"
		}
		if err := st.PutResult(ctx, rec, text); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	r1 := put("1", true, "第一条\n")
	c, err := st.Compared(ctx, "42", nil, nil)
	if err != nil || c.Settled || len(c.Records) != 3 || !c.Records[0].OK || !c.Records[1].At.IsZero() || c.Attachment != "" {
		t.Fatalf("one of three: %+v %v", c, err)
	}
	put("2", false, "")
	r3 := put("3", true, "第二条\n")
	c, err = st.Compared(ctx, "42", nil, nil)
	if err != nil || !c.Settled || c.Attachment != "第一条\n第二条\n" || c.Web != "第一条\n第二条" || len(c.Texts) != 2 {
		t.Fatalf("settled: %+v %v", c, err)
	}
	// records in hand are used as they are, without reading them back
	r1.Warnings = []string{"from the event"}
	c, err = st.Compared(ctx, "42", map[string]store.Record{"1": r1, "3": r3}, nil)
	if err != nil || !c.Settled || len(c.Records[0].Warnings) != 1 || c.Records[1].ErrorKind != "encrypted" {
		t.Fatalf("known records: %+v %v", c, err)
	}
	// and so are texts in hand (the events carry them), but only of a
	// record in hand: "2" failed, and "4" is no attachment of the policy
	c, err = st.Compared(ctx, "42", map[string]store.Record{"1": r1, "3": r3},
		map[string]string{"3": "第二条（事件）\n", "2": "失败\n", "4": "别的\n"})
	if err != nil || c.Attachment != "第一条\n第二条（事件）\n" || c.Texts["3"] != "第二条（事件）\n" {
		t.Fatalf("known texts: %q %v", c.Attachment, err)
	}
	// a text of a record that is not in hand is not taken: read instead
	c, err = st.Compared(ctx, "42", map[string]store.Record{"3": r3}, map[string]string{"1": "不是这个\n"})
	if err != nil || c.Attachment != "第一条\n第二条\n" {
		t.Fatalf("a text without its record: %q %v", c.Attachment, err)
	}
	if _, err := st.Compared(ctx, "43", nil, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown policy: %v", err)
	}
	if txt, err := st.Text(ctx, "42", "3"); err != nil || txt != "第二条\n" {
		t.Errorf("text %q %v", txt, err)
	}
}

func TestReportCoversRuns(t *testing.T) {
	st, _, _ := newStore(t)
	ctx := context.Background()
	rep := store.Report{PolicyID: "5", Title: "t", Attachments: []store.AttachmentNote{{FileID: "1", OK: true, Run: "3.1"}},
		Report: reconcile.Compare("第一条 对符合条件的人才，给予不超过限额的5倍的奖励。\n第二条 本办法自印发之日起施行。\n",
			"第一条 对符合条件的人才，给予不超过限额的4倍的奖励。\n第二条 本办法自印发之日起施行。\n", reconcile.Options{}), At: time.Now().UTC()}
	if err := st.PutReport(ctx, rep); err != nil {
		t.Fatal(err)
	}
	got, err := st.Report(ctx, "5")
	if err != nil || got.Report.Verdict != reconcile.Differs || len(got.Report.Differences) == 0 {
		t.Fatalf("report %+v %v", got, err)
	}
	if !got.Covers("1", "3.1") || got.Covers("1", "4.1") || got.Covers("2", "3.1") || got.Covers("1", "") {
		t.Error("Covers")
	}
	facts := store.NewReportFacts(got)
	if facts.Verdict != reconcile.Differs || facts.OK != 1 || facts.Numeric == 0 || facts.Differences != len(got.Report.Differences) {
		t.Errorf("facts %+v", facts)
	}
}

func TestCorruptObjectsAreTypedErrors(t *testing.T) {
	st, mc, bucket := newStore(t)
	ctx := context.Background()
	for key, body := range map[string]string{"policies/8/policy.json": "{not json", "policies/8/files/1.json": "[]",
		"policies/8/reconcile.json": "<html>"} {
		if _, err := mc.PutObject(ctx, bucket, key, strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Policy(ctx, "8"); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("policy: %v", err)
	}
	if _, err := st.Record(ctx, "8", "1"); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("record: %v", err)
	}
	if _, err := st.Report(ctx, "8"); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("report: %v", err)
	}
	if _, _, err := st.OpenOriginal(ctx, "8", "2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("original without a record: %v", err)
	}
}

func TestIndexMergesPartsAndCompacts(t *testing.T) {
	st, mc, bucket := newStore(t)
	ctx := context.Background()
	p := policy(t, "100", "<p>x</p>", "1")
	pf := store.NewPolicyFacts(p)
	if pf.Level != "市级" || pf.Type != "人才引进政策" || pf.Files != 1 || pf.SHA256 != store.PolicySHA256(p) {
		t.Fatalf("facts %+v", pf)
	}
	early := time.Now().UTC().Add(-time.Hour)
	rf := &store.ReportFacts{Verdict: reconcile.Match, OK: 1, At: early}
	// the report part, then the policy part, in separate segments
	if err := st.AppendIndex(ctx, []store.Row{{ID: "100", Report: rf}}); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendIndex(ctx, []store.Row{{ID: "100", Policy: pf}}); err != nil {
		t.Fatal(err)
	}
	x := st.NewIndexReader()
	rows, err := x.Rows(ctx)
	if err != nil || len(rows) != 1 || rows[0].Policy == nil || rows[0].Report == nil {
		t.Fatalf("rows %+v %v", rows, err)
	}
	if v := rows[0].Verdict(); v != store.Pending {
		t.Errorf("a report older than the record is pending, got %s", v)
	}
	late := &store.ReportFacts{Verdict: reconcile.Differs, OK: 1, Numeric: 2, At: time.Now().UTC().Add(time.Second)}
	stale := &store.ReportFacts{Verdict: reconcile.Truncated, At: early.Add(time.Minute)}
	if err := st.AppendIndex(ctx, []store.Row{{ID: "100", Report: late}, {ID: "101", Report: stale}}); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendIndex(ctx, []store.Row{{ID: "100", Report: stale}}); err != nil { // older: loses
		t.Fatal(err)
	}
	rows, _ = x.Rows(ctx)
	if len(rows) != 2 || rows[0].Verdict() != reconcile.Differs || rows[0].Report.Numeric != 2 || rows[1].Policy != nil {
		t.Fatalf("merged rows %+v", rows)
	}
	again, _ := x.Rows(ctx)
	if &again[0] != &rows[0] {
		t.Error("an unchanged index is not merged again")
	}
	// many segments are compacted into one, and nothing is lost
	for i := range 70 {
		r := store.Row{ID: fmt.Sprint(200 + i), Report: &store.ReportFacts{Verdict: reconcile.Match, At: time.Now().UTC()}}
		if err := st.AppendIndex(ctx, []store.Row{r}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CompactIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(keys(t, mc, bucket, "index/")); n > 5 {
		t.Errorf("%d segments after compaction", n)
	}
	rows, err = st.NewIndexReader().Rows(ctx)
	if err != nil || len(rows) != 72 || rows[0].Verdict() != reconcile.Differs {
		t.Fatalf("after compaction: %d rows, %v", len(rows), err)
	}
	if rows, _ := x.Rows(ctx); len(rows) != 72 {
		t.Errorf("a reader that cached the compacted segments: %d rows", len(rows))
	}
}

// A reader that lists segments a compaction then deletes still answers, with
// every row: the deleted segments' rows are in the compacted one.
func TestIndexReadDuringCompaction(t *testing.T) {
	st, _, _ := newStore(t)
	ctx := context.Background()
	const rounds, perRound = 4, 70
	writer := make(chan error, 1)
	go func() {
		defer close(writer)
		for round := range rounds {
			for i := range perRound {
				r := store.Row{ID: fmt.Sprint(1000 + round*perRound + i), Report: &store.ReportFacts{Verdict: reconcile.Match, At: time.Now().UTC()}}
				if err := st.AppendIndex(ctx, []store.Row{r}); err != nil {
					writer <- err
					return
				}
			}
			if err := st.CompactIndex(ctx); err != nil {
				writer <- err
				return
			}
		}
	}()
	seen := 0
	for done := false; !done; {
		select {
		case err, open := <-writer:
			if err != nil {
				t.Fatal(err)
			}
			done = !open
		default:
		}
		rows, err := st.NewIndexReader().Rows(ctx) // a new reader lists and reads everything
		if err != nil {
			t.Fatalf("a read during compaction: %v", err)
		}
		if len(rows) < seen {
			t.Fatalf("rows went from %d to %d", seen, len(rows))
		}
		seen = len(rows)
	}
	if rows, err := st.NewIndexReader().Rows(ctx); err != nil || len(rows) != rounds*perRound {
		t.Fatalf("%d rows, %v; want %d", len(rows), err, rounds*perRound)
	}
}

func TestIndexWriterBatchesAndCallsBack(t *testing.T) {
	st, mc, bucket := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	w := st.NewIndexWriter(100 * time.Millisecond)
	if err := w.Flush(ctx); err == nil {
		t.Error("Flush before Run must fail")
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		w.Add([]store.Row{{ID: fmt.Sprint(300 + i%10), Report: &store.ReportFacts{Verdict: reconcile.Match, OK: i, At: time.Now().UTC()}}},
			func(err error) { errs <- err; wg.Done() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Flush is only callable once Run is running; poll for that
	for deadline := time.Now().Add(10 * time.Second); ; {
		if err := w.Flush(ctx); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	rows, err := st.NewIndexReader().Rows(ctx)
	if err != nil || len(rows) != 10 {
		t.Fatalf("%d rows %v", len(rows), err)
	}
	if n := len(keys(t, mc, bucket, "index/")); n >= 50 {
		t.Errorf("%d segments for 50 rows: not batched", n)
	}
	// rows added just before the end are still written
	w.Add([]store.Row{{ID: "999", Report: &store.ReportFacts{Verdict: reconcile.Match, At: time.Now().UTC()}}}, nil)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rows, _ = st.NewIndexReader().Rows(context.Background())
	if len(rows) != 11 {
		t.Errorf("the last row was lost: %d rows", len(rows))
	}
}

// The record travels as metadata of the text object: one object per
// settled attachment, unless the record is too large for metadata.
func TestRecordTravelsWithItsText(t *testing.T) {
	st, mc, bucket := newStore(t)
	ctx := context.Background()
	keys := func() []string {
		var out []string
		for o := range mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: "policies/9/", Recursive: true}) {
			out = append(out, strings.TrimPrefix(o.Key, "policies/9/"))
		}
		return out
	}
	ok := store.Record{PolicyID: "9", FileID: "1", FileName: "关于印发《重庆市青年发展规划》的通知.docx", OK: true, Format: "docx",
		SHA256: strings.Repeat("ab", 32), Stories: map[string]int{"main": 1200, "footnotes": 30}, Run: "4.1", At: time.Now().UTC()}
	if err := st.PutResult(ctx, ok, "第一条\n"); err != nil {
		t.Fatal(err)
	}
	if got := keys(); !slices.Equal(got, []string{"files/1.txt"}) {
		t.Errorf("objects %v, want the text alone", got)
	}
	rec, err := st.Record(ctx, "9", "1")
	if err != nil || rec.FileName != ok.FileName || !rec.OK || rec.Stories["footnotes"] != 30 || !rec.At.Equal(ok.At) {
		t.Errorf("record %+v %v", rec, err)
	}
	if txt, err := st.Text(ctx, "9", "1"); err != nil || txt != "第一条\n" {
		t.Errorf("text %q %v", txt, err)
	}
	if err := st.PutResult(ctx, store.Record{PolicyID: "9", FileID: "1", Error: "x"}, "text"); err == nil {
		t.Error("a failed record with a text was stored")
	}

	// failed on a later run: the text goes, the failure is the record
	failed := store.Record{PolicyID: "9", FileID: "1", Error: "document is encrypted", ErrorKind: "encrypted", Run: "5.1", At: time.Now().UTC()}
	if err := st.PutResult(ctx, failed, ""); err != nil {
		t.Fatal(err)
	}
	if txt, err := st.Text(ctx, "9", "1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("text of a failure: %q %v", txt, err)
	}
	if rec, err := st.Record(ctx, "9", "1"); err != nil || rec.OK || rec.ErrorKind != "encrypted" {
		t.Errorf("failure %+v %v", rec, err)
	}

	// too large for metadata: the record is written beside the text
	big := ok
	big.FileID = "2"
	for i := range 40 {
		big.Warnings = append(big.Warnings, fmt.Sprintf("warning %d: a damaged stream was read as far as it goes", i))
	}
	if err := st.PutResult(ctx, big, "第二条\n"); err != nil {
		t.Fatal(err)
	}
	if got := keys(); !slices.Equal(got, []string{"files/1.txt", "files/2.json", "files/2.txt"}) {
		t.Errorf("objects %v", got)
	}
	if rec, err := st.Record(ctx, "9", "2"); err != nil || len(rec.Warnings) != 40 {
		t.Errorf("large record: %d warnings, %v", len(rec.Warnings), err)
	}

	// a bucket written before this layout: the record in .json, a plain text
	for key, body := range map[string]string{"policies/9/files/3.json": `{"policyId":"9","fileId":"3","ok":true,"run":"1.1"}`,
		"policies/9/files/3.txt": "第三条\n", "policies/9/files/4.json": `{"policyId":"9","fileId":"4","ok":false,"error":"gone"}`} {
		if _, err := mc.PutObject(ctx, bucket, key, strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if rec, err := st.Record(ctx, "9", "3"); err != nil || !rec.OK || rec.Run != "1.1" {
		t.Errorf("older record %+v %v", rec, err)
	}
	if txt, err := st.Text(ctx, "9", "3"); err != nil || txt != "第三条\n" {
		t.Errorf("older text %q %v", txt, err)
	}
	if rec, err := st.Record(ctx, "9", "4"); err != nil || rec.Error != "gone" {
		t.Errorf("older failure %+v %v", rec, err)
	}
	p := policy(t, "9", "<p>第一条</p>", "1", "2", "3", "4", "5")
	if err := st.PutPolicy(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	c, err := st.Compared(ctx, "9", nil, nil)
	if err != nil || c.Settled || c.Records[0].ErrorKind != "encrypted" || len(c.Records[1].Warnings) != 40 || !c.Records[2].OK ||
		c.Records[3].Error != "gone" || !c.Records[4].At.IsZero() {
		t.Errorf("compared %+v %v", c, err)
	}

	// metadata that is not a record
	if _, err := mc.PutObject(ctx, bucket, "policies/9/files/6.txt", strings.NewReader("x"), 1,
		minio.PutObjectOptions{UserMetadata: map[string]string{"record": "%%%"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Record(ctx, "9", "6"); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("bad record metadata: %v", err)
	}
}
