package clustertest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/queue"
)

var allStreams = []string{queue.JobsStream, queue.DeadStream, queue.EventsStream, queue.RequestsStream, queue.AdvisoryStream}

// TestSetupRaisesReplicas: streams set up with one copy on the cluster (a
// process started with the default) are raised to three by a process
// asked for three, their consumers follow, the jobs published before are
// kept, and a later default Setup does not lower them again.
func TestSetupRaisesReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED in -short: starts a three-node NATS cluster and waits for streams to be copied (about 20 s)")
	}
	began := time.Now()
	c := startCluster(t)
	t.Logf("cluster up in %v", time.Since(began).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	nc, js, err := queue.Connect(c.URLs(), "setup-test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := queue.Setup(ctx, js); err != nil {
		t.Fatal(err)
	}
	for _, name := range allStreams {
		if r := streamReplicas(ctx, t, js, name); r != 1 {
			t.Fatalf("%s: %d replicas by default", name, r)
		}
	}
	job := queue.AttachmentJob{PolicyID: "1", FileID: "2", FileURL: "http://127.0.0.1/a.doc"}
	if _, err := queue.PublishJob(ctx, js, job, ""); err != nil {
		t.Fatal(err)
	}

	if err := queue.Setup(ctx, js, queue.WithReplicas(3)); err != nil {
		t.Fatal(err)
	}
	for _, name := range allStreams {
		if r := streamReplicas(ctx, t, js, name); r != 3 {
			t.Errorf("%s: %d replicas after WithReplicas(3)", name, r)
		}
	}
	// the copies are made in the background: poll until every stream and
	// consumer has two current followers
	consumers := map[string]string{queue.ExtractorDur: queue.JobsStream, queue.ReconcilerDur: queue.EventsStream,
		queue.FetcherDur: queue.RequestsStream, queue.DeadMoverDur: queue.AdvisoryStream}
	for {
		lagging := ""
		for _, name := range allStreams {
			s, err := js.Stream(ctx, name)
			if err != nil || !replicated(s.CachedInfo().Cluster) {
				lagging = "stream " + name
				break
			}
		}
		for dur, stream := range consumers {
			if lagging != "" {
				break
			}
			cons, err := js.Consumer(ctx, stream, dur)
			if err != nil || !replicated(cons.CachedInfo().Cluster) {
				lagging = "consumer " + dur
			}
		}
		if lagging == "" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s not on three current servers: %v\n%s", lagging, ctx.Err(), c.Diagnostics())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Logf("replicated in %v", time.Since(began).Round(time.Millisecond))
	s, _ := js.Stream(ctx, queue.JobsStream)
	if n := s.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("jobs stream holds %d messages after raising, want 1", n)
	}

	if err := queue.Setup(ctx, js); err != nil {
		t.Fatal(err)
	}
	for _, name := range allStreams {
		if r := streamReplicas(ctx, t, js, name); r != 3 {
			t.Errorf("%s: lowered to %d replicas by a default Setup", name, r)
		}
	}
}

func streamReplicas(ctx context.Context, t *testing.T, js jetstream.JetStream, name string) int {
	t.Helper()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return s.CachedInfo().Config.Replicas
}

// replicated: a leader and two current followers.
func replicated(ci *jetstream.ClusterInfo) bool {
	if ci == nil || ci.Leader == "" {
		return false
	}
	current := 0
	for _, p := range ci.Replicas {
		if p.Current && !p.Offline {
			current++
		}
	}
	return current == 2
}
