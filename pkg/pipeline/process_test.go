package pipeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/queue"
)

// repoRoot is resolved at init, before the S3 gateway changes directory.
var repoRoot = mustAbs("../..")

// TestWorkerProcessKilledMidJob: an extractor process is killed (SIGKILL)
// while it downloads; the job is redelivered to another process and
// finished exactly once.
func TestWorkerProcessKilledMidJob(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short mode: builds and runs the extractor binary")
	}
	bin := filepath.Join(t.TempDir(), "extractor")
	build := exec.Command("go", "build", "-o", bin, "./services/extractor")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s := newStack(t, "killed")
	ctx := context.Background()
	// a short ack wait, so that the killed worker's job comes back soon
	if _, err := s.js.CreateOrUpdateConsumer(ctx, queue.JobsStream, jetstream.ConsumerConfig{
		Durable: queue.ExtractorDur, AckPolicy: jetstream.AckExplicitPolicy, AckWait: 2 * time.Second,
		MaxDeliver: queue.JobMaxDeliver, MaxAckPending: 256}); err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	started := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		started <- struct{}{}
		time.Sleep(1500 * time.Millisecond) // a slow portal
		b, _ := readSampleFile("202404/da13243e9a1e444e9246b2ebda53410e.doc")
		w.Write(b)
	}))
	defer srv.Close()
	job := queue.AttachmentJob{PolicyID: "9", FileID: "90", FileType: "doc", FileURL: srv.URL + "/slow.doc"}
	if _, err := queue.PublishJob(ctx, s.js, job, ""); err != nil {
		t.Fatal(err)
	}
	natsURL := s.natsURL
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "--workers", "1", "--http-addr", "127.0.0.1:0")
		cmd.Env = append(os.Environ(), "NATS_URL="+natsURL, "S3_ENDPOINT="+testS3.Endpoint, "S3_ACCESS_KEY="+testS3.AccessKey,
			"S3_SECRET_KEY="+testS3.SecretKey, "S3_BUCKET=killed", "ALLOWED_HOSTS="+strings.TrimPrefix(srv.URL, "http://"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := start()
	select {
	case <-started:
	case <-time.After(60 * time.Second):
		first.Process.Kill()
		t.Fatal("the first worker never started the job")
	}
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	second := start()
	defer func() { second.Process.Signal(syscall.SIGTERM); second.Wait() }()
	events, _ := s.js.Stream(ctx, queue.EventsStream)
	deadline := time.Now().Add(60 * time.Second)
	for {
		info, _ := events.Info(ctx)
		if info.State.Msgs >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job was not finished after the kill (%d downloads)", requests.Load())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// the killed delivery is over (acked by the second worker): nothing
	// waits or is in hand, so nothing more can finish
	st := s.waitIdleJobs(t)
	info, _ := events.Info(ctx)
	if info.State.Msgs != 1 || st.JobsWaiting+uint64(st.JobsInProgress) != 0 {
		t.Errorf("finished %d times; queue %+v", info.State.Msgs, st)
	}
	if requests.Load() != 2 {
		t.Errorf("%d downloads, want 2 (the killed one and the redelivery)", requests.Load())
	}
}
