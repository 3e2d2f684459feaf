package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/extract"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/safehttp"
	"github.com/policytext/policytext/pkg/sniff"
	"github.com/policytext/policytext/pkg/store"
	"github.com/policytext/policytext/pkg/text"
)

// Extractor turns attachment jobs into stored text.
type Extractor struct {
	Store   *store.Store
	JS      jetstream.JetStream
	Log     *slog.Logger
	Workers int // jobs at once, default DefaultExtractorWorkers
	// AllowedHosts are where attachments may come from, checked on every
	// redirect hop and on the address dialled (pkg/safehttp's allow-list:
	// host, host:port or scheme://host[:port]).
	AllowedHosts []string
	MaxDownload  int64  // default 64 MiB
	TempDir      string // downloads over 1 MiB are spooled here (default the system's)
	// Download overrides the downloader's other limits (header timeout,
	// minimum rate); its Allow, MaxBytes and TempDir come from the fields above.
	Download safehttp.Config
	Limits   extract.Options
	// Progress is the InProgress interval; default a third of the
	// consumer's AckWait.
	Progress time.Duration
	// Retry is the redelivery delay after a transient failure; default
	// 5, 10, 20, 40 s.
	Retry func(delivered uint64) time.Duration
	// ConfirmFor bounds the retries of the event's publish and of the
	// confirmed ack after a job (default 30 s: longer than a leader
	// election, shorter than the ack wait).
	ConfirmFor time.Duration
	// ShutdownGrace bounds a job in hand once Run's context ends.
	ShutdownGrace time.Duration
	Observe       func(ok bool, latency time.Duration, errKind string)

	maxDeliver uint64 // the consumer's; its last delivery records a transient failure
	downloader *safehttp.Downloader
}

// Failure is why a job failed: its kind (stored in the record, counted in
// the metrics) and its cause. A permanent failure ends the job with a
// recorded reason; any other is retried.
type Failure struct {
	Kind      string
	Permanent bool
	Err       error
}

func (f *Failure) Error() string { return f.Kind + ": " + f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

func permanent(kind string, err error) *Failure {
	return &Failure{Kind: kind, Permanent: true, Err: err}
}

// failureOf is the one place that maps an error to a failure kind.
func failureOf(err error) *Failure {
	var (
		f  *Failure
		de *safehttp.Error
	)
	switch {
	case errors.As(err, &f):
		return f
	case errors.As(err, &de):
		// host_not_allowed, too_large, not_found, http_error are for good;
		// too_slow, network, server_error, ... may pass
		return &Failure{Kind: string(de.Kind), Permanent: de.Permanent(), Err: err}
	case errors.Is(err, store.ErrBadID):
		return permanent("invalid_id", err)
	}
	if kind := extract.Kind(err); kind != "" {
		return permanent(kind, err)
	}
	// the network, the portal or the store: another delivery may succeed
	return &Failure{Kind: "transient", Err: err}
}

// Run consumes jobs with Workers handlers at a time until ctx ends, then
// lets the jobs in hand finish (within ShutdownGrace). It returns an error
// only when it cannot go on.
func (e *Extractor) Run(ctx context.Context) error {
	if err := e.init(); err != nil {
		return err
	}
	e.maxDeliver = queue.JobMaxDeliver
	if cons, err := e.JS.Consumer(ctx, queue.JobsStream, queue.ExtractorDur); err == nil {
		if info, err := cons.Info(ctx); err == nil {
			if e.Progress <= 0 && info.Config.AckWait > 0 {
				// keep jobs alive well within the consumer's actual ack wait
				e.Progress = info.Config.AckWait / 3
			}
			if info.Config.MaxDeliver > 0 {
				e.maxDeliver = uint64(info.Config.MaxDeliver)
			}
		}
	}
	err := pool{js: e.JS, stream: queue.JobsStream, durable: queue.ExtractorDur, n: cmpOr(e.Workers, DefaultExtractorWorkers),
		grace: e.ShutdownGrace, log: e.Log, handle: e.Handle}.run(ctx)
	if err != nil {
		return fmt.Errorf("extractor: %w", err)
	}
	return nil
}

// init builds the downloader from the configuration.
func (e *Extractor) init() error {
	allow, err := safehttp.ParseAllowList(e.AllowedHosts...)
	if err != nil {
		return fmt.Errorf("extractor: allowed hosts: %w", err)
	}
	cfg := e.Download
	cfg.Allow, cfg.MaxBytes, cfg.TempDir = allow, e.MaxDownload, e.TempDir
	if e.downloader, err = safehttp.NewDownloader(cfg); err != nil {
		return fmt.Errorf("extractor: %w", err)
	}
	return nil
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Handle processes one job message. Every branch decides the message's fate.
func (e *Extractor) Handle(ctx context.Context, m jetstream.Msg) {
	start := time.Now()
	backoff := e.Retry
	if backoff == nil {
		backoff = defaultBackoff
	}
	n := delivered(m)
	job, err := queue.Decode[queue.AttachmentJob](m.Data())
	if err != nil {
		// unreadable: no retry can help, nothing to record it under
		e.Log.Error("terminating malformed job", "err", err)
		m.TermWithReason("malformed job: " + err.Error())
		return
	}
	log := e.Log.With("policy", job.PolicyID, "file", job.FileID)
	stop := keepAlive(cmpDur(e.Progress, queue.JobAckWait/3), m)
	run := strconv.FormatUint(streamSeq(m), 10) + "." + strconv.FormatUint(n, 10)
	rec, txt, err := e.process(ctx, job, run)
	fail := failureOf(err)
	if err != nil && !fail.Permanent {
		stop()
		if e.maxDeliver > 0 && n >= e.maxDeliver {
			// the last delivery: record why, for the dead-letter mover and
			// the reconciler (a failure to record leaves it to the mover)
			e.recordLastFailure(ctx, job, run, err)
		}
		// download or store trouble: try again later, later each time
		log.Warn("transient failure; redelivering", "attempt", n, "err", err)
		m.NakWithDelay(backoff(n))
		return
	}
	// stored, or failed for good with its record stored: announce it
	ev := queue.Extracted{PolicyID: job.PolicyID, FileID: job.FileID, OK: rec.OK, Error: rec.Error, Run: run, Record: rec}
	if rec.OK && len(txt) <= queue.MaxEventText {
		ev.Text = &txt // the reconciler's read of it saved (a third of the reads of a run)
	}
	// A publish whose answer is lost (a NATS server crashed, a stream
	// leader is being elected: 4-9 s on a cluster) is tried again for a
	// while; the event's id makes a retry that was not needed a no-op.
	perr := retryFor(ctx, e.confirmFor(), func(ctx context.Context) error { return queue.PublishExtracted(ctx, e.JS, ev) })
	stop() // kept alive until the event is out; no progress after the ack
	if perr != nil {
		// the record is stored but nobody heard of it: redo the job (it is idempotent)
		log.Warn("event not published; will redo the job", "err", perr)
		m.NakWithDelay(backoff(n))
		return
	}
	if rec.OK {
		log.Info("extracted", "format", rec.Format, "bytes", rec.Bytes, "took", time.Since(start).Round(time.Millisecond).String())
		e.observe(true, start, "")
		e.ack(ctx, log, m)
		return
	}
	log.Warn("attachment failed for good", "kind", rec.ErrorKind, "err", rec.Error)
	e.observe(false, start, rec.ErrorKind)
	m.TermWithReason(rec.ErrorKind + ": " + rec.Error)
}

// recordLastFailure stores and announces the failure of a job's last
// delivery (errorKind dead_letter, with its error); the job itself then
// runs out of deliveries and the dead-letter mover moves it.
func (e *Extractor) recordLastFailure(ctx context.Context, job queue.AttachmentJob, run string, cause error) {
	rec := store.Record{PolicyID: job.PolicyID, FileID: job.FileID, FileName: job.FileName, FileURL: job.FileURL,
		ErrorKind: deadLetterKind, Run: run, At: time.Now().UTC(),
		Error: fmt.Sprintf("gave up after %d deliveries: %v", e.maxDeliver, cause)}
	if err := e.Store.PutResult(ctx, rec, ""); err != nil {
		return
	}
	queue.PublishExtracted(ctx, e.JS, queue.Extracted{PolicyID: rec.PolicyID, FileID: rec.FileID, Error: rec.Error, Run: run, Record: &rec})
}

func (e *Extractor) confirmFor() time.Duration { return cmpDur(e.ConfirmFor, 30*time.Second) }

// ack acknowledges a done job and waits for the server to confirm it. An
// ack without an answer has an unknown outcome: on a cluster, a consumer
// leader that crashed or is being elected drops it silently, and the job
// would come back after the ack wait. So it is sent again (acking twice is
// harmless) until confirmed or ConfirmFor has passed; if it never is, the
// job may be done again, which leaves what doing it once does (process
// overwrites the same keys, record last; the event is the new run's).
func (e *Extractor) ack(ctx context.Context, log *slog.Logger, m jetstream.Msg) {
	if err := retryFor(ctx, e.confirmFor(), m.DoubleAck); err != nil {
		log.Warn("ack not confirmed; the job may be done again (idempotent)", "err", err)
	}
}

// retryFor calls f (each call bounded to 5 s) until it succeeds, ctx ends
// or budget has passed, waiting 100 ms, then longer each time (at most
// 2 s), between calls. It returns the last error.
func retryFor(ctx context.Context, budget time.Duration, f func(context.Context) error) error {
	return retryWithin(ctx, budget, 5*time.Second, f)
}

// retryWithin is retryFor with each call bounded to perCall (0: only by
// ctx, for calls whose length depends on their work).
func retryWithin(ctx context.Context, budget, perCall time.Duration, f func(context.Context) error) error {
	deadline := time.Now().Add(budget)
	wait := 100 * time.Millisecond
	for {
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if perCall > 0 {
			cctx, cancel = context.WithTimeout(ctx, min(perCall, max(time.Until(deadline), 100*time.Millisecond)))
		}
		err := f(cctx)
		cancel()
		if err == nil || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func cmpDur(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

func (e *Extractor) observe(ok bool, start time.Time, kind string) {
	if e.Observe != nil {
		e.Observe(ok, time.Since(start), kind)
	}
}

// process downloads, extracts and stores one attachment. It returns the
// stored record (successful, or failed for good) and text, or an error
// when nothing could be recorded and the job should be retried. Every write is an
// overwrite of the same keys, and the text with its record last, so doing a
// job twice leaves what doing it once does.
func (e *Extractor) process(ctx context.Context, job queue.AttachmentJob, run string) (*store.Record, string, error) {
	start := time.Now()
	rec := &store.Record{PolicyID: job.PolicyID, FileID: job.FileID, FileName: job.FileName, FileURL: job.FileURL, Run: run}
	if !store.ValidID(job.PolicyID) || !store.ValidID(job.FileID) {
		// ids that cannot form a key cannot be recorded either
		return nil, "", permanent("invalid_id", fmt.Errorf("job ids %q/%q are not portal ids", job.PolicyID, job.FileID))
	}
	failed := func(err error) (*store.Record, string, error) {
		f := failureOf(err)
		if !f.Permanent {
			return nil, "", err
		}
		rec.OK, rec.Error, rec.ErrorKind, rec.ElapsedMS, rec.At = false, f.Err.Error(), f.Kind, sinceMS(start), time.Now().UTC()
		if err := e.Store.PutResult(ctx, *rec, ""); err != nil {
			return nil, "", err // not recorded yet: retry
		}
		return rec, "", nil
	}
	dl, err := e.downloader.Get(ctx, job.FileURL)
	var de *safehttp.Error
	if errors.As(err, &de) {
		rec.FinalURL, rec.Redirects = finalURL(job.FileURL, de.URL), hops(de.Redirects)
	}
	if err != nil {
		return failed(err)
	}
	defer dl.Close() // removes the spooled body
	rec.FinalURL, rec.Redirects = finalURL(job.FileURL, dl.URL), hops(dl.Redirects)
	rec.Bytes, rec.SHA256 = dl.Size, dl.SHA256
	head := make([]byte, min(dl.Size, sniff.HeadSize))
	if _, err := dl.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("read the download: %w", err)
	}
	format := extract.Identify(head)
	// the original is kept whatever its fate: a failed file can be looked at
	if err := e.Store.PutOriginal(ctx, rec, format.Ext, format.ContentType, dl.Open(), dl.Size); err != nil {
		return nil, "", err
	}
	res, err := extract.Extract(ctx, dl, dl.Size, e.Limits)
	if err != nil {
		return failed(err)
	}
	rec.OK, rec.Format, rec.Version, rec.Warnings = true, string(res.Format), res.Doc.Version, res.Doc.Warnings
	rec.Stories = map[string]int{}
	for _, s := range res.Doc.Stories {
		c := text.Count(s.Blocks)
		rec.Stories[s.Kind.String()] += c.Runes
		if s.Kind == text.Main {
			rec.Paragraphs, rec.Tables = c.Paragraphs, c.Tables
		}
	}
	rec.ElapsedMS, rec.At = sinceMS(start), time.Now().UTC()
	txt := res.Doc.PlainText(text.RenderOptions{})
	if err := e.Store.PutResult(ctx, *rec, txt); err != nil {
		return nil, "", err
	}
	return rec, txt, nil
}

// finalURL is where a download ended, when it is not where it began.
func finalURL(start, final string) string {
	if final == start {
		return ""
	}
	return final
}

func hops(hs []safehttp.Hop) []store.Redirect {
	var out []store.Redirect
	for _, h := range hs {
		out = append(out, store.Redirect{Status: h.Status, URL: h.URL})
	}
	return out
}
