package pipeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/sample"
)

// TestPoisonedJobIsDeadLettered: a job that fails every time ends in the
// dead-letter stream with its reason; the others finish.
func TestPoisonedJobIsDeadLettered(t *testing.T) {
	s := newStack(t, "poison")
	ctx := context.Background()
	var good atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "poison") {
			http.Error(w, "always broken", http.StatusBadGateway)
			return
		}
		b, _ := readSampleFile("202404/da13243e9a1e444e9246b2ebda53410e.doc")
		w.Write(b)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ex := &Extractor{Store: s.st, JS: s.js, Log: s.log, AllowedHosts: []string{host},
		Retry:   func(uint64) time.Duration { return 20 * time.Millisecond },
		Observe: func(ok bool, _ time.Duration, _ string) { good.Add(1) }}
	queue.PublishJob(ctx, s.js, queue.AttachmentJob{PolicyID: "7", FileID: "70", FileType: "doc", FileURL: srv.URL + "/poison.doc"}, "")
	for i := range 3 {
		queue.PublishJob(ctx, s.js, queue.AttachmentJob{PolicyID: "7", FileID: "8" + string(rune('0'+i)), FileType: "doc", FileURL: srv.URL + "/ok.doc?" + string(rune('a'+i))}, "")
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go ex.Run(runCtx, 2)
	deadline := time.Now().Add(20 * time.Second)
	moved := 0
	for moved == 0 && time.Now().Before(deadline) {
		n, err := queue.MoveDead(ctx, s.js, func(queue.AttachmentJob) string { return "exceeded deliveries" }, 0)
		if err != nil {
			t.Fatal(err)
		}
		moved += n
		time.Sleep(50 * time.Millisecond)
	}
	st, _ := queue.ReadStatus(ctx, s.js)
	if moved != 1 || st.Dead != 1 || good.Load() != 3 {
		t.Fatalf("moved %d, dead %d, finished %d", moved, st.Dead, good.Load())
	}
}

// TestS3OutageLosesNothing: the object store goes away for a few seconds
// while attachments are being extracted; jobs wait and nothing is lost.
func TestS3OutageLosesNothing(t *testing.T) {
	s := newStack(t, "outage")
	ctx := context.Background()
	var extracted atomic.Int64
	s.portal.Limit(40)
	f := &Fetcher{API: s.api, Store: s.st, JS: s.js, Log: s.log, PageSize: 10}
	if _, err := f.Crawl(ctx); err != nil {
		t.Fatal(err)
	}
	s.workers(t, &extracted, func(e *Extractor) {
		e.Retry = func(d uint64) time.Duration { return 300 * time.Millisecond << d } // 0.6 s, 1.2 s, 2.4 s, 4.8 s
	})
	for extracted.Load() < 5 {
		time.Sleep(10 * time.Millisecond)
	}
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
