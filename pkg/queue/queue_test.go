package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/devstack"
)

func startJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	n, err := devstack.StartNATS(devstack.NATSConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	nc, js, err := Connect(n.URL, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return js
}

func TestSetupPublishConsumeAndDeadLetter(t *testing.T) {
	js := startJS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 2 {
		if err := Setup(ctx, js); err != nil {
			t.Fatalf("setup (twice, idempotent): %v", err)
		}
	}
	good := AttachmentJob{PolicyID: "1", FileID: "11", FileURL: "http://127.0.0.1/oss/a.doc"}
	poison := AttachmentJob{PolicyID: "2", FileID: "22", FileURL: "http://127.0.0.1/oss/b.doc"}
	for _, j := range []AttachmentJob{good, poison, good} {
		if _, err := PublishJob(ctx, js, j, ""); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := js.Stream(ctx, JobsStream)
	info, _ := s.Info(ctx)
	if info.State.Msgs != 2 {
		t.Fatalf("dedup: %d jobs in the stream, want 2", info.State.Msgs)
	}
	cons, err := js.Consumer(ctx, JobsStream, ExtractorDur)
	if err != nil {
		t.Fatal(err)
	}
	deliveries := map[string]int{}
	for deliveries["2"] < JobMaxDeliver {
		batch, err := cons.Fetch(2, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			j, err := Decode[AttachmentJob](m.Data())
			if err != nil {
				t.Fatal(err)
			}
			deliveries[j.PolicyID]++
			if j.PolicyID == "1" {
				m.Ack()
			} else {
				m.Nak() // a worker that keeps failing on it
			}
		}
		if got == 0 {
			t.Fatalf("no delivery; deliveries so far %v", deliveries)
		}
	}
	if deliveries["1"] != 1 {
		t.Errorf("the good job was delivered %d times", deliveries["1"])
	}
	// the server gives up on the job (and advises so) when it next tries to
	// deliver it, which a waiting worker's pull request triggers
	if b, err := cons.Fetch(1, jetstream.FetchMaxWait(500*time.Millisecond)); err == nil {
		for m := range b.Messages() {
			t.Errorf("delivered beyond MaxDeliver: %s", m.Data())
		}
	}
	// a failure to record the dead job keeps it where it is, for a retry
	var seen []DeadJob
	failing := func(_ context.Context, d DeadJob) (string, error) {
		seen = append(seen, d)
		return "", errors.New("store away")
	}
	var moved int
	for deadline := time.Now().Add(10 * time.Second); len(seen) == 0; {
		if moved, err = MoveDead(ctx, js, failing, 0); err != nil || moved != 0 {
			t.Fatal(moved, err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no max-deliveries advisory")
		}
	}
	if seen[0].Job.PolicyID != "2" || seen[0].Seq == 0 {
		t.Fatalf("dead job %+v", seen[0])
	}
	if info, _ = s.Info(ctx); info.State.Msgs != 1 {
		t.Fatalf("a job whose failure was not recorded left the work queue: %d", info.State.Msgs)
	}
	for deadline := time.Now().Add(10 * time.Second); moved == 0; {
		moved, err = MoveDead(ctx, js, func(context.Context, DeadJob) (string, error) { return "exceeded max deliveries", nil }, 0)
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the dead job was not moved on the retry")
		}
	}
	if moved != 1 {
		t.Fatalf("moved %d dead jobs, want 1", moved)
	}
	info, _ = s.Info(ctx)
	dead, _ := js.Stream(ctx, DeadStream)
	dm, err := dead.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	dj, _ := Decode[AttachmentJob](dm.Data)
	if info.State.Msgs != 0 || dj.PolicyID != "2" || dj.Reason != "exceeded max deliveries" {
		t.Errorf("work queue holds %d, dead job %+v", info.State.Msgs, dj)
	}
}

func TestDecodeVersion(t *testing.T) {
	if _, err := Decode[Extracted]([]byte(`{"v":2,"policyId":"1"}`)); err == nil {
		t.Error("a newer version must be refused")
	}
}
