package pipeline

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/sample"
)

// TestLoad pushes LOAD_ATTACHMENTS (default 10,000) attachments through
// the pipeline twice: in one process (the all-in-one's arrangement: the
// stages as goroutines) and as separate processes with 1, 2 and 4
// extractor processes. It prints attachments/s, p50/p99 job time and peak
// RSS per process. Not part of CI (it takes minutes):
//
//	LOAD=1 go test -run TestLoad -v -timeout 60m ./pkg/pipeline
func TestLoad(t *testing.T) {
	if os.Getenv("LOAD") == "" {
		t.Skip("SKIPPED: set LOAD=1 to run the load test (minutes; not part of CI)")
	}
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("LOAD_ATTACHMENTS")); err == nil {
		n = v
	}
	bins := t.TempDir()
	build := exec.Command("go", "build", "-o", bins+"/", "./services/fetcher", "./services/extractor", "./services/reconciler")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cat, _ := chaosCatalogue(t, n, 0)
	var rows []string
	rows = append(rows, loadInProcess(t, cat, n))
	for _, procs := range []int{1, 2, 4} {
		rows = append(rows, loadProcesses(t, bins, cat, n, procs))
	}
	t.Logf("\n| arrangement | attachments | seconds | attachments/s | job p50 ms | job p99 ms | peak RSS MB |\n|---|---|---|---|---|---|---|\n%s",
		strings.Join(rows, "\n"))
}

func loadInProcess(t *testing.T, cat []byte, n int) string {
	s := newStack(t, fmt.Sprintf("load-inproc-%d", time.Now().UnixNano()))
	portal, _ := policyapi.NewSampleServer(cat, sample.Files(), s.url)
	s.portal.Limit(0)
	srv := startHTTP(t, portal)
	portal.SetBase(srv)
	api := policyapi.NewClient(policyapi.ClientConfig{BaseURL: srv, Token: "t", RPS: 1000}, s.log)
	var done atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ex := &Extractor{Store: s.st, JS: s.js, Log: s.log, Workers: 4, AllowedHosts: []string{strings.TrimPrefix(srv, "http://")},
		Observe: func(bool, time.Duration, string) { done.Add(1) }}
	var reconciled atomic.Int64
	rc := &Reconciler{Store: s.st, JS: s.js, Log: s.log, Observe: func(string, time.Duration) { reconciled.Add(1) }}
	go ex.Run(ctx)
	go rc.Run(ctx)
	start := time.Now()
	f := &Fetcher{API: api, Store: s.st, JS: s.js, Log: s.log, PageSize: 100}
	if _, err := f.Crawl(context.Background()); err != nil {
		t.Fatal(err)
	}
	// end to end: every attachment extracted and every policy (one
	// attachment each) reconciled
	waitUntil(t, 10*time.Minute, "every attachment extracted and reconciled", func() bool {
		return done.Load() >= int64(n) && reconciled.Load() >= int64(n)
	})
	waitUntil(t, time.Minute, "no event left to reconcile", func() bool { // a policy may be reported twice
		st, err := queue.ReadStatus(context.Background(), s.js)
		return err == nil && st.EventsWaiting == 0
	})
	el := time.Since(start)
	p50, p99 := jobTimes(t, s)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return fmt.Sprintf("| one process (4 extractor workers, 4 reconciler workers; NATS and S3 in the same process; until all reconciled) | %d | %.1f | %.0f | %.1f | %.1f | %d (whole test process) |",
		n, el.Seconds(), float64(n)/el.Seconds(), p50, p99, ru.Maxrss/1024)
}

func loadProcesses(t *testing.T, bins string, cat []byte, n, extractors int) string {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	nt, err := devstack.StartNATS(devstack.NATSConfig{Dir: t.TempDir(), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer nt.Stop()
	bucket := fmt.Sprintf("load-p%d-%d", extractors, time.Now().UnixNano())
	s := newStackOn(t, nt.URL, bucket)
	portal, _ := policyapi.NewSampleServer(cat, sample.Files(), "")
	srv := startHTTP(t, portal)
	portal.SetBase(srv)
	env := append(os.Environ(), "NATS_URL="+nt.URL, "S3_ENDPOINT="+testS3.Endpoint, "S3_ACCESS_KEY="+testS3.AccessKey,
		"S3_SECRET_KEY="+testS3.SecretKey, "S3_BUCKET="+bucket, "HTTP_ADDR=127.0.0.1:0", "LOG_LEVEL=error")
	var cmds []*exec.Cmd
	run := func(name string, args ...string) {
		c := exec.Command(filepath.Join(bins, name), args...)
		c.Env = env
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	for range extractors {
		run("extractor", "--workers", "4", "--allowed-hosts", strings.TrimPrefix(srv, "http://"))
	}
	run("reconciler", "--workers", "4")
	start := time.Now()
	run("fetcher", "--api-url", srv, "--policy-api-token", "t", "--rps", "1000", "--page-size", "100")
	for {
		// the extracted events count the finished attachments cheaply
		st, err := queue.ReadStatus(context.Background(), s.js)
		if err == nil && st.Done >= uint64(n) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	el := time.Since(start)
	var rss []string
	for _, c := range cmds {
		rss = append(rss, fmt.Sprintf("%s %d", filepath.Base(c.Path), peakRSSMB(c.Process.Pid)))
		c.Process.Signal(syscall.SIGTERM)
		c.Wait()
	}
	p50, p99 := jobTimes(t, s)
	return fmt.Sprintf("| %d extractor process(es) × 4 workers, reconciler, fetcher | %d | %.1f | %.0f | %.1f | %.1f | %s |",
		extractors, n, el.Seconds(), float64(n)/el.Seconds(), p50, p99, strings.Join(rss, ", "))
}

func startHTTP(t testing.TB, h *policyapi.SampleServer) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httpServer{l: l}
	go srv.serve(h)
	t.Cleanup(func() { l.Close() })
	return "http://" + l.Addr().String()
}

// peakRSSMB reads VmHWM of a live process.
func peakRSSMB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return kb / 1024
		}
	}
	return -1
}

// jobTimes reads the elapsedMs of every record: the time of one job
// (download, extract, store).
func jobTimes(t *testing.T, s *stack) (p50, p99 float64) {
	ctx := context.Background()
	var ms []float64
	for _, k := range s.rawKeys(t, "policies/") {
		parts := strings.Split(k, "/")
		if len(parts) != 4 || parts[2] != "files" || !strings.HasSuffix(parts[3], ".txt") {
			continue
		}
		r, err := s.st.Record(ctx, parts[1], strings.TrimSuffix(parts[3], ".txt"))
		if err == nil {
			ms = append(ms, r.ElapsedMS)
		}
	}
	if len(ms) == 0 {
		return 0, 0
	}
	slices.Sort(ms)
	return ms[len(ms)/2], ms[len(ms)*99/100]
}
