package pipeline

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/sample"
	"github.com/policytext/policytext/pkg/store"
)

// The embedded S3 gateway changes the working directory and runs once per
// process, so paths are made absolute at init and one gateway serves every
// test (each test uses its own bucket).
var (
	testS3    *devstack.S3
	testS3Dir string
	truthDir  = mustAbs("testdata/truth")
	badDirs   = []string{mustAbs("../msdoc/testdata/bad"), mustAbs("../docx/testdata/bad")}
)

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return a
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pipeline-s3-")
	if err != nil {
		panic(err)
	}
	testS3Dir = dir
	testS3, err = devstack.StartS3(context.Background(), devstack.S3Config{Dir: dir})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	testS3.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

type stack struct {
	st      *store.Store
	js      jetstream.JetStream
	portal  *policyapi.SampleServer
	api     *policyapi.Client
	url     string
	log     *slog.Logger
	natsURL string
}

func newStack(t testing.TB, bucket string) *stack {
	t.Helper()
	ctx := context.Background()
	st, err := store.New(testS3.StoreConfig(bucket))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := devstack.StartNATS(devstack.NATSConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	nc, js, err := queue.Connect(n.URL, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := queue.Setup(ctx, js); err != nil {
		t.Fatal(err)
	}
	portal, err := devstack.StartPortal("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(portal.Stop)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := policyapi.NewClient(policyapi.ClientConfig{BaseURL: portal.URL, Token: "t", RPS: 1000, Backoff: time.Millisecond}, log)
	return &stack{st: st, js: js, portal: portal.SampleServer, api: api, url: portal.URL, log: log, natsURL: n.URL}
}

func (s *stack) host() string { return strings.TrimPrefix(s.url, "http://") }

// workers starts extractors and a reconciler until the test ends.
func (s *stack) workers(t testing.TB, extracted *atomic.Int64, opts ...func(*Extractor)) {
	ctx, cancel := context.WithCancel(context.Background())
	ex := &Extractor{Store: s.st, JS: s.js, Log: s.log, AllowedHosts: []string{s.host()},
		Observe: func(bool, time.Duration, string) { extracted.Add(1) }}
	for _, o := range opts {
		o(ex)
	}
	rc := &Reconciler{Store: s.st, JS: s.js, Log: s.log}
	done := make(chan struct{}, 2)
	go func() { ex.Run(ctx, 2); done <- struct{}{} }()
	go func() { rc.Run(ctx, 1); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
}

// waitReports waits until n policies have a reconcile report.
func (s *stack) waitReports(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		keys, err := s.st.List(context.Background(), store.Prefix, true)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, k := range keys {
			if strings.HasSuffix(k, "/reconcile.json") {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d reports after 3 minutes", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkAll: every stored text equals its truth, every policy has a report
// and (for the sample, made from the web text) it matches.
func (s *stack) checkAll(t *testing.T, policies int) {
	t.Helper()
	ctx := context.Background()
	var cat struct {
		Data struct {
			Result []policyapi.Policy `json:"result"`
		} `json:"data"`
	}
	json.Unmarshal(sample.Catalogue(), &cat)
	for _, p := range cat.Data.Result[:policies] {
		for _, f := range p.Files {
			k, _ := store.TextKey(p.ID, f.FileID)
			got, err := s.st.Get(ctx, k, 1<<30)
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			want, err := os.ReadFile(filepath.Join(truthDir, f.FileID+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from the truth", k)
			}
			ok, _ := store.OriginalKey(p.ID, f.FileID, f.FileType)
			if meta, err := s.st.Stat(ctx, ok); err != nil || meta["sha256"] == "" || meta["original-name"] != f.FileName {
				t.Errorf("%s: original metadata %v %v", ok, meta, err)
			}
		}
		rk, _ := store.ReportKey(p.ID)
		b, err := s.st.Get(ctx, rk, 1<<30)
		if err != nil {
			t.Fatalf("%s: %v", rk, err)
		}
		var rep PolicyReport
		json.Unmarshal(b, &rep)
		if rep.Report.Verdict != reconcile.Match {
			t.Errorf("policy %s: verdict %s", p.ID, rep.Report.Verdict)
		}
	}
}

// TestEndToEnd: the 10 real policies, then the whole catalogue, go
// through fetch → extract → store → reconcile; a second crawl queues
// nothing; a request reprocesses exactly one policy.
func TestEndToEnd(t *testing.T) {
	s := newStack(t, "e2e")
	ctx := context.Background()
	var extracted atomic.Int64
	s.workers(t, &extracted)
	f := &Fetcher{API: s.api, Store: s.st, JS: s.js, Log: s.log, PageSize: 10}

	s.portal.Limit(10)
	st, err := f.Crawl(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Policies != 10 || st.Queued != 10 {
		t.Fatalf("first crawl: %+v", st)
	}
	s.waitReports(t, 10)
	s.checkAll(t, 10)

	st, err = f.Crawl(ctx)
	if err != nil || st.New != 0 || st.Queued != 0 {
		t.Fatalf("a second crawl must queue nothing: %+v %v", st, err)
	}

	s.portal.Limit(190)
	st, err = f.Crawl(ctx)
	if err != nil || st.Policies != 190 || st.New != 180 || st.Queued != 180 {
		t.Fatalf("full crawl: %+v %v", st, err)
	}
	s.waitReports(t, 190)
	s.checkAll(t, 190)

	// reprocess one policy on request
	before := extracted.Load()
	reqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go f.ServeRequests(reqCtx)
	if err := queue.RequestProcess(ctx, s.js, []string{"1775446439165382656"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for extracted.Load() == before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // nothing else may follow
	if got := extracted.Load() - before; got != 1 {
		t.Errorf("the request extracted %d attachments, want exactly 1", got)
	}
}

// TestBadFilesAreRecordedFailures: each hostile or broken file ends as a
// stored record with its reason, the job terminated, never a crash loop.
func TestBadFilesAreRecordedFailures(t *testing.T) {
	s := newStack(t, "bad")
	ctx := context.Background()
	srv := httptest.NewServer(httpFileServer(badDirs))
	defer srv.Close()
	ex := &Extractor{Store: s.st, JS: s.js, Log: s.log, AllowedHosts: []string{strings.TrimPrefix(srv.URL, "http://")}}
	want := map[string]string{ // file → error kind, or "" when it extracts (mislabelled but valid)
		"truncated_10k.doc": "truncated", "corrupt_fat.doc": "corrupt", "corrupt_fat_cycle.doc": "corrupt",
		"no_worddocument_stream.doc": "unsupported_format", "empty.doc": "empty", "html_error_page.doc": "unsupported_format",
		"oss_nosuchkey.doc": "unsupported_format", "password_123456.doc": "encrypted", "docx_named_as.doc": "",
		"rtf_named_as.doc": "", "zipbomb.docx": "too_large", "zipbomb_lying_size.docx": "too_large",
		"malformed_xml_truncated.docx": "corrupt", "malformed_xml_mismatched_tag.docx": "corrupt",
		"no_document_xml.docx": "corrupt", "truncated.docx": "truncated", "empty.docx": "empty", "doc_named_as.docx": "",
		"missing-on-server.doc": "not_found",
	}
	i := 0
	for name := range want {
		i++
		job := queue.AttachmentJob{PolicyID: "42", FileID: string(rune('0'+i/10)) + string(rune('0'+i%10)), FileName: name,
			FileType: strings.TrimPrefix(filepath.Ext(name), "."), FileURL: srv.URL + "/" + name}
		if _, err := queue.PublishJob(ctx, s.js, job, ""); err != nil {
			t.Fatal(err)
		}
	}
	// a job from a host that is not allowed
	queue.PublishJob(ctx, s.js, queue.AttachmentJob{PolicyID: "42", FileID: "99", FileURL: "http://evil.example/x.doc"}, "")
	runCtx, cancel := context.WithCancel(ctx)
	go ex.Run(runCtx, 2)
	defer cancel()
	deadline := time.Now().Add(time.Minute)
	for {
		keys, _ := s.st.List(ctx, "policies/42/files/", true)
		recs := 0
		for _, k := range keys {
			if strings.HasSuffix(k, ".json") {
				recs++
			}
		}
		if recs == len(want)+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records of %d", recs, len(want)+1)
		}
		time.Sleep(50 * time.Millisecond)
	}
	keys, _ := s.st.List(ctx, "policies/42/files/", true)
	got := map[string]Record{}
	for _, k := range keys {
		if strings.HasSuffix(k, ".json") {
			b, _ := s.st.Get(ctx, k, 1<<20)
			var r Record
			json.Unmarshal(b, &r)
			got[r.FileName] = r
		}
	}
	for name, kind := range want {
		r := got[name]
		if kind == "" && (!r.OK || r.Error != "") {
			t.Errorf("%s should extract: %+v", name, r)
		}
		if kind != "" && (r.OK || r.ErrorKind != kind || r.Error == "") {
			t.Errorf("%s: got %q (%s), want kind %s", name, r.ErrorKind, r.Error, kind)
		}
	}
	if r := got[""]; r.ErrorKind != "host_not_allowed" {
		t.Errorf("disallowed host: %+v", r)
	}
	jobs, _ := s.js.Stream(ctx, queue.JobsStream)
	if info, _ := jobs.Info(ctx); info.State.Msgs != 0 {
		t.Errorf("%d jobs left in the work queue", info.State.Msgs)
	}
}
