package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/extract"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/sniff"
	"github.com/policytext/policytext/pkg/store"
	"github.com/policytext/policytext/pkg/text"
)

// Extractor turns attachment jobs into stored text.
type Extractor struct {
	Store        *store.Store
	JS           jetstream.JetStream
	Log          *slog.Logger
	Workers      int          // jobs at once, default 4
	HTTP         *http.Client // default: 60 s timeout
	AllowedHosts []string     // hosts attachments may come from (host or host:port)
	MaxDownload  int64        // default 64 MiB
	Limits       extract.Options
	// Progress is the InProgress interval; default a third of the
	// consumer's AckWait.
	Progress time.Duration
	// Retry is the redelivery delay after a transient failure; default
	// 5, 10, 20, 40 s.
	Retry func(delivered uint64) time.Duration
	// ShutdownGrace bounds a job in hand once Run's context ends.
	ShutdownGrace time.Duration
	Observe       func(ok bool, latency time.Duration, errKind string)

	maxDeliver uint64 // the consumer's; its last delivery records a transient failure
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
	var f *Failure
	switch {
	case errors.As(err, &f):
		return f
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
	err := pool{js: e.JS, stream: queue.JobsStream, durable: queue.ExtractorDur, n: cmpOr(e.Workers, 4),
		grace: e.ShutdownGrace, log: e.Log, handle: e.Handle}.run(ctx)
	if err != nil {
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
	rec, err := e.process(ctx, job, run)
	stop()
	fail := failureOf(err)
	if err != nil && !fail.Permanent {
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
	if perr := queue.PublishExtracted(ctx, e.JS, ev); perr != nil {
		// the record is stored but nobody heard of it: redo the job (it is idempotent)
		log.Warn("event not published; will redo the job", "err", perr)
		m.NakWithDelay(backoff(n))
		return
	}
	if rec.OK {
		log.Info("extracted", "format", rec.Format, "bytes", rec.Bytes, "took", time.Since(start).Round(time.Millisecond).String())
		e.observe(true, start, "")
		m.Ack()
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
	if err := e.Store.PutRecord(ctx, rec); err != nil {
		return
	}
	queue.PublishExtracted(ctx, e.JS, queue.Extracted{PolicyID: rec.PolicyID, FileID: rec.FileID, Error: rec.Error, Run: run, Record: &rec})
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
// stored record (successful, or failed for good), or an error when nothing
// could be recorded and the job should be retried. Every write is an
// overwrite of the same keys, and the record is written last, so doing a
// job twice leaves what doing it once does.
func (e *Extractor) process(ctx context.Context, job queue.AttachmentJob, run string) (*store.Record, error) {
	start := time.Now()
	rec := &store.Record{PolicyID: job.PolicyID, FileID: job.FileID, FileName: job.FileName, FileURL: job.FileURL, Run: run}
	if !store.ValidID(job.PolicyID) || !store.ValidID(job.FileID) {
		// ids that cannot form a key cannot be recorded either
		return nil, permanent("invalid_id", fmt.Errorf("job ids %q/%q are not portal ids", job.PolicyID, job.FileID))
	}
	failed := func(err error) (*store.Record, error) {
		f := failureOf(err)
		if !f.Permanent {
			return nil, err
		}
		rec.OK, rec.Error, rec.ErrorKind, rec.ElapsedMS, rec.At = false, f.Err.Error(), f.Kind, sinceMS(start), time.Now().UTC()
		if err := e.Store.PutRecord(ctx, *rec); err != nil {
			return nil, err // not recorded yet: retry
		}
		return rec, nil
	}
	data, err := e.download(ctx, job.FileURL)
	if err != nil {
		return failed(err)
	}
	sum := sha256.Sum256(data)
	rec.Bytes, rec.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
	format := extract.Identify(data[:min(len(data), sniff.HeadSize)])
	// the original is kept whatever its fate: a failed file can be looked at
	if err := e.Store.PutOriginal(ctx, rec, format.Ext, format.ContentType, bytes.NewReader(data), int64(len(data))); err != nil {
		return nil, err
	}
	res, err := extract.Bytes(ctx, data, e.Limits)
	if err != nil {
		return failed(err)
	}
	if err := e.Store.PutText(ctx, *rec, res.Doc.PlainText(text.RenderOptions{})); err != nil {
		return nil, err
	}
	rec.OK, rec.Format, rec.Version = true, string(res.Format), res.Doc.Version
	rec.Stories = map[string]int{}
	for _, s := range res.Doc.Stories {
		c := text.Count(s.Blocks)
		rec.Stories[s.Kind.String()] += c.Runes
		if s.Kind == text.Main {
			rec.Paragraphs, rec.Tables = c.Paragraphs, c.Tables
		}
	}
	rec.ElapsedMS, rec.At = sinceMS(start), time.Now().UTC()
	if err := e.Store.PutRecord(ctx, *rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// download fetches an attachment from an allowed host within the size and
// time limits.
func (e *Extractor) download(ctx context.Context, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, permanent("bad_url", fmt.Errorf("attachment URL %q is not http(s)", raw))
	}
	if !slices.Contains(e.AllowedHosts, u.Host) && !slices.Contains(e.AllowedHosts, u.Hostname()) {
		return nil, permanent("host_not_allowed", fmt.Errorf("attachment host %q is not allowed", u.Host))
	}
	hc := e.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, permanent("bad_url", err)
	}
	req.Header.Set("User-Agent", "policytext/1")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err) // network: transient
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, permanent("not_found", fmt.Errorf("download: HTTP %d", resp.StatusCode))
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("download: HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, permanent("http_error", fmt.Errorf("download: HTTP %d", resp.StatusCode))
	}
	limit := e.MaxDownload
	if limit <= 0 {
		limit = 64 << 20
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, permanent("too_large", fmt.Errorf("download: larger than %d bytes", limit))
	}
	if resp.ContentLength > 0 && int64(len(data)) != resp.ContentLength {
		return nil, fmt.Errorf("download: got %d of %d bytes", len(data), resp.ContentLength)
	}
	return data, nil
}
