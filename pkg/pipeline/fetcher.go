package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/store"
)

// Fetcher crawls the portal, stores each policy, and queues one job per
// attachment of every policy that is new or whose attachments changed.
type Fetcher struct {
	API      *policyapi.Client
	Store    Store
	JS       jetstream.JetStream
	Log      *slog.Logger
	PageSize int // default 50
}

// CrawlStats counts one crawl.
type CrawlStats struct {
	Policies    int `json:"policies"`
	Attachments int `json:"attachments"`
	New         int `json:"new"`     // policies stored for the first time or changed
	Queued      int `json:"queued"`  // jobs published (not duplicates)
	Invalid     int `json:"invalid"` // records refused (bad ids)
}

// Crawl pages through the portal once. Policies are stored and queued by
// a few goroutines at a time (each costs a few round trips to S3 and NATS);
// the first error stops the crawl.
func (f *Fetcher) Crawl(ctx context.Context) (CrawlStats, error) {
	var st CrawlStats
	size := f.PageSize
	if size <= 0 {
		size = 50
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	sem := make(chan struct{}, 8)
	err := f.API.Crawl(ctx, size, func(p policyapi.Policy) error {
		mu.Lock()
		defer mu.Unlock()
		if firstErr != nil {
			return firstErr
		}
		st.Policies++
		st.Attachments += len(p.Files)
		if err := p.Validate(); err != nil {
			// an id that is not digits never reaches a key or a subject
			f.Log.Warn("skipping invalid record", "err", err)
			st.Invalid++
			return nil
		}
		// take a slot before starting: at most 8 policies are held in
		// memory at once, however long the catalogue
		mu.Unlock()
		sem <- struct{}{}
		mu.Lock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n, changed, err := f.storePolicy(ctx, p)
			mu.Lock()
			defer mu.Unlock()
			if changed {
				st.New++
			}
			st.Queued += n
			if err != nil && firstErr == nil {
				firstErr = err
				cancel()
			}
		}()
		return nil
	})
	wg.Wait()
	if firstErr != nil {
		return st, firstErr
	}
	return st, err
}

// storePolicy stores the record and its page when they are new or differ
// from the stored ones, and queues the attachments when they are new or
// changed. The order makes a crash at any point harmless: the page, then the
// jobs, then policy.json, whose presence means "done" to the next crawl (a
// crash before it re-queues the same jobs, which the queue deduplicates).
func (f *Fetcher) storePolicy(ctx context.Context, p policyapi.Policy) (queued int, changed bool, err error) {
	key, _ := store.PolicyKey(p.ID)
	old, err := f.Store.Get(ctx, key, 64<<20)
	changed = true
	switch {
	case err == nil:
		var prev policyapi.Policy
		if json.Unmarshal(old, &prev) == nil && sameFiles(prev.Files, p.Files) {
			changed = false
			if bytes.Equal(old, p.Raw) {
				return 0, false, nil // nothing to write either
			}
		}
	case !errors.Is(err, store.ErrNotFound):
		return 0, false, err
	}
	htmlKey, _ := store.PolicyHTMLKey(p.ID)
	page := "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>" + html.EscapeString(p.PolicyTitle) +
		"</title></head><body>\n" + p.PolicyText + "\n</body></html>\n"
	if err := f.Store.Put(ctx, htmlKey, store.HTML, []byte(page), nil); err != nil {
		return 0, changed, err
	}
	if changed {
		if queued, err = f.queue(ctx, p, ""); err != nil {
			return queued, changed, err
		}
	}
	if err := f.Store.Put(ctx, key, store.JSON, p.Raw, nil); err != nil {
		return queued, changed, err
	}
	return queued, changed, nil
}

// sameFiles compares attachments by what identifies their content; the
// URL's host may change (a mirror, a new port) without the file changing.
func sameFiles(a, b []policyapi.File) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].FileID != b[i].FileID || a[i].FileKey != b[i].FileKey || a[i].FileSize != b[i].FileSize || a[i].FileType != b[i].FileType {
			return false
		}
	}
	return true
}

// queue publishes the jobs of a policy. A reprocessing request passes a
// salt so that the jobs are not taken for duplicates of the first ones.
func (f *Fetcher) queue(ctx context.Context, p policyapi.Policy, salt string) (int, error) {
	n := 0
	for _, file := range p.Files {
		job := queue.AttachmentJob{PolicyID: p.ID, FileID: file.FileID, FileName: file.FileName, FileType: file.FileType, FileURL: file.FileURL}
		id := queue.JobID(job)
		if salt != "" {
			id += ":" + salt
		}
		published, err := queue.PublishJob(ctx, f.JS, job, id)
		if err != nil {
			return n, err
		}
		if published {
			n++
		}
	}
	return n, nil
}

// Reprocess queues the attachments of stored policies again.
func (f *Fetcher) Reprocess(ctx context.Context, ids []string, salt string) (int, error) {
	n := 0
	for _, id := range ids {
		key, err := store.PolicyKey(id)
		if err != nil {
			f.Log.Warn("ignoring invalid policy id in request", "id", id)
			continue
		}
		b, err := f.Store.Get(ctx, key, 64<<20)
		if errors.Is(err, store.ErrNotFound) {
			f.Log.Warn("requested policy is not stored (not crawled yet?)", "id", id)
			continue
		} else if err != nil {
			return n, err
		}
		var p policyapi.Policy
		if err := json.Unmarshal(b, &p); err != nil {
			return n, fmt.Errorf("fetcher: stored policy %s: %w", id, err)
		}
		k, err := f.queue(ctx, p, salt)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ServeRequests handles "process these policy ids" requests until ctx ends.
func (f *Fetcher) ServeRequests(ctx context.Context) error {
	cons, err := f.JS.Consumer(ctx, queue.RequestsStream, queue.FetcherDur)
	if err != nil {
		return fmt.Errorf("fetcher: %w", err)
	}
	return runPool(ctx, cons, 1, func(ctx context.Context, m jetstream.Msg) {
		req, err := queue.Decode[queue.ProcessRequest](m.Data())
		if err != nil {
			m.TermWithReason("malformed request") // nothing to retry
			return
		}
		md, _ := m.Metadata()
		salt := "req" + strconv.FormatUint(md.Sequence.Stream, 10)
		n, err := f.Reprocess(ctx, req.PolicyIDs, salt)
		if err != nil {
			f.Log.Warn("reprocess failed; retrying", "err", err)
			m.NakWithDelay(5 * time.Second)
			return
		}
		f.Log.Info("reprocess requested", "policies", len(req.PolicyIDs), "queued", n)
		m.Ack()
	})
}
