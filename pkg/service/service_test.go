package service

import (
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/queue"
)

// get polls url until it answers (the server starts in a goroutine).
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not served: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOpsEndpoints(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m := NewMetrics()
	healthy := errors.New("nats: not connected")
	ops, err := ListenOps("127.0.0.1:0", m, func() error { return healthy })
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ops.Run(ctx) }()
	m.ObserveJob(true, 20*time.Millisecond, "")
	m.ObserveJob(false, time.Millisecond, "encrypted")
	m.ObserveReport("differs", 3*time.Millisecond)
	m.ObserveCrawl(map[string]int{"policies": 190, "queued": 7}, nil)
	m.ObserveCrawl(nil, errors.New("portal away"))
	base := "http://" + ops.Addr()
	if code, body := get(t, base+"/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not connected") {
		t.Errorf("unhealthy: %d %q", code, body)
	}
	healthy = nil
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("healthy: %d", code)
	}
	_, body := get(t, base+"/metrics")
	for _, s := range []string{`policytext_extract_jobs_total{kind="encrypted",result="failed"} 1`, "policytext_extract_job_seconds_count 2",
		`policytext_reconcile_reports_total{verdict="differs"} 1`, "policytext_reconcile_seconds_count 1",
		`policytext_fetch_total{what="policies"} 190`, `policytext_crawls_total{result="failed"} 1`, "go_goroutines"} {
		if !strings.Contains(body, s) {
			t.Errorf("metrics lack %q", s)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func TestAPortInUseFailsAtOnceByItsAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = ListenOps(l.Addr().String(), NewMetrics(), func() error { return nil })
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Errorf("port in use: %v", err)
	}
}

func TestRunAllStopsTheOthersOnTheFirstFailure(t *testing.T) {
	boom := errors.New("consumer deleted")
	stopped := make(chan struct{})
	err := RunAll(context.Background(),
		func(ctx context.Context) error { <-ctx.Done(); close(stopped); return nil },
		func(context.Context) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("RunAll: %v", err)
	}
	select {
	case <-stopped:
	default:
		t.Error("the other loop did not see its context end")
	}
}

func TestRunStage(t *testing.T) {
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
	args := []string{"--nats-url", n.URL, "--s3-endpoint", s3.Endpoint, "--s3-access-key", s3.AccessKey,
		"--http-addr", "127.0.0.1:0", "--log-level", "error"}
	t.Setenv("S3_SECRET_KEY", s3.SecretKey) // a flag's environment variable
	run := func(args []string, loops func(*Stage) []func(context.Context) error) int {
		var c Common
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Register(fs, "127.0.0.1:0")
		return RunStage(&c, fs, args, "test", loops)
	}
	if code := run([]string{"--no-such-flag"}, nil); code != ExitUsage {
		t.Errorf("usage error: exit %d", code)
	}
	// a loop that cannot go on makes the process fail, after the others stop
	code := run(args, func(st *Stage) []func(context.Context) error {
		if st.Deps.Store.Bucket() != "policytext" || !st.Deps.NC.IsConnected() {
			t.Error("not connected")
		}
		return []func(context.Context) error{func(context.Context) error { return errors.New("consumer deleted") }}
	})
	if code != ExitFailed {
		t.Errorf("a failed loop: exit %d", code)
	}
	// SIGTERM: the loops end, the connection drains, exit 0
	var conn *Stage
	code = run(args, func(st *Stage) []func(context.Context) error {
		conn = st
		return []func(context.Context) error{func(ctx context.Context) error {
			if _, err := queue.ReadStatus(ctx, st.Deps.JS); err != nil {
				return err // the queues were set up on connect
			}
			syscall.Kill(os.Getpid(), syscall.SIGTERM)
			<-ctx.Done()
			return nil
		}}
	})
	if code != ExitOK || !conn.Deps.NC.IsClosed() {
		t.Errorf("SIGTERM: exit %d, connection closed %v", code, conn.Deps.NC.IsClosed())
	}
}

func TestSplitList(t *testing.T) {
	if got := SplitList(" a, b,,c "); len(got) != 3 || got[2] != "c" {
		t.Errorf("%q", got)
	}
}
