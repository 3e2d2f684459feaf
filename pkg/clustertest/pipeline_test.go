package clustertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/pipeline"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/sample"
	"github.com/policytext/policytext/pkg/store"
)

// gate holds the portal's attachment downloads until the test lets them
// through, a number at a time (release) or all (open), so that the
// crashes below fall in the middle of the run, with jobs in hand, however
// fast or slow the machine is.
type gate struct {
	tokens chan struct{}
	opened chan struct{}
	once   sync.Once
}

func newGate(capacity int) *gate {
	return &gate{tokens: make(chan struct{}, capacity), opened: make(chan struct{})}
}

func (g *gate) release(n int) {
	for range n {
		select {
		case g.tokens <- struct{}{}:
		default: // full: as good as open
		}
	}
}

func (g *gate) open() { g.once.Do(func() { close(g.opened) }) }

func (g *gate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oss/") {
			select {
			case <-g.tokens:
			case <-g.opened:
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// attachment is a policy id and a file id.
type attachment struct{ policy, file string }

// TestPipelineSurvivesNodeCrashes runs the fetcher, two extractors (each
// connected to its own node), the reconciler and the dead-letter mover
// over a three-node cluster with every stream on three nodes, on the
// bundled sample portal. When a third of the attachments are done, the
// jobs stream's leader is killed with SIGKILL; once a new leader took
// over and two thirds are done, another node is killed (the cluster has
// lost its quorum: everything waits); then both are started again. At the
// end every attachment is extracted and reported exactly once in S3 (no
// object missing or extra), its stored record, last event and report name
// the same run, the events are those of the jobs, nothing is dead-lettered
// and no consumer holds anything. It takes about a minute (leader
// elections, and the fetcher's own retry delays), so it runs when asked:
//
//	CLUSTER=1 go test -run TestPipelineSurvivesNodeCrashes -v ./pkg/clustertest
func TestPipelineSurvivesNodeCrashes(t *testing.T) {
	if os.Getenv("CLUSTER") == "" {
		t.Skip("SKIPPED: set CLUSTER=1 to run the pipeline over a three-node NATS cluster with two node crashes (about a minute); .ci/run does, as its own step")
	}
	began := time.Now()
	c := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}

	// the portal: the bundled sample behind the gate
	portal, err := policyapi.NewSampleServer(sample.Catalogue(), sample.Files(), "")
	if err != nil {
		t.Fatal(err)
	}
	expected := expectedAttachments(t)
	g := newGate(4 * len(expected))
	defer g.open() // let held requests end before the server closes
	srv := httptest.NewServer(g.wrap(portal))
	defer srv.Close()
	portal.SetBase(srv.URL)

	const bucket = "cluster"
	st, err := store.New(testS3.StoreConfig(bucket))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	// each stage on its own connection to a given node; the clients learn
	// the other nodes from the cluster and fail over to them
	connect := func(node int, name string) jetstream.JetStream {
		nc, js, err := queue.Connect(c.Nodes[node].URL, name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return js
	}
	setupJS := connect(0, "setup")
	if err := queue.Setup(ctx, setupJS, queue.WithReplicas(3)); err != nil {
		t.Fatal(err)
	}
	var ok atomic.Int64
	observe := func(good bool, _ time.Duration, _ string) {
		if good {
			ok.Add(1)
		}
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	extractor := func(node int) *pipeline.Extractor {
		return &pipeline.Extractor{Store: st, JS: connect(node, fmt.Sprintf("extractor-n%d", node+1)), Log: log,
			Workers: 4, AllowedHosts: []string{host}, Retry: pipeline.Backoff(time.Second), Observe: observe}
	}
	api := policyapi.NewClient(policyapi.ClientConfig{BaseURL: srv.URL, Token: "t", RPS: 1000}, log)
	fetcher := &pipeline.Fetcher{API: api, Store: st, JS: connect(0, "fetcher"), Log: log, PageSize: 50}
	reconcilerJS := connect(2, "reconciler")
	reconciler := &pipeline.Reconciler{Store: st, JS: reconcilerJS, Log: log, Workers: 2, Retry: pipeline.Backoff(time.Second)}
	dead := &pipeline.DeadLetters{Store: st, JS: reconcilerJS, Log: log}

	runCtx, stopStages := context.WithCancel(ctx)
	stagesDone := make(chan error, 1)
	go func() {
		stagesDone <- runStages(runCtx, log, map[string]func(context.Context) error{
			"fetcher":     func(ctx context.Context) error { return fetcher.Run(ctx, time.Hour) },
			"extractor1":  extractor(1).Run,
			"extractor2":  extractor(2).Run,
			"reconciler":  reconciler.Run,
			"dead-letter": dead.Run,
		})
	}()
	defer func() {
		stopStages()
		if err := <-stagesDone; err != nil {
			t.Errorf("stages: %v", err)
		}
	}()

	third := len(expected) / 3
	g.release(third)
	waitFor(ctx, t, c, "a third of the attachments extracted", func() error {
		return atLeast(ok.Load(), third)
	})
	leader := streamLeader(ctx, t, c, setupJS)
	killedFirst := c.Index(leader)
	if err := c.Kill(killedFirst); err != nil {
		t.Fatal(err)
	}
	t.Logf("%v: killed %s, the jobs stream's leader, with %d attachments done", since(began), leader, ok.Load())
	g.release(third)
	var newLeader string
	waitFor(ctx, t, c, "a new jobs stream leader", func() error {
		l, err := leaderOf(ctx, setupJS)
		if err != nil || l == "" || l == leader {
			return fmt.Errorf("leader %q: %v", l, err)
		}
		newLeader = l
		return nil
	})
	t.Logf("%v: %s leads the jobs stream", since(began), newLeader)
	waitFor(ctx, t, c, "two thirds of the attachments extracted", func() error {
		return atLeast(ok.Load(), 2*third)
	})
	killedSecond := c.Index(newLeader)
	if err := c.Kill(killedSecond); err != nil {
		t.Fatal(err)
	}
	t.Logf("%v: killed %s too, with %d attachments done: one node of three left, no quorum", since(began), newLeader, ok.Load())
	g.open()
	for _, i := range []int{killedFirst, killedSecond} {
		if err := c.Restart(i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.WaitMetaLeader(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%v: both restarted, meta leader elected", since(began))

	// the end: everything stored and reported, nothing pending anywhere
	mc, err := minio.New(testS3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(testS3.AccessKey, testS3.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, c, "every attachment extracted and reported, every queue empty", func() error {
		if err := queuesEmpty(ctx, setupJS); err != nil {
			return err
		}
		return objectsComplete(ctx, mc, bucket, expected)
	})
	t.Logf("%v: done: %d attachments, %d extractions reported by the extractors", since(began), len(expected), ok.Load())

	// the events are those of the jobs: one ok event per attachment, or
	// more when a job was done again (an ack whose outcome was unknown);
	// the last event, the stored record and the report name the same run
	var events map[attachment][]queue.Extracted
	waitFor(ctx, t, c, "the events", func() (err error) {
		events, err = readEvents(ctx, setupJS)
		return err
	})
	redone := 0
	for a := range expected {
		evs := events[a]
		if len(evs) == 0 {
			t.Errorf("%v: no extracted event", a)
			continue
		}
		if len(evs) > 1 {
			redone++
		}
		last := evs[len(evs)-1]
		if !last.OK {
			t.Errorf("%v: last event not ok: %s", a, last.Error)
		}
		rec, err := st.Record(ctx, a.policy, a.file)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := st.Report(ctx, a.policy)
		if err != nil {
			t.Fatal(err)
		}
		if !rec.OK || rec.Run != last.Run || len(rep.Attachments) != 1 || rep.Attachments[0].Run != rec.Run || !rep.Attachments[0].OK {
			t.Errorf("%v: record run %q ok %v, last event run %q, report notes %+v", a, rec.Run, rec.OK, last.Run, rep.Attachments)
		}
	}
	for a := range events {
		if _, ok := expected[a]; !ok {
			t.Errorf("an event for %v, which is no job", a)
		}
	}
	t.Logf("%v: checked", since(began))
	t.Logf("%d attachments, %d done more than once (each left as done once), %d events", len(expected), redone, countEvents(events))
}

// stagesStacks is the stacks of the goroutines in the pipeline's code, to
// tell a stage that waits from one that is stuck.
func stagesStacks() string {
	var b strings.Builder
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	var out []string
	for _, g := range strings.Split(b.String(), "\n\n") {
		if strings.Contains(g, "policytext/pkg/pipeline") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }

func atLeast(n int64, want int) error {
	if n < int64(want) {
		return fmt.Errorf("%d of %d", n, want)
	}
	return nil
}

// waitFor polls cond until it holds; when ctx ends first, the test fails
// with cond's last answer and the cluster's state.
func waitFor(ctx context.Context, t *testing.T, c *devstack.Cluster, what string, cond func() error) {
	t.Helper()
	next := time.Now().Add(10 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(next) {
			t.Logf("still waiting for %s: %v", what, err)
			next = time.Now().Add(10 * time.Second)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v (%v)\n%s\nthe stages' goroutines:\n%s", what, err, ctx.Err(), c.Diagnostics(), stagesStacks())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// runStages runs the stages until ctx ends. A stage that stops with an
// error is started again after a second, as a supervisor (systemd,
// Compose, Kubernetes) restarts a service process; the errors are
// returned at the end, for the test to see that none happened.
func runStages(ctx context.Context, log *slog.Logger, stages map[string]func(context.Context) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for name, run := range stages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := run(ctx); err != nil {
					log.Error("stage stopped; restarting it", "stage", name, "err", err)
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: %w", name, err))
					mu.Unlock()
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func expectedAttachments(t *testing.T) map[attachment]bool {
	t.Helper()
	var cat struct {
		Data struct {
			Result []policyapi.Policy `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(sample.Catalogue(), &cat); err != nil {
		t.Fatal(err)
	}
	out := map[attachment]bool{}
	for _, p := range cat.Data.Result {
		for _, f := range p.Files {
			out[attachment{p.ID, f.FileID}] = true
		}
	}
	if len(out) == 0 {
		t.Fatal("the sample has no attachments")
	}
	return out
}

func leaderOf(ctx context.Context, js jetstream.JetStream) (string, error) {
	ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := js.Stream(ictx, queue.JobsStream)
	if err != nil {
		return "", err
	}
	if s.CachedInfo().Cluster == nil {
		return "", errors.New("no cluster info")
	}
	return s.CachedInfo().Cluster.Leader, nil
}

func streamLeader(ctx context.Context, t *testing.T, c *devstack.Cluster, js jetstream.JetStream) string {
	t.Helper()
	var leader string
	waitFor(ctx, t, c, "the jobs stream's leader", func() error {
		l, err := leaderOf(ctx, js)
		if err != nil || c.Index(l) < 0 {
			return fmt.Errorf("leader %q: %v", l, err)
		}
		leader = l
		return nil
	})
	return leader
}

// queuesEmpty: no job waiting, in hand or left in the work queue; no event
// waiting for the reconciler; nothing dead-lettered or about to be.
func queuesEmpty(ctx context.Context, js jetstream.JetStream) error {
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, c := range []struct{ stream, durable string }{
		{queue.JobsStream, queue.ExtractorDur}, {queue.EventsStream, queue.ReconcilerDur}, {queue.AdvisoryStream, queue.DeadMoverDur},
	} {
		cons, err := js.Consumer(ictx, c.stream, c.durable)
		if err != nil {
			return err
		}
		info := cons.CachedInfo()
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return fmt.Errorf("%s: %d pending, %d in hand", c.durable, info.NumPending, info.NumAckPending)
		}
	}
	for _, name := range []string{queue.JobsStream, queue.DeadStream, queue.AdvisoryStream} {
		s, err := js.Stream(ictx, name)
		if err != nil {
			return err
		}
		if n := s.CachedInfo().State.Msgs; n != 0 {
			return fmt.Errorf("%s holds %d messages", name, n)
		}
	}
	return nil
}

// objectsComplete: every policy has exactly its six objects (record, web
// text, report; original, text and extraction record), nothing else is
// under policies/.
func objectsComplete(ctx context.Context, mc *minio.Client, bucket string, expected map[attachment]bool) error {
	byPolicy := map[string][]string{}
	for o := range mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: "policies/", Recursive: true}) {
		if o.Err != nil {
			return o.Err
		}
		id, rest, _ := strings.Cut(strings.TrimPrefix(o.Key, "policies/"), "/")
		byPolicy[id] = append(byPolicy[id], rest)
	}
	want := map[string][]string{}
	for a := range expected {
		want[a.policy] = append(want[a.policy], "files/"+a.file+".txt", "files/"+a.file+".*")
	}
	var wrong []string
	for id, files := range want {
		have := byPolicy[id]
		w := append([]string{"policy.json", "web.txt", "reconcile.json"}, files...)
		if len(have) != len(w) || !matchAll(have, w) {
			wrong = append(wrong, fmt.Sprintf("%s: %v", id, have))
		}
	}
	for id := range byPolicy {
		if _, ok := want[id]; !ok {
			wrong = append(wrong, "unexpected policy "+id)
		}
	}
	if len(wrong) > 0 {
		sort.Strings(wrong)
		return fmt.Errorf("%d policies not (exactly) complete, e.g. %s", len(wrong), wrong[0])
	}
	return nil
}

// matchAll: every name is matched by exactly one pattern ("x.*" matches an
// x with any other extension than .json and .txt).
func matchAll(names, patterns []string) bool {
	used := make([]bool, len(patterns))
	for _, n := range names {
		found := false
		for i, p := range patterns {
			if used[i] {
				continue
			}
			if stem, ok := strings.CutSuffix(p, ".*"); ok {
				if strings.HasPrefix(n, stem+".") && !strings.HasSuffix(n, ".json") && !strings.HasSuffix(n, ".txt") {
					used[i], found = true, true
					break
				}
			} else if n == p {
				used[i], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// readEvents reads every extracted event, in order, by attachment (by
// sequence from the stream: the events stream keeps every message).
func readEvents(ctx context.Context, js jetstream.JetStream) (map[attachment][]queue.Extracted, error) {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := js.Stream(rctx, queue.EventsStream)
	if err != nil {
		return nil, err
	}
	state := s.CachedInfo().State
	out := map[attachment][]queue.Extracted{}
	for seq := state.FirstSeq; seq <= state.LastSeq && seq > 0; seq++ {
		m, err := s.GetMsg(rctx, seq)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", seq, err)
		}
		if !strings.HasPrefix(m.Subject, queue.ExtractedSubj+".") {
			continue
		}
		ev, err := queue.Decode[queue.Extracted](m.Data)
		if err != nil {
			return nil, err
		}
		a := attachment{ev.PolicyID, ev.FileID}
		out[a] = append(out[a], ev)
	}
	return out, nil
}

func countEvents(events map[attachment][]queue.Extracted) int {
	n := 0
	for _, evs := range events {
		n += len(evs)
	}
	return n
}
