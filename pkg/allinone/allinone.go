// Package allinone runs the whole product in one process: embedded NATS
// and S3 with their data under one directory, the sample portal (or the
// real one), the fetcher, N extractors, the reconciler and the web page.
// services/pipeline is its command.
package allinone

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/pipeline"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/sample"
	"github.com/policytext/policytext/pkg/service"
	"github.com/policytext/policytext/pkg/store"
	"github.com/policytext/policytext/pkg/web"
)

// Config of the all-in-one.
type Config struct {
	Data         string        // default ./data
	HTTPAddr     string        // web page, default 127.0.0.1:8080
	S3Addr       string        // default 127.0.0.1:9000
	NATSPort     int           // default 4222; -1 for any
	APIURL       string        // "" serves the bundled sample
	Token        string        // portal Token; never printed
	AllowedHosts []string      // extra attachment hosts (the sample portal's and the portal's own are allowed)
	Workers      int           // extractor workers, default 4
	Interval     time.Duration // between crawls, default 1 h
	Once         bool          // crawl once, wait, print the summary, return
	Bucket       string        // default policytext
	Progress     bool          // draw a progress bar on stderr while --once works
	SampleCopies int           // serve the sample repeated to this many policies (load tests); 0: as is
	// Ready, when set, is called with the listening addresses once up.
	Ready func(Addresses)
}

// Addresses are where the parts listen.
type Addresses struct {
	Web, S3, NATS, Portal string
}

// Summary is the last line --once prints.
type Summary struct {
	Policies         int            `json:"policies"`
	Attachments      int            `json:"attachments"`
	Queued           int            `json:"queued"`
	Extracted        int            `json:"extracted"`
	Failed           int            `json:"failed"`
	Dead             int            `json:"dead"`
	Reconciled       map[string]int `json:"reconciled"`
	ExtractedThisRun int            `json:"extracted_this_run"`
}

type credentials struct {
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
}

// Run starts everything and runs until ctx ends (or, with Once, until the
// crawl's work is done). Only the Once summary goes to stdout; everything
// else (the banner, the progress bar, logs) goes to stderr or log.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer, log *slog.Logger) error {
	cfg = defaults(cfg)
	// Resolve paths first: the S3 gateway changes the working directory.
	data, err := filepath.Abs(cfg.Data)
	if err != nil {
		return err
	}
	unlock, err := claimData(data)
	if err != nil {
		return err
	}
	defer unlock()
	creds, err := loadCredentials(filepath.Join(data, "s3-credentials.json"))
	if err != nil {
		return err
	}
	// the page's port first: a port in use fails at once, by its address
	webL, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("web page address %s: %w", cfg.HTTPAddr, err)
	}
	defer webL.Close()
	n, err := devstack.StartNATS(devstack.NATSConfig{Dir: filepath.Join(data, "nats"), Port: cfg.NATSPort})
	if err != nil {
		return err
	}
	defer n.Stop()
	// The S3 server outlives the signal: the stages finish or hand back
	// their work while it still answers, and the deferred Stop ends it
	// after them (with ctx it stopped at once, and their last writes were
	// refused).
	s3, err := devstack.StartS3(context.WithoutCancel(ctx), devstack.S3Config{Dir: filepath.Join(data, "s3"), Addr: cfg.S3Addr,
		AccessKey: creds.AccessKey, SecretKey: creds.SecretKey})
	if err != nil {
		return err
	}
	defer s3.Stop()
	apiURL, hosts := cfg.APIURL, append([]string{"youth.cq.cqyl.org.cn"}, cfg.AllowedHosts...)
	var portalAddr string
	if apiURL == "" {
		cat := sample.Catalogue()
		if cfg.SampleCopies > 0 {
			cat = sample.CatalogueCopies(cfg.SampleCopies)
		}
		p, err := devstack.StartPortalWith("", cat, sample.DemoFiles())
		if err != nil {
			return err
		}
		defer p.Stop()
		apiURL, portalAddr = p.URL, p.URL
	}
	if u, err := url.Parse(apiURL); err == nil {
		hosts = append(hosts, u.Host)
	}
	sc := s3.StoreConfig(cfg.Bucket)
	sc.Log = log
	st, err := store.New(sc)
	if err != nil {
		return err
	}
	defer st.Close() // before the S3 server stops: it waits for open connections
	if err := st.Ensure(ctx); err != nil {
		return err
	}
	nc, js, err := queue.Connect(n.URL, "pipeline")
	if err != nil {
		return err
	}
	defer service.Drain(nc, service.DrainTimeout)
	if err := queue.Setup(ctx, js); err != nil {
		return err
	}
	m := service.NewMetrics()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", service.MetricsHandler(m))
	pages := web.New(st, log)
	mux.Handle("/", pages)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	addrs := Addresses{Web: "http://" + webL.Addr().String(), S3: s3.Endpoint, NATS: n.URL, Portal: portalAddr}
	fmt.Fprintf(stderr, "policytext all-in-one\n  web page:  %s  (metrics: %s/metrics)\n  S3:        http://%s  bucket %q  access key %q  secret key %q\n  NATS:      %s\n  portal:    %s\n  data:      %s\n",
		addrs.Web, addrs.Web, s3.Endpoint, cfg.Bucket, creds.AccessKey, creds.SecretKey, n.URL, apiURL, data)
	if cfg.Ready != nil {
		cfg.Ready(addrs)
	}

	var extracted countingObserver
	ex := &pipeline.Extractor{Store: st, JS: js, Log: log, Workers: cfg.Workers, AllowedHosts: hosts,
		Observe: func(ok bool, d time.Duration, kind string) { extracted.observe(ok); m.ObserveJob(ok, d, kind) }}
	rc := &pipeline.Reconciler{Store: st, JS: js, Log: log, Observe: m.ObserveReport}
	dead := &pipeline.DeadLetters{Store: st, JS: js, Log: log}
	api := policyapi.NewClient(policyapi.ClientConfig{BaseURL: apiURL, Token: cfg.Token, RPS: 20}, log)
	f := &pipeline.Fetcher{API: api, Store: st, JS: js, Log: log, PageSize: 50,
		Observe: func(cs pipeline.CrawlStats, err error) { m.ObserveCrawl(cs.Counts(), err) }}
	loops := []func(context.Context) error{ex.Run, rc.Run, dead.Run, f.ServeRequests, pages.Run,
		func(ctx context.Context) error { return service.ServeHTTP(ctx, srv, webL) }}
	if !cfg.Once {
		return service.RunAll(ctx, append(loops, func(ctx context.Context) error { return f.Run(ctx, cfg.Interval) })...)
	}
	var sum Summary
	once := func(ctx context.Context) error {
		start := time.Now()
		crawl, err := f.Crawl(ctx)
		if err != nil {
			return fmt.Errorf("crawl: %w", err)
		}
		log.Info("crawled", "pages", crawl.Pages, "policies", crawl.Policies, "new", crawl.New, "queued", crawl.Queued,
			"took", time.Since(start).Round(time.Millisecond).String())
		if err := waitIdle(ctx, js, crawl, stderr, cfg.Progress); err != nil {
			return err
		}
		if sum, err = summarize(ctx, st, js, crawl); err != nil {
			return err
		}
		sum.ExtractedThisRun = int(extracted.n.Load())
		return errDone
	}
	if err := service.RunAll(ctx, append(loops, once)...); !errors.Is(err, errDone) {
		return err
	}
	b, _ := json.Marshal(sum)
	fmt.Fprintln(stdout, string(b))
	return nil
}

// errDone ends the loops of a --once run when its work is done.
var errDone = errors.New("done")

// claimData makes the data directory private (0700, files 0600) and locks
// it: a second all-in-one on the same directory would rewrite the first
// one's records with its own portal's URLs.
func claimData(dir string) (unlock func(), err error) {
	syscall.Umask(0o077) // everything this process writes is its user's alone
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, "lock")
	lf, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		lf.Close()
		return nil, fmt.Errorf("data directory %s is in use by another all-in-one (pid %s); stop it or give another --data",
			dir, strings.TrimSpace(string(holder)))
	}
	lf.Truncate(0)
	lf.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
		lf.Close()
	}, nil
}

func defaults(c Config) Config {
	if c.Data == "" {
		c.Data = "./data"
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8080"
	}
	if c.S3Addr == "" {
		c.S3Addr = "127.0.0.1:9000"
	}
	if c.NATSPort == 0 {
		c.NATSPort = 4222
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Interval <= 0 {
		c.Interval = time.Hour
	}
	if c.Bucket == "" {
		c.Bucket = "policytext"
	}
	return c
}

// loadCredentials keeps the S3 keys across restarts (created once).
func loadCredentials(path string) (credentials, error) {
	var c credentials
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &c); err == nil && c.AccessKey != "" && c.SecretKey != "" {
			return c, nil
		}
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	c = credentials{AccessKey: "policytext", SecretKey: hex.EncodeToString(secret)}
	b, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return c, fmt.Errorf("S3 credentials: %w", err)
	}
	return c, nil
}

// waitIdle waits until no job or event is waiting or in progress, for a
// few consecutive looks (events follow jobs).
func waitIdle(ctx context.Context, js queueJS, crawl pipeline.CrawlStats, stderr io.Writer, bar bool) error {
	calm := 0
	for calm < 3 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		s, err := queue.ReadStatus(ctx, js)
		if err != nil {
			return err
		}
		if bar {
			left := s.JobsWaiting + uint64(s.JobsInProgress)
			drawBar(stderr, crawl.Queued-int(min(left, uint64(crawl.Queued))), crawl.Queued, s)
		}
		if s.JobsWaiting == 0 && s.JobsInProgress == 0 && s.EventsWaiting == 0 && s.Requests == 0 {
			calm++
		} else {
			calm = 0
		}
	}
	if bar {
		fmt.Fprintln(stderr)
	}
	return nil
}

func drawBar(w io.Writer, done, total int, s queue.Status) {
	const width = 30
	filled := width
	if total > 0 {
		filled = width * done / total
	}
	fmt.Fprintf(w, "\r\033[K[%s%s] %d/%d jobs · done %d · failed %d · dead %d · to reconcile %d",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total, s.Done, s.Failed, s.Dead, s.EventsWaiting)
}

// summarize counts the results from the policy index.
func summarize(ctx context.Context, st *store.Store, js queueJS, crawl pipeline.CrawlStats) (Summary, error) {
	sum := Summary{Policies: crawl.Policies, Attachments: crawl.Attachments, Queued: crawl.Queued, Reconciled: map[string]int{}}
	rows, err := st.NewIndexReader().Rows(ctx)
	if err != nil {
		return sum, err
	}
	for _, r := range rows {
		v := r.Verdict()
		sum.Reconciled[v]++
		if v != store.Pending {
			sum.Extracted += r.Report.OK
			sum.Failed += r.Report.Failed
		}
	}
	s, err := queue.ReadStatus(ctx, js)
	if err != nil {
		return sum, err
	}
	sum.Dead = int(s.Dead)
	return sum, nil
}
