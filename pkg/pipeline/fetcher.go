package pipeline

import (
	"context"
	"errors"
	"fmt"
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
	Store    *store.Store
	JS       jetstream.JetStream
	Log      *slog.Logger
	PageSize int // default 50
	// Observe, when set, learns each crawl's figures (for metrics).
	Observe func(CrawlStats, error)

	indexOnce sync.Once
	index     *store.IndexReader
}

// CrawlStats counts one crawl.
type CrawlStats struct {
	Pages       int    `json:"pages"`
	Policies    int    `json:"policies"`
	Attachments int    `json:"attachments"`
	New         int    `json:"new"`        // policies stored for the first time
	Changed     int    `json:"changed"`    // policies whose record changed
	Queued      int    `json:"queued"`     // jobs published (not duplicates)
	Skipped     int    `json:"skipped"`    // records that could not be used (each logged with its position)
	Duplicates  int    `json:"duplicates"` // records whose id came earlier in the crawl
	Stop        string `json:"stop"`       // why paging ended
}

// Counts are the figures by name, for metrics.
func (s CrawlStats) Counts() map[string]int {
	return map[string]int{"pages": s.Pages, "policies": s.Policies, "attachments": s.Attachments, "new": s.New,
		"changed": s.Changed, "queued": s.Queued, "skipped": s.Skipped, "duplicates": s.Duplicates}
}

// Run crawls at once and then every interval until ctx ends. A failed crawl
// (the portal, NATS or S3 away) is tried again soon, not an interval later:
// a crawl that finds nothing new is cheap.
func (f *Fetcher) Run(ctx context.Context, interval time.Duration) error {
	for failures := 0; ; {
		wait := interval
		st, err := f.Crawl(ctx)
		if f.Observe != nil && ctx.Err() == nil {
			f.Observe(st, err)
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			failures++
			wait = min(interval, time.Duration(failures)*15*time.Second)
			f.Log.Error("crawl failed; retrying", "err", err, "in", wait.String())
		default:
			failures = 0
			f.Log.Info("crawled", "pages", st.Pages, "policies", st.Policies, "new", st.New, "changed", st.Changed,
				"queued", st.Queued, "skipped", st.Skipped, "duplicates", st.Duplicates, "stop", st.Stop, "next", wait.String())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// Crawl pages through the portal once. Policies are stored and queued by
// a few goroutines at a time (each costs a few round trips to S3 and NATS);
// the first error of the store or the queue stops the crawl. A record
// that cannot be used is skipped and counted, never the page around it;
// a portal that pages for ever is stopped (policyapi.CrawlWithReport) and
// what was read is kept.
func (f *Fetcher) Crawl(ctx context.Context) (CrawlStats, error) {
	var st CrawlStats
	size := f.PageSize
	if size <= 0 {
		size = 50
	}
	known, err := f.knownPolicies(ctx)
	if err != nil {
		return st, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		rows     []store.Row
	)
	// flushRows stores the index rows gathered so far as one segment
	flushRows := func(all bool) error {
		mu.Lock()
		if len(rows) < 100 && !all {
			mu.Unlock()
			return nil
		}
		batch := rows
		rows = nil
		mu.Unlock()
		return f.Store.AppendIndex(ctx, batch)
	}
	// Which policies are stored at all is listed once, when the first one
	// the index does not know comes: a new policy then costs no read of a
	// policy.json that is not there (one request per policy, a ninth of
	// the requests of a first crawl). A policy a request stores after the
	// listing is taken for new and written again, as when the two read
	// at the same time: the same record, and jobs the queue deduplicates.
	listStored := sync.OnceValues(func() (map[string]bool, error) {
		ids, err := f.Store.PolicyIDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("fetcher: stored policies: %w", err)
		}
		set := make(map[string]bool, len(ids))
		for _, id := range ids {
			set[id] = true
		}
		return set, nil
	})
	sem := make(chan struct{}, 8)
	rep, err := f.API.CrawlWithReport(ctx, size, func(p policyapi.Policy) error {
		mu.Lock()
		if firstErr != nil {
			mu.Unlock()
			return firstErr
		}
		st.Policies++
		st.Attachments += len(p.Files)
		mu.Unlock()
		// take a slot before starting: at most 8 policies are held in
		// memory at once, however long the catalogue
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			mayBeStored := true
			if known[p.ID] == nil {
				stored, err := listStored()
				if err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					cancel()
					return
				}
				mayBeStored = stored[p.ID]
			}
			out, err := f.storePolicy(ctx, p, known[p.ID], mayBeStored)
			mu.Lock()
			st.Queued += out.queued
			if out.isNew {
				st.New++
			} else if out.changed {
				st.Changed++
			}
			if out.row != nil {
				rows = append(rows, *out.row)
			}
			if err != nil && firstErr == nil {
				firstErr = err
				cancel()
			}
			mu.Unlock()
			if err == nil {
				if err := flushRows(false); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
				}
			}
		})
		return nil
	})
	wg.Wait()
	st.Pages, st.Skipped, st.Duplicates, st.Stop = rep.Pages, rep.Skipped, rep.Duplicates, rep.Stop
	if ferr := flushRows(true); ferr != nil && firstErr == nil && err == nil {
		err = ferr
	}
	return st, cmpErr(firstErr, err)
}

func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// knownPolicies reads the index: what the last crawls stored.
func (f *Fetcher) knownPolicies(ctx context.Context) (map[string]*store.PolicyFacts, error) {
	f.indexOnce.Do(func() { f.index = f.Store.NewIndexReader() })
	rows, err := f.index.Rows(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetcher: index: %w", err)
	}
	known := make(map[string]*store.PolicyFacts, len(rows))
	for _, r := range rows {
		if r.Policy != nil {
			known[r.ID] = r.Policy
		}
	}
	return known, nil
}

type stored struct {
	queued         int
	isNew, changed bool
	row            *store.Row // the index row to write, if any
}

// storePolicy stores a policy that is new or differs from the stored one
// (read unless mayBeStored is false: the crawl's listing has not got it),
// and queues its attachments when they are new or changed. The order makes
// a crash at any point harmless: the web text, then the jobs, then
// policy.json (whose presence means "done" to the next crawl: a crash
// before it re-queues the same jobs, which the queue deduplicates), then
// the event that asks the reconciler to look, then the index row (a lost
// row is written again by the next crawl, which also asks the reconciler
// to look).
func (f *Fetcher) storePolicy(ctx context.Context, p policyapi.Policy, known *store.PolicyFacts, mayBeStored bool) (stored, error) {
	var out stored
	sha := store.PolicySHA256(p)
	if known != nil && known.SHA256 == sha {
		return out, nil // as the last crawl stored it
	}
	var (
		prev  policyapi.Policy
		prevp *policyapi.Policy
		err   error
	)
	if mayBeStored {
		prev, err = f.Store.Policy(ctx, p.ID)
	} else {
		err = store.ErrNotFound // not in this crawl's listing
	}
	switch {
	case err == nil:
		prevp = &prev
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrCorrupt):
		// new, or unreadable: store it afresh
	default:
		return out, err
	}
	facts := store.NewPolicyFacts(p)
	if known != nil {
		facts.Changed, facts.Versions = known.Changed, known.Versions
	}
	if prevp != nil && string(prev.Raw) == string(p.Raw) {
		// stored, but its index row was lost (a crash): write the row, and
		// make sure the reconciler has looked at this version
		out.row = &store.Row{ID: p.ID, Policy: facts}
		return out, f.policyChanged(ctx, p.ID, sha)
	}
	out.isNew, out.changed = prevp == nil, prevp != nil
	if out.changed {
		facts.Changed, facts.Versions = facts.At, facts.Versions+1
	}
	if prevp == nil || prev.PolicyText != p.PolicyText || prev.PolicyTitle != p.PolicyTitle {
		if err := f.Store.PutWebText(ctx, p); err != nil {
			return out, err
		}
	}
	if prevp == nil || !sameFiles(prev.Files, p.Files) {
		if out.queued, err = f.queue(ctx, p, ""); err != nil {
			return out, err
		}
	}
	if err := f.Store.PutPolicy(ctx, p, prevp); err != nil {
		return out, err
	}
	// The reconciler hears of a new policy from its attachments' events
	// (which may come before this record is stored; it looks again soon).
	// It must be told of a changed record (an event may have found the
	// earlier one), of a policy without attachments, and of jobs queued by
	// a crawl that stopped before this point (their events may be gone).
	if out.changed || len(p.Files) == 0 || out.queued < len(p.Files) {
		if err := f.policyChanged(ctx, p.ID, sha); err != nil {
			return out, err
		}
	}
	out.row = &store.Row{ID: p.ID, Policy: facts}
	return out, nil
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

// publishRetryFor is how long a publish of the fetcher is tried again.
const publishRetryFor = 30 * time.Second

// policyChanged tells the reconciler of a new or changed policy record,
// trying again for a while as queue does.
func (f *Fetcher) policyChanged(ctx context.Context, id, sha string) error {
	return retryFor(ctx, publishRetryFor, func(ctx context.Context) error {
		return queue.PublishPolicyChanged(ctx, f.JS, queue.PolicyChanged{PolicyID: id, SHA256: sha})
	})
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
		// A publish without an answer (a stream leader being elected on a
		// cluster: 4-9 s) is tried again for a while rather than failing
		// the crawl, which would wait 15 s or more to begin again; the
		// job's id makes a retry that was not needed a duplicate.
		var published bool
		err := retryFor(ctx, publishRetryFor, func(ctx context.Context) (err error) {
			published, err = queue.PublishJob(ctx, f.JS, job, id)
			return err
		})
		if err != nil {
			return n, err
		}
		if published {
			n++
		}
	}
	return n, nil
}

// Process handles requested policy ids: a stored policy has its
// attachments queued again (a salt keeps the jobs from being taken for
// duplicates of the first ones); the others are looked for on the portal,
// all in one pass over its list, and stored and queued when found. It
// returns one result per id; an error means the store or the queue failed
// and the request should be retried.
func (f *Fetcher) Process(ctx context.Context, ids []string, salt string) ([]queue.ProcessResult, error) {
	results := make([]queue.ProcessResult, len(ids))
	wanted := map[string][]int{} // ids to look for on the portal → their positions
	for i, id := range ids {
		results[i].ID = id
		if !store.ValidID(id) {
			results[i].Status, results[i].Message = queue.StatusInvalid, "policy ids are digits"
			continue
		}
		p, err := f.Store.Policy(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			wanted[id] = append(wanted[id], i)
			continue
		case err != nil:
			return nil, err
		}
		n, err := f.queue(ctx, p, salt)
		if err != nil {
			return nil, err
		}
		results[i].Status, results[i].Attachments = queue.StatusReprocessing, n
	}
	if len(wanted) == 0 {
		return results, nil
	}
	found, err := f.lookup(ctx, wanted, results)
	if err != nil && found == nil {
		return nil, err // the store or the queue
	}
	for _, at := range wanted {
		for _, i := range at {
			switch {
			case results[i].Status != "":
			case err != nil:
				results[i].Status, results[i].Message = queue.StatusError, "the portal could not be searched: "+err.Error()
			default:
				results[i].Status = queue.StatusNotFound
			}
		}
	}
	return results, nil
}

// errFoundAll ends a lookup once every wanted id was found.
var errFoundAll = errors.New("found all")

// lookup pages through the portal for ids never stored, stores and queues
// those it finds, and fills in their results. A non-nil found with an
// error means the portal failed (the results say so); a nil found, that
// the store or the queue did.
func (f *Fetcher) lookup(ctx context.Context, wanted map[string][]int, results []queue.ProcessResult) (found map[string]bool, err error) {
	found = map[string]bool{}
	var (
		rows     []store.Row
		storeErr error
	)
	_, err = f.API.CrawlWithReport(ctx, cmpOr(f.PageSize, 50), func(p policyapi.Policy) error {
		at, ok := wanted[p.ID]
		if !ok || found[p.ID] {
			return nil
		}
		out, err := f.storePolicy(ctx, p, nil, true)
		if err != nil {
			storeErr = err
			return err
		}
		found[p.ID] = true
		if out.row != nil {
			rows = append(rows, *out.row)
		}
		for _, i := range at {
			results[i].Status, results[i].Attachments = queue.StatusQueued, out.queued
			if !out.isNew {
				results[i].Status = queue.StatusReprocessing // stored meanwhile by a crawl
			}
		}
		if len(found) == len(wanted) {
			return errFoundAll
		}
		return nil
	})
	if storeErr != nil {
		return nil, storeErr
	}
	if ierr := f.Store.AppendIndex(ctx, rows); ierr != nil {
		return nil, ierr
	}
	if errors.Is(err, errFoundAll) {
		err = nil
	}
	return found, err
}

// ServeRequests handles "process these policy ids" requests until ctx
// ends, answering each one that waits for an answer.
func (f *Fetcher) ServeRequests(ctx context.Context) error {
	err := pool{js: f.JS, stream: queue.RequestsStream, durable: queue.FetcherDur, n: 1, log: f.Log,
		handle: f.handleRequest}.run(ctx)
	if err != nil {
		return fmt.Errorf("fetcher: requests: %w", err)
	}
	return nil
}

func (f *Fetcher) handleRequest(ctx context.Context, m jetstream.Msg) {
	req, err := queue.Decode[queue.ProcessRequest](m.Data())
	if err != nil {
		f.Log.Error("terminating malformed request", "err", err)
		m.TermWithReason("malformed request") // nothing to retry
		return
	}
	// a lookup pages through the whole portal: keep the request ours
	stop := keepAlive(time.Minute, m)
	salt := "req" + strconv.FormatUint(streamSeq(m), 10)
	// The store or the queue may be away for a while (a stream leader
	// being elected takes seconds): try again here, the request kept ours,
	// rather than hand it back at once. A nak is not confirmed, and one
	// lost in an election left the request waiting for its ack wait (5 min).
	// Process is idempotent (its jobs' ids derive from the request's).
	var results []queue.ProcessResult
	attempt := 0
	err = retryWithin(ctx, requestRetryFor, 0, func(ctx context.Context) (err error) {
		attempt++
		if results, err = f.Process(ctx, req.PolicyIDs, salt); err != nil {
			f.Log.Warn("request failed; trying again", "attempt", attempt, "err", err)
		}
		return err
	})
	stop()
	if err != nil {
		f.Log.Warn("request failed; handing it back", "err", err)
		m.NakWithDelay(5 * time.Second)
		return
	}
	if req.ReplyTo != "" {
		if err := queue.Reply(f.JS, req.ReplyTo, queue.ProcessReply{Results: results}); err != nil {
			f.Log.Warn("request not answered", "err", err) // done all the same
		}
	}
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Status]++
	}
	f.Log.Info("request handled", "policies", len(req.PolicyIDs), "results", counts)
	if err := retryFor(ctx, 30*time.Second, m.DoubleAck); err != nil {
		f.Log.Warn("request ack not confirmed; it may be handled again (idempotent)", "err", err)
	}
}

// requestRetryFor is how long a request is tried again in place before it
// is handed back to the stream.
const requestRetryFor = 2 * time.Minute
