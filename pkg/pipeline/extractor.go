package pipeline

import (
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
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/extract"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/store"
	"github.com/policytext/policytext/pkg/text"
)

// Extractor turns attachment jobs into stored text.
type Extractor struct {
	Store        Store
	JS           jetstream.JetStream
	Log          *slog.Logger
	HTTP         *http.Client // default: 60 s timeout
	AllowedHosts []string     // hosts attachments may come from (host or host:port)
	MaxDownload  int64        // default 64 MiB
	Limits       extract.Options
	Progress     time.Duration                        // InProgress interval, default AckWait/3
	Retry        func(delivered uint64) time.Duration // redelivery delay after a transient failure; default 5, 10, 20, 40 s
	Observe      func(ok bool, latency time.Duration, errKind string)
}

// errPermanent marks failures that retrying cannot fix.
var errPermanent = errors.New("permanent")

// Run consumes jobs with n handlers at a time until ctx ends, then drains.
func (e *Extractor) Run(ctx context.Context, n int) error {
	cons, err := e.JS.Consumer(ctx, queue.JobsStream, queue.ExtractorDur)
	if err != nil {
		return fmt.Errorf("extractor: %w", err)
	}
	if e.Progress <= 0 {
		// keep jobs alive well within the consumer's actual ack wait
		e.Progress = queue.JobAckWait / 3
		if info, err := cons.Info(ctx); err == nil && info.Config.AckWait > 0 {
			e.Progress = info.Config.AckWait / 3
		}
	}
	return runPool(ctx, cons, n, e.Handle)
}

// runPool runs n fetch loops on one durable consumer; each message is
// handled to the end before the loop takes the next (so AckWait only runs
// while a job is really being worked on).
func runPool(ctx context.Context, cons jetstream.Consumer, n int, handle func(context.Context, jetstream.Msg)) error {
	var wg sync.WaitGroup
	for range max(n, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
				if err != nil {
					if ctx.Err() == nil {
						time.Sleep(200 * time.Millisecond) // server restarting: try again
					}
					continue
				}
				for m := range batch.Messages() {
					// finish a job even while shutting down: its ack must land
					handle(context.WithoutCancel(ctx), m)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// Handle processes one job message. Every branch decides the message's fate.
func (e *Extractor) Handle(ctx context.Context, m jetstream.Msg) {
	start := time.Now()
	backoff := e.Retry
	if backoff == nil {
		backoff = defaultBackoff
	}
	md, _ := m.Metadata()
	delivered := uint64(1)
	if md != nil {
		delivered = md.NumDelivered
	}
	job, err := queue.Decode[queue.AttachmentJob](m.Data())
	if err != nil {
		// unreadable: no retry can help, nothing to record it under
		e.Log.Error("terminating malformed job", "err", err)
		m.TermWithReason("malformed job: " + err.Error())
		return
	}
	log := e.Log.With("policy", job.PolicyID, "file", job.FileID)
	stop := e.keepAlive(m)
	rec, data, res, err := e.process(ctx, job)
	stop()
	switch {
	case err == nil:
		// stored: announce and ack
		if perr := queue.PublishExtracted(ctx, e.JS, queue.Extracted{PolicyID: job.PolicyID, FileID: job.FileID, OK: true}); perr != nil {
			log.Warn("event not published; will redo the job", "err", perr)
			m.NakWithDelay(backoff(delivered))
			return
		}
		log.Info("extracted", "format", res.Format, "bytes", len(data), "ms", rec.ElapsedMS)
		e.observe(true, start, "")
		m.Ack()
	case errors.Is(err, errPermanent):
		// recorded as failed with its reason; the job is over
		if perr := queue.PublishExtracted(ctx, e.JS, queue.Extracted{PolicyID: job.PolicyID, FileID: job.FileID, Error: rec.Error}); perr != nil {
			m.NakWithDelay(backoff(delivered))
			return
		}
		log.Warn("attachment failed for good", "kind", rec.ErrorKind, "err", rec.Error)
		e.observe(false, start, rec.ErrorKind)
		m.TermWithReason(rec.ErrorKind + ": " + rec.Error)
	default:
		// download or store trouble: try again later, later each time
		log.Warn("transient failure; redelivering", "attempt", delivered, "err", err)
		m.NakWithDelay(backoff(delivered))
	}
}

func (e *Extractor) observe(ok bool, start time.Time, kind string) {
	if e.Observe != nil {
		e.Observe(ok, time.Since(start), kind)
	}
}

// keepAlive tells the server the job is being worked on, so that a long
// download or parse is not redelivered to another worker.
func (e *Extractor) keepAlive(m jetstream.Msg) (stop func()) {
	every := e.Progress
	if every <= 0 {
		every = queue.JobAckWait / 3
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				m.InProgress()
			}
		}
	}()
	return func() { close(done) }
}

// process downloads, extracts and stores one attachment. A permanent
// failure is stored as the record and returned wrapping errPermanent.
func (e *Extractor) process(ctx context.Context, job queue.AttachmentJob) (*Record, []byte, *extract.Result, error) {
	start := time.Now()
	rec := &Record{PolicyID: job.PolicyID, FileID: job.FileID, FileName: job.FileName, FileURL: job.FileURL}
	recKey, err := store.RecordKey(job.PolicyID, job.FileID)
	if err != nil {
		// ids that cannot form a key cannot be recorded either
		rec.Error, rec.ErrorKind = err.Error(), "invalid_id"
		return rec, nil, nil, fmt.Errorf("%w: %v", errPermanent, err)
	}
	fail := func(kind string, err error) (*Record, []byte, *extract.Result, error) {
		rec.OK, rec.Error, rec.ErrorKind, rec.ElapsedMS = false, err.Error(), kind, since(start)
		if perr := putJSON(ctx, e.Store, recKey, rec); perr != nil {
			return rec, nil, nil, perr // not recorded yet: retry
		}
		return rec, nil, nil, fmt.Errorf("%w: %v", errPermanent, err)
	}
	data, err := e.download(ctx, job.FileURL)
	var pe *permanentError
	switch {
	case errors.As(err, &pe):
		return fail(pe.kind, err)
	case err != nil:
		return rec, nil, nil, err
	}
	sum := sha256.Sum256(data)
	rec.Bytes, rec.SHA256 = len(data), hex.EncodeToString(sum[:])
	origKey, _ := store.OriginalKey(job.PolicyID, job.FileID, job.FileType)
	meta := map[string]string{"original-name": job.FileName, "source-url": job.FileURL, "sha256": rec.SHA256}
	// the original is kept whatever its fate: a failed file can be looked at
	if err := e.Store.Put(ctx, origKey, contentType(job.FileType), data, meta); err != nil {
		return rec, nil, nil, err
	}
	res, err := extract.Bytes(ctx, data, e.Limits)
	if err != nil {
		return fail(errorKind(err), err)
	}
	txt := res.Doc.PlainText(text.RenderOptions{})
	textKey, _ := store.TextKey(job.PolicyID, job.FileID)
	if err := e.Store.Put(ctx, textKey, store.TextPlain, []byte(txt), map[string]string{"sha256": rec.SHA256}); err != nil {
		return rec, nil, nil, err
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
	rec.ElapsedMS = since(start)
	if err := putJSON(ctx, e.Store, recKey, rec); err != nil {
		return rec, nil, nil, err
	}
	return rec, data, res, nil
}

type permanentError struct {
	kind string
	err  error
}

func (p *permanentError) Error() string { return p.err.Error() }

// download fetches an attachment from an allowed host within the size and
// time limits.
func (e *Extractor) download(ctx context.Context, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &permanentError{"bad_url", fmt.Errorf("attachment URL %q is not http(s)", raw)}
	}
	if !slices.Contains(e.AllowedHosts, u.Host) && !slices.Contains(e.AllowedHosts, u.Hostname()) {
		return nil, &permanentError{"host_not_allowed", fmt.Errorf("attachment host %q is not allowed", u.Host)}
	}
	hc := e.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, &permanentError{"bad_url", err}
	}
	req.Header.Set("User-Agent", "policytext/1")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err) // network: transient
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, &permanentError{"not_found", fmt.Errorf("download: HTTP %d", resp.StatusCode)}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("download: HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, &permanentError{"http_error", fmt.Errorf("download: HTTP %d", resp.StatusCode)}
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
		return nil, &permanentError{"too_large", fmt.Errorf("download: larger than %d bytes", limit)}
	}
	if resp.ContentLength > 0 && int64(len(data)) != resp.ContentLength {
		return nil, fmt.Errorf("download: got %d of %d bytes", len(data), resp.ContentLength)
	}
	return data, nil
}

func contentType(fileType string) string {
	switch strings.ToLower(fileType) {
	case "doc":
		return "application/msword"
	case "docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	}
	return "application/octet-stream"
}

// errorKind names an extraction failure for records and metrics.
func errorKind(err error) string {
	for _, k := range []struct {
		err  error
		name string
	}{{extract.ErrEmpty, "empty"}, {extract.ErrUnsupportedFormat, "unsupported_format"}, {extract.ErrEncrypted, "encrypted"},
		{extract.ErrTruncated, "truncated"}, {extract.ErrTooLarge, "too_large"}, {extract.ErrTimeout, "timeout"}, {extract.ErrCorrupt, "corrupt"}} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "error"
}
