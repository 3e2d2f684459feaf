// Package service is the runtime the binaries share: the common flags (NATS,
// S3, the operations HTTP address, the log level), connecting with retries
// while dependencies start, the /healthz and /metrics endpoints, the
// Prometheus metrics of the stages, and signal handling. Each
// services/<name>/main.go reads its config and wires these parts.
//
// Example:
//
//	var c service.Common
//	fs := flag.NewFlagSet("reconciler", flag.ExitOnError)
//	c.Register(fs, "127.0.0.1:9102")
//	config.Parse(fs, os.Args[1:], os.LookupEnv)
//	ctx, stop := service.SignalContext()
//	defer stop()
//	deps, err := c.Connect(ctx, "reconciler", log)
package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/policytext/policytext/pkg/config"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/store"
)

// Common is the configuration every service has.
type Common struct {
	NATSURL     string
	S3Endpoint  string
	S3AccessKey string
	S3SecretKey string // never logged
	S3Bucket    string
	S3Secure    bool
	HTTPAddr    string
	LogLevel    string
}

// Register adds the common flags.
func (c *Common) Register(fs *flag.FlagSet, httpAddr string) {
	fs.StringVar(&c.NATSURL, "nats-url", "nats://127.0.0.1:4222", "NATS server URL")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", "127.0.0.1:9000", "S3 endpoint host:port")
	fs.StringVar(&c.S3AccessKey, "s3-access-key", "", "S3 access key")
	fs.StringVar(&c.S3SecretKey, "s3-secret-key", "", "S3 secret key (prefer the S3_SECRET_KEY environment variable)")
	fs.StringVar(&c.S3Bucket, "s3-bucket", "policytext", "S3 bucket")
	fs.BoolVar(&c.S3Secure, "s3-secure", false, "use https for S3")
	fs.StringVar(&c.HTTPAddr, "http-addr", httpAddr, "address of /healthz and /metrics")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
}

// Logger returns a JSON logger at the configured level.
func (c *Common) Logger(name string) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("service", name)
}

// Deps are the connections a stage needs.
type Deps struct {
	NC    *nats.Conn
	JS    jetstream.JetStream
	Store *store.Store
}

// Close drains the NATS connection: in-flight acks are flushed.
func (d *Deps) Close() {
	if d.NC != nil {
		d.NC.Drain()
	}
}

// Connect connects to NATS and S3, sets up streams and the bucket, and
// retries (every 2 s) while they are not up yet, until ctx ends.
func (c *Common) Connect(ctx context.Context, name string, log *slog.Logger) (*Deps, error) {
	for attempt := 1; ; attempt++ {
		d, err := c.connect(ctx, name)
		if err == nil {
			return d, nil
		}
		log.Warn("dependencies not ready; retrying", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

func (c *Common) connect(ctx context.Context, name string) (*Deps, error) {
	nc, js, err := queue.Connect(c.NATSURL, name)
	if err != nil {
		return nil, err
	}
	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := queue.Setup(setupCtx, js); err != nil {
		nc.Close()
		return nil, err
	}
	st, err := store.New(store.Config{Endpoint: c.S3Endpoint, AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey,
		Bucket: c.S3Bucket, Secure: c.S3Secure})
	if err != nil {
		nc.Close()
		return nil, err
	}
	if err := st.Ensure(setupCtx); err != nil {
		nc.Close()
		return nil, err
	}
	return &Deps{NC: nc, JS: js, Store: st}, nil
}

// Metrics are the Prometheus metrics of the stages.
type Metrics struct {
	Registry   *prometheus.Registry
	Jobs       *prometheus.CounterVec // extractor jobs by result and error kind
	JobSeconds prometheus.Histogram
	Reconciled *prometheus.CounterVec // reports by verdict
	Crawled    *prometheus.CounterVec // fetcher: policies seen, new, jobs queued
}

// NewMetrics registers the metrics (and the Go runtime's).
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "policytext_extract_jobs_total",
			Help: "Attachment jobs finished, by result (ok, failed) and error kind."}, []string{"result", "kind"}),
		JobSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "policytext_extract_job_seconds",
			Help: "Time to download, extract and store one attachment.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		Reconciled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "policytext_reconcile_reports_total",
			Help: "Reconcile reports written, by verdict."}, []string{"verdict"}),
		Crawled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "policytext_fetch_total",
			Help: "Fetcher counts: policies seen, new or changed policies, jobs queued."}, []string{"what"}),
	}
	m.Registry.MustRegister(m.Jobs, m.JobSeconds, m.Reconciled, m.Crawled,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveJob is the extractor's Observe hook.
func (m *Metrics) ObserveJob(ok bool, d time.Duration, kind string) {
	result := "ok"
	if !ok {
		result = "failed"
	}
	m.Jobs.WithLabelValues(result, kind).Inc()
	m.JobSeconds.Observe(d.Seconds())
}

// ServeOps serves /healthz (ok while healthy returns nil) and /metrics
// until ctx ends.
func ServeOps(ctx context.Context, addr string, m *Metrics, healthy func() error, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := healthy(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("ops server failed", "addr", addr, "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
}

// NATSHealthy reports the connection's state for /healthz.
func NATSHealthy(nc *nats.Conn) func() error {
	return func() error {
		if nc == nil || !nc.IsConnected() {
			return fmt.Errorf("nats: not connected")
		}
		return nil
	}
}

// SignalContext ends on SIGINT or SIGTERM.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

// SplitList splits a comma-separated flag value.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Stage is a started stage service: its logger, a context that ends on
// SIGINT/SIGTERM, its connections and its metrics (already served with
// /healthz on the ops address).
type Stage struct {
	Ctx     context.Context
	Log     *slog.Logger
	Deps    *Deps
	Metrics *Metrics
	stop    context.CancelFunc
}

// Close drains the connections and releases the signal handler.
func (s *Stage) Close() {
	s.Deps.Close()
	s.stop()
}

// StartStage parses args into fs (which has c's flags registered), then
// connects and serves the ops endpoints. It exits the process on a usage
// error or when the dependencies never come up.
func StartStage(c *Common, fs *flag.FlagSet, args []string, name string) *Stage {
	if err := config.Parse(fs, args, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log := c.Logger(name)
	ctx, stop := SignalContext()
	deps, err := c.Connect(ctx, name, log)
	if err != nil {
		log.Error("not started", "err", err)
		os.Exit(1)
	}
	m := NewMetrics()
	ServeOps(ctx, c.HTTPAddr, m, NATSHealthy(deps.NC), log)
	return &Stage{Ctx: ctx, Log: log, Deps: deps, Metrics: m, stop: stop}
}
