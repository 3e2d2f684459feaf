package composetest

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/queue"
)

// clusterNodes are the NATS nodes of deploy/compose.cluster.yml: service
// names, which are also their server names.
var clusterNodes = []string{"nats", "nats-2", "nats-3"}

// clustered is docker-compose.yml with the cluster override: three NATS
// nodes, published on 4222, 4223 and 4224.
var clustered = func() stackConfig {
	c := stackConfig{overrides: []string{"deploy/compose.cluster.yml"}, services: maps.Clone(services),
		ports:   append(slices.Clone(single.ports), "4223", "4224"),
		natsURL: "nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224",
		// about 7 min warm, of which up to 5 waiting for a lost nak (below)
		runTime: 12 * time.Minute}
	c.services["nats-2"], c.services["nats-3"] = 1, 1
	return c
}()

// TestComposeCluster runs the demo profile with deploy/compose.cluster.yml
// (three NATS nodes, every stream on all three): after the crawl, every
// policy is reprocessed and, with the work under way, the node leading
// the jobs stream is killed with SIGKILL and left down until everything
// settled on the two others; then it is started again and must catch up.
// Nothing may be lost, nothing duplicated, nothing dead: the checks of
// TestComposeStack.
func TestComposeCluster(t *testing.T) {
	s := startStack(t, clustered)
	js := s.jetStream()
	s.checkReplicas(js, false)
	ids, done := s.crawl()

	reprocess := time.Now()
	st := s.reprocess(ids, done)
	leader := s.streamLeader(js, queue.JobsStream)
	if !slices.Contains(clusterNodes, leader) {
		t.Fatalf("the jobs stream's leader %q is none of the nodes %v", leader, clusterNodes)
	}
	victim := strings.TrimSpace(string(s.mustCompose(time.Minute, "ps", "-q", leader)))
	s.run(time.Minute, s.root, nil, "docker", "kill", "--signal", "KILL", victim)
	t.Logf("killed %s, the jobs stream's leader, with SIGKILL (status then %+v)", leader, st)

	// The two others carry on: a new leader, and the reprocessing done
	// while the killed node stays down (docker does not restart a
	// container that was killed). This may take the requests consumer's
	// AckWait (5 min) longer: when a job cannot be published during the
	// election, the fetcher naks the request it is serving, and that nak,
	// sent during the election too, may not take effect (one run of two
	// here: settled 304 s after queueing; the other 62 s).
	after := s.waitSettled(10*time.Minute, 2*samplePolicies)
	t.Logf("reprocessing settled on two nodes %.1fs after it was queued: %+v; the jobs stream's leader now %s",
		time.Since(reprocess).Seconds(), after, s.streamLeader(js, queue.JobsStream))
	if out := s.run(time.Minute, s.root, nil, "docker", "inspect", "--format", "{{.State.Running}}", victim); strings.TrimSpace(string(out)) != "false" {
		t.Fatalf("%s is running again before it was started (%s): the reprocessing did not run on two nodes", leader, out)
	}
	s.checkRecordsSince(ids, reprocess)

	// The node back, as an orchestrator would: healthy once it caught up.
	s.mustCompose(6*time.Minute, "up", "-d", "--wait", "--wait-timeout", "300")
	t.Logf("%s started again", leader)
	s.checkReplicas(js, true)
	if final := s.waitSettled(time.Minute, 2*samplePolicies); final.Done != after.Done {
		t.Errorf("done %d after the node came back, %d before: events counted again", final.Done, after.Done)
	}
	s.checkPage(ids)
	s.checkHealthy()
}

// jetStream connects to the cluster from the host as policyctl (which may
// read stream information) and closes the connection when the test ends.
func (s *stack) jetStream() jetstream.JetStream {
	s.t.Helper()
	nc, js, err := queue.Connect(s.natsURL, "composetest", queue.UserInfo("policyctl", s.secrets["NATS_POLICYCTL_PASSWORD"])...)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(nc.Close)
	return js
}

// streamLeader names the node that leads a stream (polled: there is none
// during an election).
func (s *stack) streamLeader(js jetstream.JetStream, stream string) string {
	s.t.Helper()
	var leader string
	s.poll(time.Minute, "a leader of "+stream, func(ctx context.Context) (bool, string) {
		st, err := js.Stream(ctx, stream)
		if err != nil {
			return false, err.Error()
		}
		if c := st.CachedInfo().Cluster; c != nil {
			leader = c.Leader
		}
		return leader != "", "no leader"
	})
	return leader
}

// checkReplicas: every stream keeps three copies (the services' Setup with
// NATS_REPLICAS=3), one on each node; with current, every copy is also
// online and caught up with the leader.
func (s *stack) checkReplicas(js jetstream.JetStream, current bool) {
	s.t.Helper()
	for _, name := range []string{queue.JobsStream, queue.EventsStream, queue.DeadStream, queue.RequestsStream, queue.AdvisoryStream} {
		s.poll(2*time.Minute, "three copies of "+name, func(ctx context.Context) (bool, string) {
			st, err := js.Stream(ctx, name)
			if err != nil {
				return false, err.Error()
			}
			info := st.CachedInfo()
			c := info.Cluster
			if info.Config.Replicas != 3 || c == nil || c.Leader == "" || len(c.Replicas) != 2 {
				return false, "replicas " + jsonText(info.Config.Replicas) + ", cluster " + jsonText(c)
			}
			nodes := []string{c.Leader}
			for _, r := range c.Replicas {
				if current && (!r.Current || r.Offline) {
					return false, "cluster " + jsonText(c)
				}
				nodes = append(nodes, r.Name)
			}
			slices.Sort(nodes)
			return slices.Equal(nodes, clusterNodes), "on " + strings.Join(nodes, ",")
		})
	}
}

// poll calls ok until it reports true (and fails the test with its last
// word when timeout ends).
func (s *stack) poll(timeout time.Duration, what string, ok func(context.Context) (bool, string)) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		done, why := ok(ctx)
		cancel()
		if done {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not within %v: %s", what, timeout, why)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
