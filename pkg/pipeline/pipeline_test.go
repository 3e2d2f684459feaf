package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
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
	bucket  string
}

func newStack(t testing.TB, bucket string) *stack {
	t.Helper()
	n, err := devstack.StartNATS(devstack.NATSConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	s := newStackOn(t, n.URL, freshBucket(bucket))
	portal, err := devstack.StartPortal("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(portal.Stop)
	s.portal, s.url = portal.SampleServer, portal.URL
	s.api = policyapi.NewClient(policyapi.ClientConfig{BaseURL: portal.URL, Token: "t", RPS: 1000, Backoff: time.Millisecond}, s.log)
	return s
}

var buckets atomic.Int64

// freshBucket names a bucket no other stack of this test process has used:
// the S3 server is shared by the whole test binary, and a test run again
// (go test -count=2) must not find the last round's policies stored and
// queue nothing.
func freshBucket(name string) string { return name + "-" + strconv.FormatInt(buckets.Add(1), 10) }

// waitUntil polls cond until it holds; after timeout the test fails with what.
func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newStackOn is a store on its own bucket and a queue on a given NATS server.
func newStackOn(t testing.TB, natsURL, bucket string) *stack {
	t.Helper()
	ctx := context.Background()
	st, err := store.New(testS3.StoreConfig(bucket))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	nc, js, err := queue.Connect(natsURL, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := queue.Setup(ctx, js); err != nil {
		t.Fatal(err)
	}
	return &stack{st: st, js: js, log: slog.New(slog.NewTextHandler(io.Discard, nil)), natsURL: natsURL, bucket: bucket}
}

func (s *stack) host() string { return strings.TrimPrefix(s.url, "http://") }

// fetcher is a fetcher of the stack's portal.
func (s *stack) fetcher(pageSize int) *Fetcher {
	return &Fetcher{API: s.api, Store: s.st, JS: s.js, Log: s.log, PageSize: pageSize}
}

// workers starts extractors and a reconciler until the test ends.
func (s *stack) workers(t testing.TB, extracted *atomic.Int64, opts ...func(*Extractor)) {
	ctx, cancel := context.WithCancel(context.Background())
	ex := &Extractor{Store: s.st, JS: s.js, Log: s.log, Workers: 2, AllowedHosts: []string{s.host()},
		Observe: func(bool, time.Duration, string) { extracted.Add(1) }}
	for _, o := range opts {
		o(ex)
	}
	rc := &Reconciler{Store: s.st, JS: s.js, Log: s.log, Workers: 1}
	errs := make(chan error, 2)
	go func() { errs <- ex.Run(ctx) }()
	go func() { errs <- rc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("stage: %v", err)
			}
		}
	})
}

// reported counts the policies whose index row has a current report.
func (s *stack) reported(t testing.TB) int {
	rows, err := s.st.NewIndexReader().Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.Verdict() != store.Pending {
			n++
		}
	}
	return n
}

// waitReports waits until n policies have a reconcile report.
func (s *stack) waitReports(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		got := s.reported(t)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d reports after 3 minutes", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitIdle waits until no job or event is waiting or in hand.
func (s *stack) waitIdle(t testing.TB) queue.Status {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st, err := queue.ReadStatus(context.Background(), s.js)
		if err == nil && st.JobsWaiting == 0 && st.JobsInProgress == 0 && st.EventsWaiting == 0 && st.Requests == 0 {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("not idle after 2 minutes: %+v %v", st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitIdleJobs waits until no job is waiting or in hand (no reconciler runs).
func (s *stack) waitIdleJobs(t testing.TB) queue.Status {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st, err := queue.ReadStatus(context.Background(), s.js)
		if err == nil && st.JobsWaiting == 0 && st.JobsInProgress == 0 {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs not done after 2 minutes: %+v %v", st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rawKeys lists the bucket as any S3 browser shows it.
func (s *stack) rawKeys(t testing.TB, prefix string) []string {
	t.Helper()
	mc, err := minio.New(testS3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(testS3.AccessKey, testS3.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for o := range mc.ListObjects(context.Background(), s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

// eventTexts reads the texts the extracted events carried, by
// policy/file (the last event of each).
func (s *stack) eventTexts(t testing.TB) map[string]string {
	t.Helper()
	ctx := context.Background()
	stream, err := s.js.Stream(ctx, queue.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if ev, err := queue.Decode[queue.Extracted](m.Data); err == nil && ev.Text != nil {
			out[ev.PolicyID+"/"+ev.FileID] = *ev.Text
		}
	}
	return out
}

// removeRaw deletes the keys under prefix as any S3 client can.
func (s *stack) removeRaw(t testing.TB, prefix string) {
	t.Helper()
	mc, err := minio.New(testS3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(testS3.AccessKey, testS3.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	keys := s.rawKeys(t, prefix)
	if len(keys) == 0 {
		t.Fatalf("nothing under %s to remove", prefix)
	}
	for _, k := range keys {
		if err := mc.RemoveObject(context.Background(), s.bucket, k, minio.RemoveObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func catalogue(t testing.TB) []policyapi.Policy {
	var cat struct {
		Data struct {
			Result []policyapi.Policy `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(sample.Catalogue(), &cat); err != nil {
		t.Fatal(err)
	}
	return cat.Data.Result
}

// checkAll: every stored text equals its truth, every policy has a report
// and (for the sample, made from the web text) it matches.
func (s *stack) checkAll(t *testing.T, policies int) {
	t.Helper()
	ctx := context.Background()
	carried := s.eventTexts(t)
	for _, p := range catalogue(t)[:policies] {
		for _, f := range p.Files {
			got, err := s.st.Text(ctx, p.ID, f.FileID)
			if err != nil {
				t.Fatalf("%s/%s: %v", p.ID, f.FileID, err)
			}
			// the event carried the stored text (the reconciler used it)
			if ev, ok := carried[p.ID+"/"+f.FileID]; (!ok && len(got) <= queue.MaxEventText) || ok && ev != got {
				t.Errorf("%s/%s: the event's text (carried %v) is not the stored one", p.ID, f.FileID, ok)
			}
			want, err := os.ReadFile(filepath.Join(truthDir, f.FileID+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s/%s differs from the truth", p.ID, f.FileID)
			}
			if meta, err := s.st.OriginalMeta(ctx, p.ID, f.FileID); err != nil || meta["sha256"] == "" || meta["original-name"] != f.FileName {
				t.Errorf("%s/%s: original metadata %v %v", p.ID, f.FileID, meta, err)
			}
		}
		rep, err := s.st.Report(ctx, p.ID)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
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
	f := s.fetcher(10)

	s.portal.Limit(10)
	st, err := f.Crawl(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Policies != 10 || st.Queued != 10 || st.New != 10 {
		t.Fatalf("first crawl: %+v", st)
	}
	s.waitReports(t, 10)
	s.checkAll(t, 10)

	st, err = f.Crawl(ctx)
	if err != nil || st.New != 0 || st.Changed != 0 || st.Queued != 0 {
		t.Fatalf("a second crawl must queue nothing: %+v %v", st, err)
	}

	s.portal.Limit(190)
	st, err = f.Crawl(ctx)
	if err != nil || st.Policies != 190 || st.New != 180 || st.Queued != 180 {
		t.Fatalf("full crawl: %+v %v", st, err)
	}
	s.waitReports(t, 190)
	s.checkAll(t, 190)

	// reprocess one policy on request: once the request is handled and the
	// queues are idle, exactly its one attachment was extracted again
	s.waitIdle(t)
	before := extracted.Load()
	reqCtx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- f.ServeRequests(reqCtx) }()
	defer func() { cancel(); <-served }()
	if err := queue.RequestProcess(ctx, s.js, []string{"1775446439165382656"}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); extracted.Load() == before; {
		if time.Now().After(deadline) {
			t.Fatal("the request was not served")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.waitIdle(t)
	if got := extracted.Load() - before; got != 1 {
		t.Errorf("the request extracted %d attachments, want exactly 1", got)
	}

	// The index lost (a crash before its rows were written): a new
	// fetcher finds the stored policies in its listing and reads them,
	// rather than taking them for new.
	s.removeRaw(t, "index/")
	st, err = s.fetcher(10).Crawl(ctx)
	if err != nil || st.Policies != 190 || st.New != 0 || st.Changed != 0 || st.Queued != 0 {
		t.Fatalf("a crawl without an index must find the stored policies: %+v %v", st, err)
	}
}

// TestBadFilesAreRecordedFailures: each hostile or broken file ends as a
// stored record with its reason, the job terminated, never a crash loop.
func TestBadFilesAreRecordedFailures(t *testing.T) {
	s := newStack(t, "bad")
	ctx := context.Background()
	srv := httptest.NewServer(httpFileServer(badDirs))
	defer srv.Close()
	ex := &Extractor{Store: s.st, JS: s.js, Log: s.log, Workers: 2, AllowedHosts: []string{strings.TrimPrefix(srv.URL, "http://")}}
	want := map[string]string{ // file → error kind, or "" when it extracts (mislabelled but valid)
		"truncated_10k.doc": "truncated", "corrupt_fat.doc": "corrupt", "corrupt_fat_cycle.doc": "corrupt",
		"no_worddocument_stream.doc": "unsupported_format", "empty.doc": "empty", "html_error_page.doc": "unsupported_format",
		"oss_nosuchkey.doc": "unsupported_format", "password_123456.doc": "encrypted", "docx_named_as.doc": "",
		"rtf_named_as.doc": "", "zipbomb.docx": "too_large", "zipbomb_lying_size.docx": "too_large",
		"malformed_xml_truncated.docx": "corrupt", "malformed_xml_mismatched_tag.docx": "corrupt",
		"no_document_xml.docx": "corrupt", "truncated.docx": "truncated", "empty.docx": "empty", "doc_named_as.docx": "",
		"missing-on-server.doc": "not_found",
	}
	// the original is stored under what the file really is
	wantOriginal := map[string]string{"docx_named_as.doc": "docx", "rtf_named_as.doc": "rtf", "doc_named_as.docx": "doc",
		"html_error_page.doc": "bin", "password_123456.doc": "doc", "missing-on-server.doc": ""}
	ids := map[string]string{}
	i := 0
	for name := range want {
		i++
		id := strconv.Itoa(10 + i)
		ids[name] = id
		job := queue.AttachmentJob{PolicyID: "42", FileID: id, FileName: name,
			FileType: strings.TrimPrefix(filepath.Ext(name), "."), FileURL: srv.URL + "/" + name}
		if _, err := queue.PublishJob(ctx, s.js, job, ""); err != nil {
			t.Fatal(err)
		}
	}
	// a job from a host that is not allowed
	queue.PublishJob(ctx, s.js, queue.AttachmentJob{PolicyID: "42", FileID: "99", FileURL: "http://evil.example/x.doc"}, "")
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ex.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	record := func(id string) (store.Record, bool) {
		r, err := s.st.Record(ctx, "42", id)
		return r, err == nil
	}
	for deadline := time.Now().Add(time.Minute); ; {
		n := 0
		for _, id := range ids {
			if _, ok := record(id); ok {
				n++
			}
		}
		if _, ok := record("99"); ok && n == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records of %d", n, len(ids)+1)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for name, kind := range want {
		r, _ := record(ids[name])
		if kind == "" && (!r.OK || r.Error != "") {
			t.Errorf("%s should extract: %+v", name, r)
		}
		if kind != "" && (r.OK || r.ErrorKind != kind || r.Error == "") {
			t.Errorf("%s: got %q (%s), want kind %s", name, r.ErrorKind, r.Error, kind)
		}
		if ext, ok := wantOriginal[name]; ok && r.Original != ext {
			t.Errorf("%s: original stored as %q, want %q", name, r.Original, ext)
		}
	}
	if r, _ := record("99"); r.ErrorKind != "host_not_allowed" {
		t.Errorf("disallowed host: %+v", r)
	}
	st := s.waitIdleJobs(t) // no reconciler runs here: the events wait
	if st.Failed != uint64(len(want)-3+1) || st.Done != 3 {
		t.Errorf("events: %+v", st)
	}
	jobs, _ := s.js.Stream(ctx, queue.JobsStream)
	if info, _ := jobs.Info(ctx); info.State.Msgs != 0 {
		t.Errorf("%d jobs left in the work queue", info.State.Msgs)
	}
}
