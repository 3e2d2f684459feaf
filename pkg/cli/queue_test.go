package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/queue"
)

func TestQueueAndStatus(t *testing.T) {
	n, err := devstack.StartNATS(devstack.NATSConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	code, out, stderr := run("queue", "--nats-url", n.URL, "1775446439165382656", "1778690715361914880")
	if code != 0 || !strings.Contains(out, "queued reprocessing of 2 policies") {
		t.Fatalf("exit %d: %s %s", code, out, stderr)
	}
	if code, _, _ := run("queue", "--nats-url", n.URL, "../etc"); code != 2 {
		t.Errorf("an invalid id must be refused before anything is sent")
	}
	nc, js, _ := queue.Connect(n.URL, "test")
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, _ := js.Consumer(ctx, queue.RequestsStream, queue.FetcherDur)
	batch, _ := cons.Fetch(1, jetstream.FetchMaxWait(2*time.Second))
	for m := range batch.Messages() {
		req, err := queue.Decode[queue.ProcessRequest](m.Data())
		if err != nil || len(req.PolicyIDs) != 2 || req.PolicyIDs[0] != "1775446439165382656" {
			t.Errorf("request on the wire: %+v %v", req, err)
		}
		m.Ack()
	}
	queue.PublishJob(ctx, js, queue.AttachmentJob{PolicyID: "1", FileID: "2", FileURL: "http://x/y"}, "")
	queue.PublishExtracted(ctx, js, queue.Extracted{PolicyID: "1", FileID: "3", OK: true})
	queue.PublishExtracted(ctx, js, queue.Extracted{PolicyID: "1", FileID: "4", Error: "encrypted"})
	code, out, _ = run("status", "--nats-url", n.URL, "--json")
	var s queue.Status
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s.JobsWaiting != 1 || s.Done != 1 || s.Failed != 1 || s.EventsWaiting != 2 {
		t.Errorf("status: exit %d %q", code, out)
	}
	if code, out, _ := run("status", "--nats-url", n.URL); code != 0 || !strings.Contains(out, "jobs waiting:     1") {
		t.Errorf("status text: %q", out)
	}
}
