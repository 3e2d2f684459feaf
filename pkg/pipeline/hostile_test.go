package pipeline

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/policyapi/policyapitest"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/sample"
)

// sampleRecord is the i-th record of the bundled sample, as a map.
func sampleRecord(t testing.TB, i int) map[string]any {
	t.Helper()
	var cat struct {
		Data struct {
			Result []map[string]any `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(sample.Catalogue(), &cat); err != nil {
		t.Fatal(err)
	}
	return cat.Data.Result[i]
}

// portalOf serves records (raw, as given) and the sample's attachments.
func portalOf(t testing.TB, records ...any) (*policyapi.SampleServer, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"success": true, "code": "0", "data": map[string]any{"result": records}})
	p, err := policyapi.NewSampleServer(b, sample.Files(), "")
	if err != nil {
		t.Fatal(err)
	}
	url := startHTTP(t, p)
	p.SetBase(url)
	return p, url
}

// TestABadRecordIsOneBadRecord: a numeric id and a string fileSize beside
// good records; duplicates; policies without attachments. The bad record
// is skipped and counted, the rest stored; the duplicate's first version
// wins and a second crawl changes nothing; a policy with no attachment
// gets a report instead of staying pending.
func TestABadRecordIsOneBadRecord(t *testing.T) {
	s := newStack(t, "hostile-records")
	ctx := context.Background()
	good := sampleRecord(t, 0)
	loose := sampleRecord(t, 1)
	loose["files"].([]any)[0].(map[string]any)["fileSize"] = "75" // a string where the API has a number
	numeric := sampleRecord(t, 2)
	numeric["id"] = 1600 // a number where the API has a string
	dup := sampleRecord(t, 0)
	dup["policyTitle"] = "a later copy that must not win"
	none := map[string]any{"id": "1800000000000000001", "policyTitle": "无附件政策", "policyText": "<p>全文见网页。</p>", "files": nil}
	empty := map[string]any{"id": "1800000000000000002", "policyTitle": "无附件政策二", "policyText": "<p>全文见网页。</p>", "files": []any{}}
	_, url := portalOf(t, good, numeric, loose, dup, none, empty)
	s.api = policyapi.NewClient(policyapi.ClientConfig{BaseURL: url, Token: "t", RPS: 1000, PageSize: 2}, s.log)
	s.url = url
	var extracted atomic.Int64
	s.workers(t, &extracted)
	f := s.fetcher(2)
	st, err := f.Crawl(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Policies != 4 || st.Skipped != 1 || st.Duplicates != 1 || st.New != 4 || st.Queued != 2 || st.Pages != 3 {
		t.Fatalf("crawl: %+v", st)
	}
	s.waitReports(t, 4)
	for _, id := range []string{none["id"].(string), empty["id"].(string)} {
		rep, err := s.st.Report(ctx, id)
		if err != nil || rep.Report.Verdict != reconcile.NoText || len(rep.Attachments) != 0 {
			t.Errorf("policy %s without attachments: %+v %v", id, rep.Report.Verdict, err)
		}
	}
	p, err := s.st.Policy(ctx, good["id"].(string))
	if err != nil || p.PolicyTitle == dup["policyTitle"] {
		t.Errorf("the first of two records with one id must win: %q %v", p.PolicyTitle, err)
	}
	st, err = f.Crawl(ctx)
	if err != nil || st.New != 0 || st.Changed != 0 || st.Queued != 0 || st.Skipped != 1 || st.Duplicates != 1 {
		t.Errorf("second crawl: %+v %v", st, err)
	}
	if vs, _ := s.st.Versions(ctx, good["id"].(string)); len(vs) != 0 {
		t.Errorf("a duplicate made %d versions", len(vs))
	}
}

// TestRedirectElsewhereFailsOnce: an allowed file host redirects to
// another port on loopback; the job fails for good at once (not five
// deliveries and a dead letter) with host_not_allowed, and nothing
// reaches the other port.
func TestRedirectElsewhereFailsOnce(t *testing.T) {
	s := newStack(t, "hostile-redirect")
	ctx := context.Background()
	witness := policyapitest.NewWitness()
	defer witness.Close()
	host := httptest.NewServer(http.RedirectHandler(witness.URL+"/secret.doc", http.StatusFound))
	defer host.Close()
	var delivered atomic.Int64
	ex := &Extractor{Store: s.st, JS: s.js, Log: s.log, Workers: 1, AllowedHosts: []string{strings.TrimPrefix(host.URL, "http://")},
		Observe: func(bool, time.Duration, string) { delivered.Add(1) }}
	job := queue.AttachmentJob{PolicyID: "5", FileID: "50", FileName: "x.doc", FileType: "doc", FileURL: host.URL + "/x.doc"}
	if _, err := queue.PublishJob(ctx, s.js, job, ""); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ex.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	st := s.waitIdleJobs(t)
	r, err := s.st.Record(ctx, "5", "50")
	if err != nil || r.OK || r.ErrorKind != "host_not_allowed" {
		t.Fatalf("record %+v %v", r, err)
	}
	if len(r.Redirects) != 1 || r.Redirects[0].Status != http.StatusFound || r.Redirects[0].URL != job.FileURL ||
		!strings.HasPrefix(r.FinalURL, witness.URL) {
		t.Errorf("the refused hop is not recorded: %+v, final %q", r.Redirects, r.FinalURL)
	}
	if witness.Connections() != 0 || delivered.Load() != 1 || st.Failed != 1 || st.Dead != 0 {
		t.Errorf("witness reached %d times, %d deliveries, status %+v", witness.Connections(), delivered.Load(), st)
	}
}

// TestAThousandAttachmentsAreReconciledOnce: a policy with 1,000
// attachments is compared once, when its last attachment settles.
func TestAThousandAttachmentsAreReconciledOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: extracts 1,000 attachments")
	}
	s := newStack(t, "thousand")
	ctx := context.Background()
	rec := sampleRecord(t, 0)
	one := rec["files"].([]any)[0].(map[string]any)
	var files []any
	for i := range 1000 {
		f := map[string]any{}
		for k, v := range one {
			f[k] = v
		}
		f["fileId"] = "9" + strconv.Itoa(100000+i)
		files = append(files, f)
	}
	rec["files"] = files
	_, url := portalOf(t, rec)
	s.api = policyapi.NewClient(policyapi.ClientConfig{BaseURL: url, Token: "t", RPS: 1000}, s.log)
	var reports atomic.Int64
	var lastExtracted atomic.Int64
	runCtx, cancel := context.WithCancel(ctx)
	ex := &Extractor{Store: s.st, JS: s.js, Log: s.log, Workers: 4, AllowedHosts: []string{strings.TrimPrefix(url, "http://")},
		Observe: func(bool, time.Duration, string) { lastExtracted.Store(time.Now().UnixNano()) }}
	var reportedAt atomic.Int64
	rc := &Reconciler{Store: s.st, JS: s.js, Log: s.log, Workers: 2,
		Observe: func(_ string, took time.Duration) {
			reports.Add(1)
			reportedAt.Store(time.Now().UnixNano())
			t.Logf("reconcile took %v", took)
		}}
	errs := make(chan error, 2)
	go func() { errs <- ex.Run(runCtx) }()
	go func() { errs <- rc.Run(runCtx) }()
	defer func() {
		cancel()
		for range 2 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}()
	st, err := s.fetcher(50).Crawl(ctx)
	if err != nil || st.Queued != 1000 {
		t.Fatalf("crawl %+v %v", st, err)
	}
	s.waitReports(t, 1)
	s.waitIdle(t)
	rep, err := s.st.Report(ctx, rec["id"].(string))
	if err != nil || len(rep.Attachments) != 1000 {
		t.Fatalf("report: %d attachments, %v", len(rep.Attachments), err)
	}
	if n := reports.Load(); n != 1 {
		t.Errorf("%d reports written for one policy, want 1", n)
	}
	t.Logf("reconciled %v after the last extraction", time.Duration(reportedAt.Load()-lastExtracted.Load()))
}
