package queue

import (
	"context"
	"errors"
	"strconv"
	"strings"
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

// startQueue is startJS with the streams and consumers set up, and a
// context for the test's calls (30 s).
func startQueue(t *testing.T) (jetstream.JetStream, context.Context) {
	t.Helper()
	js := startJS(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	if err := Setup(ctx, js); err != nil {
		t.Fatal(err)
	}
	return js, ctx
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

func TestRequestAndReply(t *testing.T) {
	js, ctx := startQueue(t)
	// nobody answers: the wait ends with ErrNoAnswer, the request stays queued
	short, stop := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := RequestProcessWait(short, js, []string{"1"})
	stop()
	if !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("no fetcher: %v", err)
	}
	cons, err := js.Consumer(ctx, RequestsStream, FetcherDur)
	if err != nil {
		t.Fatal(err)
	}
	// a fetcher stand-in built from this package's own calls answers
	served := make(chan error, 1)
	go func() {
		for handled := 0; handled < 2; {
			b, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
			if err != nil {
				served <- err
				return
			}
			for m := range b.Messages() {
				handled++
				req, err := Decode[ProcessRequest](m.Data())
				if err != nil {
					served <- err
					return
				}
				var res []ProcessResult
				for _, id := range req.PolicyIDs {
					res = append(res, ProcessResult{ID: id, Status: StatusReprocessing, Attachments: len(id)})
				}
				if req.ReplyTo != "" {
					if err := Reply(js, req.ReplyTo, ProcessReply{Results: res}); err != nil {
						served <- err
						return
					}
				}
				m.Ack()
			}
		}
		served <- nil
	}()
	reply, err := RequestProcessWait(ctx, js, []string{"22", "333"})
	if err != nil || len(reply.Results) != 2 || reply.Results[1].Attachments != 3 || reply.Results[0].Status != StatusReprocessing {
		t.Fatalf("reply %+v %v", reply, err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	for subj, ok := range map[string]bool{"_INBOX.abc": true, "policytext.jobs.attachment": false, "_INBOX.>": false,
		"_INBOX.a b": false, "": false} {
		if ValidReplyTo(subj) != ok {
			t.Errorf("ValidReplyTo(%q) = %v", subj, !ok)
		}
	}
	if err := Reply(js, JobSubject, ProcessReply{}); err == nil {
		t.Error("a reply to a job subject must be refused")
	}
}

// TestStatusRightAfterPublish: the depths are read from the streams, so a
// status read right after a publish is acknowledged counts it (the
// consumers' own counts follow asynchronously and could still say 0), and
// what a worker holds is in progress, not waiting.
func TestStatusRightAfterPublish(t *testing.T) {
	js, ctx := startQueue(t)
	for i := range 20 {
		j := AttachmentJob{PolicyID: "1", FileID: strconv.Itoa(i + 2), FileURL: "http://127.0.0.1/oss/a.doc"}
		if _, err := PublishJob(ctx, js, j, ""); err != nil {
			t.Fatal(err)
		}
		if err := PublishExtracted(ctx, js, Extracted{PolicyID: "1", FileID: j.FileID, OK: true}); err != nil {
			t.Fatal(err)
		}
		s, err := ReadStatus(ctx, js)
		if err != nil || s.JobsWaiting != uint64(i+1) || s.EventsWaiting != uint64(i+1) || s.Done != uint64(i+1) {
			t.Fatalf("after %d publishes: %+v %v", i+1, s, err)
		}
	}
	cons, err := js.Consumer(ctx, JobsStream, ExtractorDur)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cons.Fetch(5, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for range b.Messages() {
		held++
	}
	s, err := ReadStatus(ctx, js)
	if err != nil || held != 5 || s.JobsWaiting != 15 || s.JobsInProgress != 5 {
		t.Errorf("with %d jobs held: %+v %v", held, s, err)
	}
}

func TestEventsAndStatus(t *testing.T) {
	js, ctx := startQueue(t)
	j := AttachmentJob{PolicyID: "1", FileID: "2", FileURL: "http://127.0.0.1/oss/a.doc"}
	if JobID(j) != JobID(j) || JobID(j) == JobID(AttachmentJob{PolicyID: "1", FileID: "2", FileURL: "http://127.0.0.1/oss/b.doc"}) {
		t.Error("JobID must follow the attachment and its URL")
	}
	for _, err := range []error{
		PublishExtracted(ctx, js, Extracted{PolicyID: "1", FileID: "2", OK: true, Run: "5.1"}),
		PublishExtracted(ctx, js, Extracted{PolicyID: "1", FileID: "3", Error: "encrypted"}),
		PublishPolicyChanged(ctx, js, PolicyChanged{PolicyID: "1", SHA256: "ab"}),
		RequestProcess(ctx, js, []string{"1"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := PublishJob(ctx, js, j, ""); err != nil {
		t.Fatal(err)
	}
	// A consumer's pending count follows its stream asynchronously: poll
	// until the status shows every message, or the context ends.
	want := Status{Done: 1, Failed: 1, EventsWaiting: 3, Requests: 1, JobsWaiting: 1}
	for {
		s, err := ReadStatus(ctx, js)
		if err == nil && s == want {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("status %+v %v, want %+v", s, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cons, _ := js.Consumer(ctx, EventsStream, ReconcilerDur)
	b, err := cons.Fetch(3, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for m := range b.Messages() {
		if IsPolicyChanged(m.Subject()) {
			ev, err := Decode[PolicyChanged](m.Data())
			if err != nil || ev.SHA256 != "ab" {
				t.Errorf("policy event %+v %v", ev, err)
			}
			kinds["policy"]++
		} else {
			ev, err := Decode[Extracted](m.Data())
			if err != nil || ev.PolicyID != "1" {
				t.Errorf("extracted event %+v %v", ev, err)
			}
			kinds["extracted"]++
		}
	}
	if kinds["policy"] != 1 || kinds["extracted"] != 2 {
		t.Errorf("events %v", kinds)
	}
	if _, _, err := Connect("nats://127.0.0.1:1", "test"); err == nil {
		t.Error("connecting to nothing must fail")
	}
}

// TestSetupReplicas: a setting JetStream cannot have is refused before
// anything is created; three copies on a single server fail with the
// server's reason and the stream named; one copy is what a single server
// gets by default. (Raising R1 to R3 on a real cluster is tested in
// pkg/clustertest.)
func TestSetupReplicas(t *testing.T) {
	js := startJS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range []int{0, -1, MaxReplicas + 1} {
		if err := Setup(ctx, js, WithReplicas(n)); !errors.Is(err, ErrReplicas) {
			t.Errorf("replicas %d: %v, want ErrReplicas", n, err)
		}
	}
	if _, err := js.Stream(ctx, JobsStream); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("a refused setting created streams: %v", err)
	}
	err := Setup(ctx, js, WithReplicas(3))
	if err == nil || !strings.Contains(err.Error(), JobsStream) || !strings.Contains(err.Error(), "3 replicas") {
		t.Fatalf("three copies on one server: %v", err)
	}
	if err := Setup(ctx, js, WithReplicas(1)); err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, DeadStream)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.CachedInfo().Config.Replicas; r != 1 {
		t.Errorf("dead-letter stream has %d replicas on a single server", r)
	}
}
