package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/pipeline"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/store"
)

// TestQueueAnswersPerID: `policyctl queue` against a real fetcher: a
// policy never crawled is found on the portal and queued, a stored one is
// reprocessed, an unknown id is not on the portal, an invalid one is
// refused; the exit status is 0 only when every id was found.
func TestQueueAnswersPerID(t *testing.T) {
	n, err := devstack.StartNATS(devstack.NATSConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	s3, err := devstack.StartS3(context.Background(), devstack.S3Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Stop()
	portal, err := devstack.StartPortal("")
	if err != nil {
		t.Fatal(err)
	}
	defer portal.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.New(s3.StoreConfig("queue"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	nc, js, err := queue.Connect(n.URL, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := queue.Setup(ctx, js); err != nil {
		t.Fatal(err)
	}

	// no fetcher yet: the request waits in its stream, the command says so
	code, _, stderr := run("queue", "--nats-url", n.URL, "--wait", "300ms", "1778690715361914880")
	if code != 1 || !strings.Contains(stderr, "no answer within") {
		t.Fatalf("without a fetcher: exit %d %q", code, stderr)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &pipeline.Fetcher{API: policyapi.NewClient(policyapi.ClientConfig{BaseURL: portal.URL, RPS: 1000}, log),
		Store: st, JS: js, Log: log, PageSize: 50}
	served := make(chan error, 1)
	go func() { served <- f.ServeRequests(ctx) }()
	defer func() { cancel(); <-served }()

	const known, fresh = "1775446439165382656", "1778690715361914880"
	// the queued request above is handled first: fresh is stored by then
	code, out, stderr := run("queue", "--nats-url", n.URL, "--wait", "1m", known, "123", "../etc")
	if code != 1 {
		t.Errorf("an id not found must fail the command: exit %d", code)
	}
	want := []string{known + "\tqueued 1 attachments", "123\tnot on the portal", "../etc\tinvalid id"}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("missing %q in:\n%s%s", w, out, stderr)
		}
	}
	code, out, _ = run("queue", "--nats-url", n.URL, known, fresh)
	if code != 0 || !strings.Contains(out, known+"\tup to date, reprocessing 1") || !strings.Contains(out, fresh+"\tup to date, reprocessing 1") {
		t.Errorf("stored policies: exit %d\n%s", code, out)
	}
	if p, err := st.Policy(ctx, known); err != nil || p.ID != known {
		t.Errorf("the found policy was not stored: %v", err)
	}
	code, out, _ = run("queue", "--nats-url", n.URL, "--no-wait", known)
	if code != 0 || !strings.Contains(out, "not waiting") {
		t.Errorf("--no-wait: exit %d %q", code, out)
	}
	if code, out, _ := run("queue", "--nats-url", n.URL, "x1"); code != 1 || !strings.Contains(out, "invalid id") {
		t.Errorf("only invalid ids: exit %d %q", code, out)
	}
	// every job: 1 (fresh, the first request) + 1 + 2 + 1 (no-wait), once
	// the no-wait request is handled
	for deadline := time.Now().Add(time.Minute); ; {
		s, err := queue.ReadStatus(ctx, js)
		if err == nil && s.Requests == 0 && s.JobsWaiting == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs queued: %+v %v", s, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStatus(t *testing.T) {
	n, err := devstack.StartNATS(devstack.NATSConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	nc, js, _ := queue.Connect(n.URL, "test")
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := queue.Setup(ctx, js); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		func() error {
			_, err := queue.PublishJob(ctx, js, queue.AttachmentJob{PolicyID: "1", FileID: "2", FileURL: "http://x/y"}, "")
			return err
		}(),
		queue.PublishExtracted(ctx, js, queue.Extracted{PolicyID: "1", FileID: "3", OK: true}),
		queue.PublishExtracted(ctx, js, queue.Extracted{PolicyID: "1", FileID: "4", Error: "encrypted"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ := run("status", "--nats-url", n.URL, "--json")
	var s queue.Status
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s.JobsWaiting != 1 || s.Done != 1 || s.Failed != 1 || s.EventsWaiting != 2 {
		t.Errorf("status: exit %d %q", code, out)
	}
	if code, out, _ := run("status", "--nats-url", n.URL); code != 0 || !strings.Contains(out, "jobs waiting:     1") {
		t.Errorf("status text: %q", out)
	}
}
