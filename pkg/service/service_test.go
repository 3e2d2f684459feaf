package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestOpsEndpoints(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := NewMetrics()
	healthy := errors.New("nats: not connected")
	ServeOps(ctx, addr, m, func() error { return healthy }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	m.ObserveJob(true, 20*time.Millisecond, "")
	m.ObserveJob(false, time.Millisecond, "encrypted")
	get := func(path string) (int, string) {
		for range 50 {
			resp, err := http.Get("http://" + addr + path)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s not served", path)
		return 0, ""
	}
	if code, _ := get("/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("unhealthy: %d", code)
	}
	healthy = nil
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("healthy: %d", code)
	}
	_, body := get("/metrics")
	for _, s := range []string{`policytext_extract_jobs_total{kind="encrypted",result="failed"} 1`, "policytext_extract_job_seconds_count 2", "go_goroutines"} {
		if !strings.Contains(body, s) {
			t.Errorf("metrics lack %q", s)
		}
	}
}

func TestSplitList(t *testing.T) {
	if got := SplitList(" a, b,,c "); len(got) != 3 || got[2] != "c" {
		t.Errorf("%q", got)
	}
}
