package pipeline

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/sample"
	"github.com/policytext/policytext/pkg/store"
)

// TestPoisonedJobIsDeadLettered: a job that fails every time ends in the
// dead-letter stream with its reason and as a failed record (dead_letter,
// with its last error); its policy is still reconciled with the
// attachments it has; the other jobs finish.
func TestPoisonedJobIsDeadLettered(t *testing.T) {
	s := newStack(t, "poison")
	ctx := context.Background()
	var good atomic.Int64
	doc, _ := readSampleFile("202404/da13243e9a1e444e9246b2ebda53410e.doc")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "poison") {
			http.Error(w, "always broken", http.StatusBadGateway)
			return
		}
		w.Write(doc)
	}))
	defer srv.Close()
	// policy 7: the sample's first record, with a poisoned attachment added
	var cat struct {
		Data struct {
			Result []map[string]any `json:"result"`
		} `json:"data"`
	}
	json.Unmarshal(sample.Catalogue(), &cat)
	rec := cat.Data.Result[0]
	files := []any{}
	for i, id := range []string{"70", "80", "81", "82"} {
		url := srv.URL + "/ok.doc?" + id
		if i == 0 {
			url = srv.URL + "/poison.doc"
		}
		files = append(files, map[string]any{"fileId": id, "fileName": id + ".doc", "fileType": "doc", "fileUrl": url})
	}
	rec["id"], rec["files"] = "7", files
	raw, _ := json.Marshal(rec)
	var p policyapi.Policy
	json.Unmarshal(raw, &p)
	p.Raw = raw
	if err := s.st.PutPolicy(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Files {
		job := queue.AttachmentJob{PolicyID: "7", FileID: f.FileID, FileName: f.FileName, FileType: "doc", FileURL: f.FileURL}
		if _, err := queue.PublishJob(ctx, s.js, job, ""); err != nil {
			t.Fatal(err)
		}
	}
	ex := &Extractor{Store: s.st, JS: s.js, Log: s.log, Workers: 2, AllowedHosts: []string{strings.TrimPrefix(srv.URL, "http://")},
		Retry:   func(uint64) time.Duration { return 20 * time.Millisecond },
		Observe: func(ok bool, _ time.Duration, _ string) { good.Add(1) }}
	dead := &DeadLetters{Store: s.st, JS: s.js, Log: s.log}
	rc := &Reconciler{Store: s.st, JS: s.js, Log: s.log}
	runCtx, cancel := context.WithCancel(ctx)
	errs := make(chan error, 3)
	for _, run := range []func(context.Context) error{ex.Run, dead.Run, rc.Run} {
		go func() { errs <- run(runCtx) }()
	}
	defer func() {
		cancel()
		for range 3 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}()
	var rep store.Report
	for deadline := time.Now().Add(60 * time.Second); ; {
		var err error
		if rep, err = s.st.Report(ctx, "7"); err == nil && len(rep.Attachments) == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("policy 7 not reported: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	st := s.waitIdle(t)
	r, err := s.st.Record(ctx, "7", "70")
	if err != nil || r.OK || r.ErrorKind != "dead_letter" || !strings.Contains(r.Error, "HTTP 502") {
		t.Errorf("dead record %+v %v", r, err)
	}
	if st.Dead != 1 || good.Load() != 3 || st.Failed != 1 || st.Done != 3 {
		t.Fatalf("status %+v, finished %d", st, good.Load())
	}
	if a := rep.Attachments[0]; a.OK || a.ErrorKind != "dead_letter" || rep.Report.Verdict == "" {
		t.Errorf("report %+v", rep)
	}
	deadStream, _ := s.js.Stream(ctx, queue.DeadStream)
	m, err := deadStream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	dj, _ := queue.Decode[queue.AttachmentJob](m.Data)
	if dj.FileID != "70" || !strings.Contains(dj.Reason, "HTTP 502") {
		t.Errorf("dead job %+v", dj)
	}
}

// TestS3OutageLosesNothing: the object store goes away for a few seconds
// while attachments are being extracted; jobs wait and nothing is lost.
func TestS3OutageLosesNothing(t *testing.T) {
	s := newStack(t, "outage")
	ctx := context.Background()
	var extracted atomic.Int64
	s.portal.Limit(40)
	if _, err := s.fetcher(10).Crawl(ctx); err != nil {
		t.Fatal(err)
	}
	s.workers(t, &extracted, func(e *Extractor) {
		e.Retry = func(d uint64) time.Duration { return 300 * time.Millisecond << d } // 0.6 s, 1.2 s, 2.4 s, 4.8 s
	})
	waitUntil(t, time.Minute, "5 attachments extracted", func() bool { return extracted.Load() >= 5 })
	addr, key, secret := testS3.Endpoint, testS3.AccessKey, testS3.SecretKey
	testS3.Stop()
	time.Sleep(3 * time.Second)
	var err error
	testS3, err = devstack.StartS3(ctx, devstack.S3Config{Dir: testS3Dir, Addr: addr, AccessKey: key, SecretKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	s.waitReports(t, 40)
	s.checkAll(t, 40)
	st, _ := queue.ReadStatus(ctx, s.js)
	if st.Dead != 0 {
		t.Errorf("%d jobs dead after a short outage", st.Dead)
	}
}

func readSampleFile(key string) ([]byte, error) {
	f, err := sample.Files().Open(key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return []byte(b.String()), nil
}
