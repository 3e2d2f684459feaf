package composetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/policytext/policytext/pkg/queue"
)

// The bundled sample portal: 190 policies, one attachment each.
const (
	samplePolicies = 190
	project        = "policytext-composetest" // not the user's own stack's name
	bucket         = "policytext"
)

// services are the containers of `--profile demo` (extractor ×3).
var services = map[string]int{"nats": 1, "s3": 1, "fetcher": 1, "extractor": 3, "reconciler": 1, "web": 1,
	"fetcher-demo": 1, "sampleportal": 1}

func repoRoot(t *testing.T) string {
	abs, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// stackConfig is what a test runs: docker-compose.yml's demo profile with
// the override files given.
type stackConfig struct {
	overrides []string       // compose files after docker-compose.yml (paths from the repository root)
	services  map[string]int // the containers it runs, by service
	ports     []string       // what it publishes on 127.0.0.1
	natsURL   string         // the NATS nodes, from the host (policyctl)
	// runTime is how long the test's run may take once prepared (its waits'
	// bounds allow more): a run that would not end before the go test
	// timeout is skipped rather than cut off.
	runTime time.Duration
}

// single is docker-compose.yml alone: one NATS server.
var single = stackConfig{services: services, ports: []string{"4222", "8080", "8333", "8888", "12535"},
	natsURL: "nats://127.0.0.1:4222", runTime: 8 * time.Minute}

// stack is the running compose project.
type stack struct {
	*builder
	stackConfig
	secrets   map[string]string
	envFile   string
	policyctl string
	s3        *minio.Client
	up        time.Time // when compose up began
}

// compose runs docker compose on the real docker-compose.yml (and the
// overrides).
func (s *stack) compose(timeout time.Duration, args ...string) ([]byte, error) {
	base := []string{"compose", "-f", filepath.Join(s.root, "docker-compose.yml")}
	for _, o := range s.overrides {
		base = append(base, "-f", filepath.Join(s.root, o))
	}
	base = append(base, "-p", project, "--env-file", s.envFile, "--profile", "demo")
	var env []string
	for k, v := range s.secrets {
		env = append(env, k+"="+v)
	}
	return s.try(timeout, s.root, s.env(env...), "docker", append(base, args...)...)
}

func (s *stack) mustCompose(timeout time.Duration, args ...string) []byte {
	s.t.Helper()
	out, err := s.compose(timeout, args...)
	if err != nil {
		s.t.Fatalf("docker compose %s: %v\n%s", strings.Join(args, " "), err, tail(out, 6000))
	}
	return out
}

// TestComposeStack builds every image without a registry, runs the demo
// profile of docker-compose.yml, checks the result, then kills an
// extractor, restarts NATS and pauses S3 for 30 s while every policy is
// reprocessed: nothing may be lost, nothing duplicated.
func TestComposeStack(t *testing.T) {
	s := startStack(t, single)
	ids, done := s.crawl()

	// Under load: every policy reprocessed while an extractor is killed,
	// NATS restarted and S3 paused for 30 s.
	reprocess := time.Now()
	st := s.reprocess(ids, done)
	victim := strings.Fields(string(s.mustCompose(time.Minute, "ps", "-q", "extractor")))
	if len(victim) != services["extractor"] {
		t.Fatalf("extractor containers: %v", victim)
	}
	s.run(time.Minute, s.root, nil, "docker", "kill", "--signal", "KILL", victim[0])
	t.Logf("killed extractor %.12s with SIGKILL (status then %+v)", victim[0], st)
	s.mustCompose(2*time.Minute, "restart", "nats")
	t.Logf("restarted nats (status then %+v)", s.status())
	s.mustCompose(time.Minute, "pause", "s3")
	pausedAt := time.Now()
	t.Logf("paused s3 for 30 s")
	// The outage itself lasts 30 s: what is measured is what happens after.
	time.Sleep(30*time.Second - time.Since(pausedAt))
	s.mustCompose(time.Minute, "unpause", "s3")
	// The killed extractor back, as an orchestrator would, once S3 is
	// healthy again (its healthcheck failed while it was paused).
	// (compose refuses to start a service whose dependency is unhealthy
	// rather than wait for it.)
	s3ID := strings.TrimSpace(string(s.mustCompose(time.Minute, "ps", "-q", "s3")))
	healthy := time.Now().Add(3 * time.Minute)
	for {
		out, _ := s.try(time.Minute, s.root, nil, "docker", "inspect", "--format", "{{.State.Health.Status}}", s3ID)
		if strings.TrimSpace(string(out)) == "healthy" {
			break
		}
		if time.Now().After(healthy) {
			t.Fatalf("s3 not healthy again 3 min after the pause: %s", out)
		}
		time.Sleep(time.Second)
	}
	s.mustCompose(6*time.Minute, "up", "-d", "--wait", "--wait-timeout", "300")
	after := s.waitSettled(10*time.Minute, 2*samplePolicies)
	t.Logf("reprocessing settled %.1fs after it was queued: %+v", time.Since(reprocess).Seconds(), after)
	s.checkRecordsSince(ids, reprocess)
	s.checkPage(ids)
	s.checkHealthy()
}

// startStack builds every image (or finds them cached), starts the demo
// profile with cfg's overrides and generated secrets, waits until every
// container is healthy, and takes it down (-v) when the test ends,
// whatever happened. It skips unless POLICYTEXT_DOCKER=1 and an engine
// answers, and when the preparation used up the time budget.
func startStack(t *testing.T, cfg stackConfig) *stack {
	if os.Getenv("POLICYTEXT_DOCKER") != "1" {
		t.Skip("SKIPPED: the compose stack tests build images and run containers; set POLICYTEXT_DOCKER=1 (.ci/run does when a Docker Engine answers)")
	}
	if out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: no Docker Engine answers (docker version: %v: %s)", err, bytes.TrimSpace(out))
	}
	root := repoRoot(t)
	b := newBuilder(t, root)
	began := time.Now()
	b.images()
	b.step("compose "+composeVersion, b.compose)
	policyctl := filepath.Join(t.TempDir(), "policyctl")
	b.step("policyctl", func() { b.run(10*time.Minute, root, nil, "go", "build", "-o", policyctl, "./services/policyctl") })
	t.Logf("prepared in %.1fs:\n%s", time.Since(began).Seconds(), strings.Join(b.timings, "\n"))
	// The budget ends the preparation; what is left of the test's time
	// is the run's.
	if !b.deadline.IsZero() && time.Now().After(b.deadline) {
		t.Skip("SKIPPED: everything is built and cached, but the preparation used the time budget (POLICYTEXT_DOCKER_BUDGET); the next run is warm")
	}
	if end, ok := t.Deadline(); ok && time.Until(end) < cfg.runTime {
		t.Skipf("SKIPPED: %v left before the go test timeout, the run may take %v (everything is built and cached)",
			time.Until(end).Round(time.Second), cfg.runTime)
	}
	// From here on the stack's own commands are bounded by their timeouts
	// (the budget leaves room for them and for down -v).
	b.deadline = time.Time{}

	// Generated secrets (the compose file has no defaults), in an env
	// file of the test's own: the developer's .env is not read.
	s := &stack{builder: b, stackConfig: cfg, secrets: map[string]string{}, policyctl: policyctl}
	for _, k := range []string{"S3_SECRET_KEY", "S3_ADMIN_PASSWORD", "NATS_FETCHER_PASSWORD", "NATS_EXTRACTOR_PASSWORD",
		"NATS_RECONCILER_PASSWORD", "NATS_POLICYCTL_PASSWORD", "NATS_ROUTE_PASSWORD"} {
		s.secrets[k] = "s" + rand.Text() // a letter first: NATS reads it as a config value
	}
	s.envFile = filepath.Join(t.TempDir(), "env")
	var ef bytes.Buffer
	for k, v := range s.secrets {
		fmt.Fprintf(&ef, "%s=%s\n", k, v)
	}
	if err := os.WriteFile(s.envFile, ef.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	// down -v before (a run that died) and after, whatever happened.
	s.compose(5*time.Minute, "down", "-v", "--remove-orphans")
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := s.compose(time.Minute, "logs", "--no-color", "--tail", "60")
			t.Logf("compose logs (last 60 lines each):\n%s", tail(out, 20000))
		}
		if out, err := s.compose(5*time.Minute, "down", "-v", "--remove-orphans"); err != nil {
			t.Errorf("docker compose down -v: %v\n%s", err, out)
		}
	})

	// The compose files publish fixed ports on 127.0.0.1: say which one
	// is taken rather than let docker fail half-way through starting.
	for _, port := range cfg.ports {
		l, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatalf("127.0.0.1:%s is in use (the stack publishes it; another policytext or NATS running?): %v", port, err)
		}
		l.Close()
	}
	s.up = time.Now()
	s.mustCompose(10*time.Minute, "up", "--wait", "--wait-timeout", "300")
	t.Logf("compose up --wait: %.1fs", time.Since(s.up).Seconds())
	s.checkHealthy()

	s3, err := minio.New("127.0.0.1:8333", &minio.Options{Creds: credentials.NewStaticV4("policytext", s.secrets["S3_SECRET_KEY"], ""),
		BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	s.s3 = s3
	return s
}

// crawl waits for the demo crawl: every sample policy, its attachment
// extracted and reconciled, nothing pending, every policy on the page. It
// returns the policies' ids and the status then.
func (s *stack) crawl() ([]string, queue.Status) {
	s.t.Helper()
	done := s.waitSettled(10*time.Minute, samplePolicies)
	s.t.Logf("demo crawl settled %.1fs after up: %+v", time.Since(s.up).Seconds(), done)
	ids := s.policyIDs()
	if len(ids) != samplePolicies {
		s.t.Fatalf("%d policies in the bucket, want %d", len(ids), samplePolicies)
	}
	s.checkPage(ids)
	return ids, done
}

// reprocess queues every policy again (as policyctl queue does) and
// returns once the work is under way (jobs waiting or in hand, or some
// already done since the crawl settled with done).
func (s *stack) reprocess(ids []string, done queue.Status) queue.Status {
	s.t.Helper()
	out, err := s.policyctlRun(time.Minute, append([]string{"queue", "--no-wait"}, ids...)...)
	if err != nil {
		s.t.Fatalf("policyctl queue: %v\n%s", err, out)
	}
	return s.waitStatus(2*time.Minute, "reprocessing under way", func(st queue.Status) bool {
		return st.JobsWaiting+uint64(st.JobsInProgress) > 0 || st.Done > done.Done
	})
}

// checkHealthy: every container of the demo profile runs and is healthy.
func (s *stack) checkHealthy() {
	s.t.Helper()
	out := s.mustCompose(time.Minute, "ps", "--all", "--format", "json")
	count := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var c struct{ Service, State, Health, Name string }
		if err := dec.Decode(&c); err == io.EOF {
			break
		} else if err != nil {
			s.t.Fatalf("compose ps: %v\n%s", err, out)
		}
		if c.State != "running" || c.Health != "healthy" {
			s.t.Errorf("%s: %s, %s", c.Name, c.State, c.Health)
		}
		count[c.Service]++
	}
	for svc, n := range s.services {
		if count[svc] != n {
			s.t.Errorf("service %s: %d containers, want %d", svc, count[svc], n)
		}
	}
}

func (s *stack) policyctlRun(timeout time.Duration, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.policyctl, args...)
	cmd.Env = append(os.Environ(), "NATS_URL="+s.natsURL, "NATS_USER=policyctl",
		"NATS_PASSWORD="+s.secrets["NATS_POLICYCTL_PASSWORD"])
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return append(out, stderr.Bytes()...), err
	}
	return out, nil
}

// status is `policyctl status --json` through the published NATS port;
// the zero Status (and a log line) while NATS is away.
func (s *stack) status() queue.Status {
	var st queue.Status
	out, err := s.policyctlRun(30*time.Second, "status", "--json")
	if err != nil {
		s.t.Logf("policyctl status: %v: %s", err, bytes.TrimSpace(out))
		return queue.Status{JobsWaiting: 1 << 62} // unknown: not settled
	}
	if err := json.Unmarshal(out, &st); err != nil {
		s.t.Fatalf("policyctl status --json: %v: %s", err, out)
	}
	return st
}

func (s *stack) waitStatus(timeout time.Duration, what string, ok func(queue.Status) bool) queue.Status {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := s.status()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not within %v; status %+v", what, timeout, st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitSettled waits until done attachments were extracted (events: a
// reprocessed one counts again), nothing waits, nothing failed or died,
// and the bucket holds exactly every policy's objects. It returns the
// status then.
func (s *stack) waitSettled(timeout time.Duration, done uint64) queue.Status {
	s.t.Helper()
	var tally map[string]int
	deadline := time.Now().Add(timeout)
	for {
		st := s.status()
		if st.Done >= done && st.JobsWaiting == 0 && st.JobsInProgress == 0 && st.EventsWaiting == 0 && st.Requests == 0 {
			tally = s.countObjects()
			if tally["missing"] == 0 {
				if st.Failed != 0 || st.Dead != 0 || tally["extra"] != 0 || tally["policies"] != samplePolicies {
					s.t.Fatalf("settled with failures or extra objects: status %+v, bucket %v", st, tally)
				}
				s.t.Logf("bucket: %v", tally)
				return st
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("not settled within %v: status %+v, bucket %v", timeout, st, tally)
		}
		time.Sleep(time.Second)
	}
}

// objects lists the bucket's policies/ keys with their times.
func (s *stack) objects() map[string]time.Time {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := map[string]time.Time{}
	for o := range s.s3.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: "policies/", Recursive: true}) {
		if o.Err != nil {
			s.t.Logf("list: %v", o.Err)
			return nil
		}
		out[o.Key] = o.LastModified
	}
	return out
}

// countObjects checks the bucket as the chaos test does: every policy has
// exactly its five objects (record, web text, report; original, and text
// with its extraction record, of its one attachment).
func (s *stack) countObjects() map[string]int {
	byPolicy := map[string][]string{}
	objs := s.objects()
	for k := range objs {
		id, rest, _ := strings.Cut(strings.TrimPrefix(k, "policies/"), "/")
		byPolicy[id] = append(byPolicy[id], rest)
	}
	tally := map[string]int{"objects": len(objs), "policies": len(byPolicy)}
	if len(byPolicy) < samplePolicies {
		tally["missing"] += 5 * (samplePolicies - len(byPolicy))
	}
	for _, names := range byPolicy {
		kinds := map[string]int{}
		for _, n := range names {
			switch {
			case n == "policy.json", n == "web.txt", n == "reconcile.json":
				kinds[n]++
			case strings.HasPrefix(n, "history/"):
				kinds["history"]++ // an earlier version of a changed record: none in the sample
			case strings.HasPrefix(n, "files/") && strings.HasSuffix(n, ".txt"):
				kinds["text"]++
			case strings.HasPrefix(n, "files/") && strings.HasSuffix(n, ".json"):
				kinds["record"]++ // only when too large for the text's metadata: none in the sample
			case strings.HasPrefix(n, "files/"):
				kinds["original"]++
			default:
				kinds["other"]++
			}
		}
		for _, k := range []string{"policy.json", "web.txt", "reconcile.json", "text", "original"} {
			tally["missing"] += max(1-kinds[k], 0)
			tally["extra"] += max(kinds[k]-1, 0)
		}
		tally["extra"] += kinds["history"] + kinds["record"] + kinds["other"]
		tally["texts"] += min(kinds["text"], 1)
		tally["reports"] += min(kinds["reconcile.json"], 1)
	}
	return tally
}

func (s *stack) policyIDs() []string {
	var ids []string
	for k := range s.objects() {
		if id, ok := strings.CutSuffix(strings.TrimPrefix(k, "policies/"), "/policy.json"); ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// checkRecordsSince: every attachment's extraction record was written
// again after the reprocessing was asked for (none lost on the way).
func (s *stack) checkRecordsSince(ids []string, since time.Time) {
	s.t.Helper()
	// SeaweedFS keeps second resolution; the clocks are the host's.
	since = since.Truncate(time.Second)
	stale := 0
	for k, at := range s.objects() {
		rest := strings.SplitN(strings.TrimPrefix(k, "policies/"), "/", 2)
		if len(rest) == 2 && strings.HasPrefix(rest[1], "files/") && strings.HasSuffix(rest[1], ".txt") && at.Before(since) {
			stale++
			if stale <= 5 {
				s.t.Errorf("%s not extracted again (written %v, reprocessing asked %v)", k, at, since)
			}
		}
	}
	if stale > 0 {
		s.t.Errorf("%d of %d attachments not extracted again", stale, len(ids))
	}
}

var policyLink = regexp.MustCompile(`href="/policies/(\d+)"`)

// checkPage: the page on 127.0.0.1:8080 lists every policy (all its pages).
func (s *stack) checkPage(ids []string) {
	s.t.Helper()
	seen := map[string]bool{}
	client := &http.Client{Timeout: 30 * time.Second}
	for page := 1; page <= 100; page++ {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:8080/?page=%d", page))
		if err != nil {
			s.t.Fatalf("page: %v", err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			s.t.Fatalf("page %d: %s", page, resp.Status)
		}
		fresh := 0
		for _, m := range policyLink.FindAllSubmatch(body, -1) {
			if !seen[string(m[1])] {
				seen[string(m[1])] = true
				fresh++
			}
		}
		if fresh == 0 {
			break
		}
	}
	for _, id := range ids {
		if !seen[id] {
			s.t.Errorf("the page does not list policy %s", id)
		}
	}
	if len(seen) != len(ids) {
		s.t.Errorf("the page lists %d policies, the bucket has %d", len(seen), len(ids))
	}
}
