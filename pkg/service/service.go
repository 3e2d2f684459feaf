// Package service is the runtime the binaries share: the common flags (NATS,
// S3, the operations HTTP address, the log level), connecting with retries
// while dependencies start, the /healthz and /metrics endpoints, the
// Prometheus metrics of the stages, signal handling, and the lifetime of a
// stage's loops: they run together, the first that cannot go on stops the
// others and makes the process exit non-zero, and a shutdown waits for
// the jobs in hand and the NATS drain (both bounded). Each
// services/<name>/main.go reads its flags and wires these parts.
package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
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
	"golang.org/x/sync/errgroup"

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

	// NATSReplicas is how many servers of a NATS cluster keep each stream
	// (queue.WithReplicas): 1 on a single server, 3 on a cluster.
	NATSReplicas int
	// The NATS login (compose gives each service its own user).
	NATSUser     string // empty: no login
	NATSPassword string // never logged
}

// Register adds the common flags.
func (c *Common) Register(fs *flag.FlagSet, httpAddr string) {
	fs.StringVar(&c.NATSURL, "nats-url", "nats://127.0.0.1:4222", "NATS server URL")
	fs.StringVar(&c.NATSUser, "nats-user", "", "NATS user (empty: no login)")
	fs.StringVar(&c.NATSPassword, "nats-password", "", "NATS password (prefer the NATS_PASSWORD environment variable)")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", "127.0.0.1:9000", "S3 endpoint host:port")
	fs.StringVar(&c.S3AccessKey, "s3-access-key", "", "S3 access key")
	fs.StringVar(&c.S3SecretKey, "s3-secret-key", "", "S3 secret key (prefer the S3_SECRET_KEY environment variable)")
	fs.StringVar(&c.S3Bucket, "s3-bucket", "policytext", "S3 bucket")
	fs.BoolVar(&c.S3Secure, "s3-secure", false, "use https for S3")
	fs.StringVar(&c.HTTPAddr, "http-addr", httpAddr, "address of /healthz and /metrics")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	// a cluster: --nats-url lists its servers, comma-separated
	fs.IntVar(&c.NATSReplicas, "nats-replicas", 1, "copies of each stream on a NATS cluster (3 on a three-node cluster); an existing stream is raised, never lowered")
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

// DrainTimeout bounds the wait for the NATS drain at shutdown.
const DrainTimeout = 10 * time.Second

// Close drains the NATS connection (in-flight acks and publishes are
// flushed) and waits for it to close, at most DrainTimeout.
func (d *Deps) Close() error {
	if d.NC == nil {
		return nil
	}
	return Drain(d.NC, DrainTimeout)
}

// Drain drains nc and waits until it is closed, at most timeout.
func Drain(nc *nats.Conn, timeout time.Duration) error {
	if nc.IsClosed() {
		return nil
	}
	if err := nc.Drain(); err != nil {
		nc.Close()
		return fmt.Errorf("nats drain: %w", err)
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !nc.IsClosed() {
		select {
		case <-deadline.C:
			nc.Close()
			return fmt.Errorf("nats drain: not finished after %v", timeout)
		case <-tick.C:
		}
	}
	return nil
}

// Connect connects to NATS and S3, sets up streams and the bucket, and
// retries (every 2 s) while they are not up yet, until ctx ends.
func (c *Common) Connect(ctx context.Context, name string, log *slog.Logger) (*Deps, error) {
	for attempt := 1; ; attempt++ {
		d, err := c.connect(ctx, name, log)
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

func (c *Common) connect(ctx context.Context, name string, log *slog.Logger) (*Deps, error) {
	nc, js, err := queue.Connect(c.NATSURL, name, queue.UserInfo(c.NATSUser, c.NATSPassword)...)
	if err != nil {
		return nil, err
	}
	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := queue.Setup(setupCtx, js, queue.WithReplicas(c.NATSReplicas)); err != nil {
		nc.Close()
		return nil, err
	}
	st, err := store.New(c.StoreConfig(log))
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

// StoreConfig is the bucket's configuration from the flags.
func (c *Common) StoreConfig(log *slog.Logger) store.Config {
	return store.Config{Endpoint: c.S3Endpoint, AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey,
		Bucket: c.S3Bucket, Secure: c.S3Secure, Log: log}
}

// Metrics are the Prometheus metrics of the stages.
type Metrics struct {
	Registry      *prometheus.Registry
	Jobs          *prometheus.CounterVec // extractor jobs by result and error kind
	JobSeconds    prometheus.Histogram
	Reconciled    *prometheus.CounterVec // reports by verdict
	ReconcileTime prometheus.Histogram
	Crawled       *prometheus.CounterVec // fetcher: policies seen, new, changed, jobs queued, invalid
	Crawls        *prometheus.CounterVec // fetcher: crawls by result
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
		ReconcileTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "policytext_reconcile_seconds",
			Help: "Time to read, compare and store one policy's report.", Buckets: prometheus.ExponentialBuckets(0.002, 2, 14)}),
		Crawled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "policytext_fetch_total",
			Help: "Fetcher counts: policies seen, new, changed, invalid records skipped, jobs queued."}, []string{"what"}),
		Crawls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "policytext_crawls_total",
			Help: "Crawls of the portal, by result (ok, failed)."}, []string{"result"}),
	}
	m.Registry.MustRegister(m.Jobs, m.JobSeconds, m.Reconciled, m.ReconcileTime, m.Crawled, m.Crawls,
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

// ObserveReport is the reconciler's Observe hook.
func (m *Metrics) ObserveReport(verdict string, d time.Duration) {
	m.Reconciled.WithLabelValues(verdict).Inc()
	m.ReconcileTime.Observe(d.Seconds())
}

// ObserveCrawl counts a crawl and its figures (policies, new, queued, ...)
// by name.
func (m *Metrics) ObserveCrawl(counts map[string]int, err error) {
	if err != nil {
		m.Crawls.WithLabelValues("failed").Inc()
		return
	}
	m.Crawls.WithLabelValues("ok").Inc()
	for what, n := range counts {
		m.Crawled.WithLabelValues(what).Add(float64(n))
	}
}

// Ops serves /healthz and /metrics.
type Ops struct {
	srv *http.Server
	l   net.Listener
}

// ListenOps listens on addr at once, so that a port in use fails the
// start with its address, and returns the server to Run.
func ListenOps(addr string, m *Metrics, healthy func() error) (*Ops, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ops address %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := healthy(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.Handle("/metrics", MetricsHandler(m))
	return &Ops{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, l: l}, nil
}

// MetricsHandler serves m in the Prometheus text format.
func MetricsHandler(m *Metrics) http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// Addr is where the ops server listens.
func (o *Ops) Addr() string { return o.l.Addr().String() }

// Run serves until ctx ends.
func (o *Ops) Run(ctx context.Context) error { return ServeHTTP(ctx, o.srv, o.l) }

// ServeHTTP serves srv on l until ctx ends, then shuts it down (open
// requests get 5 s). It returns an error only if serving failed.
func ServeHTTP(ctx context.Context, srv *http.Server, l net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server on %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	srv.Shutdown(shut)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
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

// RunAll runs the loops together until ctx ends or one of them fails; the
// first failure stops the others (their context ends) and is returned once
// all have returned.
func RunAll(ctx context.Context, loops ...func(context.Context) error) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, loop := range loops {
		g.Go(func() error { return loop(gctx) })
	}
	return g.Wait()
}

// Stage is a started stage service: its logger, connections and metrics.
type Stage struct {
	Log     *slog.Logger
	Deps    *Deps
	Metrics *Metrics
}

// Exit statuses of RunStage.
const (
	ExitOK     = 0
	ExitFailed = 1 // a loop could not go on, or the dependencies never came up
	ExitUsage  = 2
)

// RunStage runs a stage binary: it parses args into fs (which has c's flags
// registered), listens on the ops address, connects (retrying while NATS
// and S3 start), and runs the stage's loops (returned by loops, given the
// connections) with the ops server until SIGINT/SIGTERM or until one
// fails. Then it drains the NATS connection (bounded) and returns the
// process's exit status.
func RunStage(c *Common, fs *flag.FlagSet, args []string, name string, loops func(*Stage) []func(context.Context) error) int {
	if err := config.Parse(fs, args, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return ExitUsage
	}
	log := c.Logger(name)
	ctx, stop := SignalContext()
	defer stop()
	m := NewMetrics()
	var nc *nats.Conn
	ops, err := ListenOps(c.HTTPAddr, m, func() error { return NATSHealthy(nc)() })
	if err != nil {
		log.Error("not started", "err", err)
		return ExitFailed
	}
	deps, err := c.Connect(ctx, name, log)
	if err != nil {
		if ctx.Err() != nil {
			return ExitOK // stopped while waiting for the dependencies
		}
		log.Error("not started", "err", err)
		return ExitFailed
	}
	nc = deps.NC
	st := &Stage{Log: log, Deps: deps, Metrics: m}
	log.Info("started", "ops", ops.Addr())
	err = RunAll(ctx, append(loops(st), ops.Run)...)
	if derr := deps.Close(); derr != nil {
		log.Warn("shutdown", "err", derr)
	}
	if err != nil {
		log.Error("stopped: a stage cannot go on", "err", err)
		return ExitFailed
	}
	log.Info("stopped")
	return ExitOK
}
