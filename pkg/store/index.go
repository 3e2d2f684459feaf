package store

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/policytext/policytext/pkg/policyapi"
)

// The index is what the list page, the all-in-one's summary and the
// fetcher's change check read instead of every policy's objects: one row
// per policy with the facts of its record (written by the fetcher) and of
// its report (written by the reconciler).
//
// It is stored as immutable segments under index/, each a batch of rows
// written by one writer; a reader lists the segments, reads the ones it
// has not seen and merges the rows, the newer part winning. No object is
// ever rewritten, so writers need no locks or conditional writes and a
// reader's cache of a segment never goes stale. When the segments grow
// many, a writer compacts them: it writes their merge as one segment and
// deletes them. Two compactions at once, or a reader listing during one,
// at worst see a row twice, and merging makes that harmless.

// Row is one policy in the index.
type Row struct {
	ID     string       `json:"id"`
	Policy *PolicyFacts `json:"policy,omitempty"`
	Report *ReportFacts `json:"report,omitempty"`
}

// PolicyFacts are the facts of a stored policy record.
type PolicyFacts struct {
	Title       string `json:"title"`
	IssueNumber string `json:"issueNumber,omitempty"`
	Published   string `json:"published,omitempty"`
	Level       string `json:"level,omitempty"` // policyLevelName
	Type        string `json:"type,omitempty"`  // policyTypeName
	Files       int    `json:"files"`
	SHA256      string `json:"sha256"` // PolicySHA256 of the record
	// Changed is when a version that differs from an earlier one was
	// stored (zero while the policy never changed); Versions counts the
	// earlier versions kept.
	Changed  time.Time `json:"changed,omitzero"`
	Versions int       `json:"versions,omitempty"`
	At       time.Time `json:"at"` // when this version was stored
}

// ReportFacts are the facts of a policy's reconcile report.
type ReportFacts struct {
	Verdict     string    `json:"verdict"`
	OK          int       `json:"ok"`     // attachments extracted
	Failed      int       `json:"failed"` // attachments that failed for good
	Differences int       `json:"differences"`
	Numeric     int       `json:"numeric"` // differences tagged numeric
	At          time.Time `json:"at"`
}

// tagNumeric is the reconcile tag of a difference in a number.
const tagNumeric = "numeric"

// Pending is the verdict of a policy whose current version has no report yet.
const Pending = "pending"

// Verdict is the report's verdict when the report is about the stored
// version of the policy, else Pending.
func (r Row) Verdict() string {
	if r.Report == nil || (r.Policy != nil && r.Report.At.Before(r.Policy.At)) {
		return Pending
	}
	return r.Report.Verdict
}

// NewPolicyFacts reads the facts of a record (At is now).
func NewPolicyFacts(p policyapi.Policy) *PolicyFacts {
	return &PolicyFacts{Title: p.PolicyTitle, IssueNumber: p.IssueNumber, Published: p.PublishTime,
		Level: string(p.LevelName), Type: string(p.TypeName), Files: len(p.Files), SHA256: PolicySHA256(p), At: time.Now().UTC()}
}

// NewReportFacts reads the facts of a stored report.
func NewReportFacts(r Report) *ReportFacts {
	f := &ReportFacts{Verdict: r.Report.Verdict, Differences: len(r.Report.Differences), At: r.At}
	for _, a := range r.Attachments {
		if a.OK {
			f.OK++
		} else {
			f.Failed++
		}
	}
	for _, d := range r.Report.Differences {
		if slices.Contains(d.Tags, tagNumeric) {
			f.Numeric++
		}
	}
	return f
}

// merge combines two rows of one policy: each part from the newer side.
func merge(a, b Row) Row {
	if a.ID == "" {
		a.ID = b.ID
	}
	if b.Policy != nil && (a.Policy == nil || !b.Policy.At.Before(a.Policy.At)) {
		a.Policy = b.Policy
	}
	if b.Report != nil && (a.Report == nil || !b.Report.At.Before(a.Report.At)) {
		a.Report = b.Report
	}
	return a
}

// Index segments: how many a writer lets accumulate before compacting.
const compactAfter = 64

// segmentKey names a new segment; keys sort by time of writing.
func segmentKey() string {
	r := make([]byte, 6)
	rand.Read(r)
	return indexPrefix + time.Now().UTC().Format("20060102T150405.000000000Z") + "-" + hex.EncodeToString(r) + ".json"
}

// AppendIndex stores rows as one new index segment.
func (s *Store) AppendIndex(ctx context.Context, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	for _, r := range rows {
		if err := check(r.ID); err != nil {
			return err
		}
	}
	if err := s.putJSON(ctx, segmentKey(), rows); err != nil {
		return err
	}
	if s.segmentsWritten.Add(1)%(compactAfter/2) == 0 {
		// compaction is an optimisation: a failure leaves more segments
		if err := s.CompactIndex(ctx); err != nil && ctx.Err() == nil && s.log != nil {
			s.log.Warn("index compaction failed; will retry", "err", err)
		}
	}
	return nil
}

// CompactIndex merges the index segments into one when there are many.
func (s *Store) CompactIndex(ctx context.Context) error {
	objs, err := s.list(ctx, indexPrefix)
	if err != nil {
		return err
	}
	if len(objs) <= compactAfter {
		return nil
	}
	merged := map[string]Row{}
	for _, o := range objs {
		rows, err := s.readSegment(ctx, o.key)
		if err != nil {
			return err // deleted by another compaction: leave it to that one
		}
		for _, r := range rows {
			merged[r.ID] = merge(merged[r.ID], r)
		}
	}
	out := make([]Row, 0, len(merged))
	for _, r := range merged {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Row) int { return cmp.Compare(a.ID, b.ID) })
	if err := s.putJSON(ctx, segmentKey(), out); err != nil {
		return err
	}
	for _, o := range objs {
		if err := s.remove(ctx, o.key); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) readSegment(ctx context.Context, key string) ([]Row, error) {
	var rows []Row
	if err := s.getJSON(ctx, key, maxIndexBytes, &rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// IndexWriter batches index rows of many callers into few segments: rows
// added while a segment is being written, or within the minimum spacing of
// segments, go into the next one. Its Run loop writes them; each Add's
// callback learns when its rows are stored.
type IndexWriter struct {
	s       *Store
	spacing time.Duration

	mu      sync.Mutex
	pending map[string]Row
	done    []func(error)
	wake    chan struct{}
	running atomic.Bool
}

// NewIndexWriter returns a writer that stores at most one segment per
// spacing (e.g. 200 ms).
func (s *Store) NewIndexWriter(spacing time.Duration) *IndexWriter {
	return &IndexWriter{s: s, spacing: spacing, pending: map[string]Row{}, wake: make(chan struct{}, 1)}
}

// Add queues rows; done (if not nil) is called once they are stored, from
// the Run goroutine. Rows of one policy are merged while they wait. Rows
// with an invalid id are refused at once (done gets ErrBadID).
func (w *IndexWriter) Add(rows []Row, done func(error)) {
	for _, r := range rows {
		if err := check(r.ID); err != nil {
			if done != nil {
				done(err)
			}
			return
		}
	}
	w.mu.Lock()
	for _, r := range rows {
		w.pending[r.ID] = merge(w.pending[r.ID], r)
	}
	if done != nil {
		w.done = append(w.done, done)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Flush waits until everything added so far is stored.
func (w *IndexWriter) Flush(ctx context.Context) error {
	if !w.running.Load() {
		return errors.New("store: index writer is not running")
	}
	ch := make(chan error, 1)
	w.Add(nil, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run writes the queued rows until ctx ends, then writes what is left
// (within a few seconds) and returns. A failed write is retried, later
// each time; the callbacks wait for it.
func (w *IndexWriter) Run(ctx context.Context) error {
	w.running.Store(true)
	defer w.running.Store(false)
	var last time.Time
	retry := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			err := w.write(final)
			w.fail(ctx.Err()) // whatever could not be written
			return err
		case <-w.wake:
		}
		wait := max(w.spacing-time.Since(last), retry)
		if wait > 0 {
			select {
			case <-ctx.Done():
				continue // the final write above
			case <-time.After(wait):
			}
		}
		last = time.Now()
		if err := w.write(ctx); err != nil {
			retry = min(max(2*retry, time.Second), 30*time.Second)
			if w.s.log != nil {
				w.s.log.Warn("index segment not stored; retrying", "err", err, "in", retry.String())
			}
			select {
			case w.wake <- struct{}{}:
			default:
			}
			continue
		}
		retry = 0
	}
}

// write stores what is pending as one segment and calls its callbacks; on
// failure everything stays pending.
func (w *IndexWriter) write(ctx context.Context) error {
	w.mu.Lock()
	rows := make([]Row, 0, len(w.pending))
	for _, r := range w.pending {
		rows = append(rows, r)
	}
	done := w.done
	w.pending, w.done = map[string]Row{}, nil
	w.mu.Unlock()
	if err := w.s.AppendIndex(ctx, rows); err != nil {
		w.mu.Lock()
		for _, r := range rows {
			w.pending[r.ID] = merge(r, w.pending[r.ID])
		}
		w.done = append(done, w.done...)
		w.mu.Unlock()
		return err
	}
	for _, d := range done {
		d(nil)
	}
	return nil
}

func (w *IndexWriter) fail(err error) {
	w.mu.Lock()
	done := w.done
	w.done = nil
	w.mu.Unlock()
	for _, d := range done {
		d(err)
	}
}

// IndexReader reads the index, caching the segments it has read (they
// never change), so that reading it again costs one listing plus the new
// segments.
type IndexReader struct {
	s *Store

	mu     sync.Mutex
	segs   map[string][]Row
	sig    string
	merged []Row
}

// NewIndexReader returns a reader of the index.
func (s *Store) NewIndexReader() *IndexReader {
	return &IndexReader{s: s, segs: map[string][]Row{}}
}

// Rows returns every policy's row, sorted by id. The slice is shared by
// callers until the index changes: do not modify it.
func (x *IndexReader) Rows(ctx context.Context) ([]Row, error) {
	// A listing is no snapshot: while a compaction writes its merged
	// segment and then deletes the parts, one listing can miss both the
	// merged segment (written after the listing passed its place) and some
	// parts (deleted before it reached theirs), and the index would look
	// smaller than it is. So the rows of a listing count only when the next
	// listing is the same: then nothing moved while it was read. A segment
	// listed but gone when read was compacted away; its rows are in a newer
	// segment, which the next listing shows. What was read is cached, so
	// each attempt reads only segments new to it.
	objs, err := x.s.list(ctx, indexPrefix)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		rows, err := x.rows(ctx, objs)
		if err != nil && (!errors.Is(err, errSegmentGone) || attempt >= maxIndexAttempts || ctx.Err() != nil) {
			return nil, err
		}
		again, lerr := x.s.list(ctx, indexPrefix)
		if lerr != nil {
			return nil, lerr
		}
		if err == nil && (sameKeys(objs, again) || attempt >= maxIndexAttempts) {
			return rows, nil
		}
		objs = again
	}
}

// maxIndexAttempts bounds the listings of one Rows call.
const maxIndexAttempts = 20

func sameKeys(a, b []objectInfo) bool {
	return slices.EqualFunc(a, b, func(x, y objectInfo) bool { return x.key == y.key })
}

var errSegmentGone = errors.New("store: an index segment was compacted away while the index was read")

// rows merges the segments of a listing.
func (x *IndexReader) rows(ctx context.Context, objs []objectInfo) ([]Row, error) {
	var sig bytes.Buffer
	for _, o := range objs {
		sig.WriteString(o.key)
		sig.WriteByte(';')
	}
	x.mu.Lock()
	if sig.String() == x.sig && x.merged != nil {
		defer x.mu.Unlock()
		return x.merged, nil
	}
	var missing []string
	for _, o := range objs {
		if _, ok := x.segs[o.key]; !ok {
			missing = append(missing, o.key)
		}
	}
	x.mu.Unlock()

	read, gone, err := x.readAll(ctx, missing)
	x.mu.Lock()
	defer x.mu.Unlock()
	maps.Copy(x.segs, read)
	if err != nil {
		return nil, err
	}
	if len(gone) > 0 {
		return nil, fmt.Errorf("%w: %s", errSegmentGone, strings.TrimPrefix(gone[0], indexPrefix))
	}
	listed := make(map[string]bool, len(objs))
	byID := map[string]Row{}
	for _, o := range objs { // in key order: time of writing
		listed[o.key] = true
		for _, r := range x.segs[o.key] {
			byID[r.ID] = merge(byID[r.ID], r)
		}
	}
	for k := range x.segs {
		if !listed[k] {
			delete(x.segs, k) // compacted away
		}
	}
	out := make([]Row, 0, len(byID))
	for _, r := range byID {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Row) int { return cmp.Compare(a.ID, b.ID) })
	x.sig, x.merged = sig.String(), out
	return out, nil
}

// readAll reads segments a few at a time: the rows of those it read, the
// keys of those no longer there, and the first other error.
func (x *IndexReader) readAll(ctx context.Context, keys []string) (map[string][]Row, []string, error) {
	out := make(map[string][]Row, len(keys))
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		gone     []string
		firstErr error
	)
	sem := make(chan struct{}, 16)
	for _, k := range keys {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			rows, err := x.s.readSegment(ctx, k)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrNotFound):
				gone = append(gone, k)
			case err != nil:
				if firstErr == nil {
					firstErr = fmt.Errorf("store: index segment %s: %w", strings.TrimPrefix(k, indexPrefix), err)
				}
			default:
				out[k] = rows
			}
		})
	}
	wg.Wait()
	return out, gone, firstErr
}
