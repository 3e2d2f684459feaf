package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/store"
)

// Default worker counts of the stages, for their services' flags too. The
// reconciler's workers wait on the store more than they compute: with 2,
// they finished 4-6 s after the last extraction of a 10,000-attachment
// run (BENCHMARKS.md).
const (
	DefaultExtractorWorkers  = 4
	DefaultReconcilerWorkers = 4
)

// Reconciler compares a policy's attachments with its web text once all of
// them are settled, stores the report and the policy's index row.
//
// Events are coalesced per policy: the events of one policy that arrive
// within Settle of each other (at most MaxHold in all) are handled as one,
// with one read of the policy and one listing of its attachments; events a
// stored report already covers (same extraction runs, same record) cost
// one read of that report. A policy with a thousand attachments is thus
// compared once, when its last attachment settles, not a thousand times.
// The events are acknowledged only once the report and the index row are
// stored, so a crash at any point redoes the work, never loses it; each
// ack is confirmed by the server (sent again while it is not).
type Reconciler struct {
	Store   *store.Store
	JS      jetstream.JetStream
	Log     *slog.Logger
	Options reconcile.Options
	Workers int           // policies at once, default DefaultReconcilerWorkers
	Settle  time.Duration // default 250 ms
	MaxHold time.Duration // default 2 s
	// Retry is the redelivery delay after a transient failure.
	Retry         func(delivered uint64) time.Duration
	ShutdownGrace time.Duration
	// IndexSpacing is the least time between two index segments (default 200 ms).
	IndexSpacing time.Duration
	Observe      func(verdict string, took time.Duration)

	// seen keeps the records of the attachments of policies that are not
	// settled yet, from their events, so that the last event's comparison
	// reads only the texts (bounded: dropped whole when too large).
	mu    sync.Mutex
	seen  map[string]map[string]store.Record
	nSeen int
	// reports remembers what the reports this reconciler wrote cover.
	reports map[string]reportSummary
}

// maxSeen bounds the records kept for unsettled policies, maxReported
// the reports remembered.
const (
	maxSeen     = 200_000
	maxReported = 100_000
)

// reportSummary is what a stored report covers, and its index facts.
type reportSummary struct {
	sha   string
	runs  map[string]string // file id → extraction run
	facts *store.ReportFacts
}

// covers tells whether the report took every event into account.
func (s reportSummary) covers(events []*queue.Extracted, policySHA []string) bool {
	for _, e := range events {
		if run, ok := s.runs[e.FileID]; !ok || e.Run == "" || run != e.Run {
			return false
		}
	}
	for _, sha := range policySHA {
		if sha != s.sha {
			return false
		}
	}
	return true
}

func (r *Reconciler) reported(policy string) (reportSummary, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.reports[policy]
	return s, ok
}

// noteReport remembers what a report covers.
func (r *Reconciler) noteReport(rep store.Report) reportSummary {
	s := reportSummary{sha: rep.PolicySHA256, runs: make(map[string]string, len(rep.Attachments)), facts: store.NewReportFacts(rep)}
	for _, a := range rep.Attachments {
		s.runs[a.FileID] = a.Run
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reports == nil || len(r.reports) > maxReported {
		r.reports = map[string]reportSummary{}
	}
	r.reports[rep.PolicyID] = s
	return s
}

// remember merges records into what is kept of a policy and returns it.
func (r *Reconciler) remember(policy string, recs map[string]store.Record) map[string]store.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil || r.nSeen > maxSeen {
		r.seen, r.nSeen = map[string]map[string]store.Record{}, 0
	}
	kept := r.seen[policy]
	if kept == nil {
		kept = map[string]store.Record{}
		r.seen[policy] = kept
	}
	for id, rec := range recs {
		if old, ok := kept[id]; !ok || rec.At.After(old.At) {
			if !ok {
				r.nSeen++
			}
			kept[id] = rec
		}
	}
	return maps.Clone(kept)
}

// forget drops what is kept of a settled policy.
func (r *Reconciler) forget(policy string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nSeen -= len(r.seen[policy])
	delete(r.seen, policy)
}

// group is the waiting events of one policy.
type group struct {
	policy      string
	msgs        []jetstream.Msg
	events      []event // msgs decoded, one for one
	first, last time.Time
}

// event is an events-stream message, decoded once (an extracted event
// carries a text of up to 64 KiB): one of the two, or neither when it
// could not be read (err).
type event struct {
	changed   *queue.PolicyChanged
	extracted *queue.Extracted
	err       error
}

func decodeEvent(m jetstream.Msg) event {
	if queue.IsPolicyChanged(m.Subject()) {
		ev, err := queue.Decode[queue.PolicyChanged](m.Data())
		return event{changed: &ev, err: err}
	}
	ev, err := queue.Decode[queue.Extracted](m.Data())
	return event{extracted: &ev, err: err}
}

// policy is the policy the event is about ("" when unreadable).
func (e event) policy() string {
	switch {
	case e.err != nil:
		return ""
	case e.changed != nil:
		return e.changed.PolicyID
	}
	return e.extracted.PolicyID
}

// Run reconciles until ctx ends; it returns an error when it cannot go on.
func (r *Reconciler) Run(ctx context.Context) error {
	cons, err := r.JS.Consumer(ctx, queue.EventsStream, queue.ReconcilerDur)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return fmt.Errorf("reconciler: consumer %s: %w", queue.ReconcilerDur, err)
	}
	// Acks are confirmed (DoubleAck), by a goroutine of their own: a plain
	// ack lost while a stream leader was elected left its event to come
	// back after the ack wait (60 s; seen in the cluster test), and the
	// index writer, which acks once rows are stored, must not wait on NATS.
	// It outlives the index writer, whose last flush acks too.
	acks := make(chan []jetstream.Msg, 256)
	ackCtx, stopAcks := context.WithCancel(context.WithoutCancel(ctx))
	acked := make(chan struct{})
	go func() { defer close(acked); r.confirmAcks(ackCtx, acks) }()
	defer func() {
		close(acks)
		t := time.AfterFunc(5*time.Second, stopAcks) // then the rest unconfirmed
		<-acked
		t.Stop()
		stopAcks()
	}()

	index := r.Store.NewIndexWriter(cmpDur(r.IndexSpacing, 200*time.Millisecond))
	// the index writer outlives the workers: their acks wait for it
	indexCtx, stopIndex := context.WithCancel(context.WithoutCancel(ctx))
	indexDone := make(chan error, 1)
	go func() { indexDone <- index.Run(indexCtx) }()
	defer func() { stopIndex(); <-indexDone }()

	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(cmpDur(r.ShutdownGrace, DefaultShutdownGrace), cancelJobs) })
	defer stopGrace()

	work := make(chan *group)
	finished := make(chan string, 64)
	g, gctx := errgroup.WithContext(ctx)
	for range cmpOr(r.Workers, DefaultReconcilerWorkers) {
		g.Go(func() error {
			for grp := range work {
				r.handleGroup(jobCtx, grp, index, acks)
				finished <- grp.policy
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(work)
		return r.gather(gctx, cons, work, finished)
	})
	if err := g.Wait(); err != nil {
		return fmt.Errorf("reconciler: %w", err)
	}
	return nil
}

// gather fetches events, groups them by policy and hands a group to the
// workers once it has settled, one group per policy at a time.
func (r *Reconciler) gather(ctx context.Context, cons jetstream.Consumer, work chan<- *group, finished <-chan string) error {
	settle, maxHold := cmpDur(r.Settle, 250*time.Millisecond), cmpDur(r.MaxHold, 2*time.Second)
	waiting := map[string]*group{}
	busy := map[string]bool{}
	var ready []*group
	p := pool{js: r.JS, stream: queue.EventsStream, durable: queue.ReconcilerDur, log: r.Log}
	failures := 0
	for ctx.Err() == nil {
		batch, err := cons.Fetch(64, jetstream.FetchMaxWait(100*time.Millisecond))
		if err == nil {
			now := time.Now()
			for m := range batch.Messages() {
				ev := decodeEvent(m)
				id := ev.policy()
				grp := waiting[id]
				if grp == nil {
					grp = &group{policy: id, first: now}
					waiting[id] = grp
				}
				grp.msgs, grp.events = append(grp.msgs, m), append(grp.events, ev)
				grp.last = now
			}
			err = batch.Error()
		}
		switch {
		case err == nil || errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
			failures = 0
		default:
			if gone := p.gone(ctx, err); gone != nil {
				return gone
			}
			failures++
			if failures == 10 {
				r.Log.Warn("cannot fetch events; still trying", "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(min(time.Duration(failures)*200*time.Millisecond, 5*time.Second)):
			}
		}
		for drained := false; !drained; {
			select {
			case id := <-finished:
				delete(busy, id)
			default:
				drained = true
			}
		}
		now := time.Now()
		for id, grp := range waiting {
			if !busy[id] && (now.Sub(grp.last) >= settle || now.Sub(grp.first) >= maxHold) {
				ready = append(ready, grp)
				busy[id] = true
				delete(waiting, id)
			}
		}
	dispatch:
		for len(ready) > 0 {
			select {
			case work <- ready[0]:
				ready = ready[1:]
			case id := <-finished:
				delete(busy, id)
			case <-ctx.Done():
				break dispatch
			}
		}
	}
	// shutting down: what was not handed over would be redelivered after
	// AckWait; tell the server now
	for _, grp := range ready {
		nakLater(grp.msgs)
	}
	for _, grp := range waiting {
		nakLater(grp.msgs)
	}
	return nil
}

func nakLater(msgs []jetstream.Msg) {
	for _, m := range msgs {
		m.NakWithDelay(time.Second)
	}
}

// ackConfirmFor is how long an ack is tried until the server confirms it.
const ackConfirmFor = 10 * time.Second

// confirmAcks acks the messages it is given, each until the server
// confirms it (or ackConfirmFor has passed), until acks is closed; once
// ctx ends, the rest are acked without waiting for an answer.
func (r *Reconciler) confirmAcks(ctx context.Context, acks <-chan []jetstream.Msg) {
	for msgs := range acks {
		for _, m := range msgs {
			if ctx.Err() != nil {
				m.Ack()
				continue
			}
			if err := retryFor(ctx, ackConfirmFor, m.DoubleAck); err != nil {
				r.Log.Warn("event ack not confirmed; it may come back after the ack wait (its report covers it)", "err", err)
			}
		}
	}
}

// handleGroup reconciles one policy for its waiting events and decides
// their fate together.
func (r *Reconciler) handleGroup(ctx context.Context, grp *group, index *store.IndexWriter, acks chan<- []jetstream.Msg) {
	start := time.Now()
	log := r.Log.With("policy", grp.policy)
	backoff := r.Retry
	if backoff == nil {
		backoff = defaultBackoff
	}
	// settle the events none of which can ever be handled
	var (
		msgs      []jetstream.Msg
		events    []*queue.Extracted
		policySHA []string
		redeliv   bool
	)
	for i, m := range grp.msgs {
		if ev := grp.events[i]; ev.changed != nil {
			if ev.err != nil || !store.ValidID(ev.changed.PolicyID) {
				log.Error("terminating malformed policy event", "err", ev.err)
				m.TermWithReason("malformed policy event")
				continue
			}
			policySHA = append(policySHA, ev.changed.SHA256)
		} else {
			if ev.err != nil || !store.ValidID(ev.extracted.PolicyID) {
				log.Error("terminating malformed extracted event", "err", ev.err)
				m.TermWithReason("malformed extracted event")
				continue
			}
			events = append(events, ev.extracted)
		}
		msgs = append(msgs, m)
		redeliv = redeliv || delivered(m) > 1
	}
	if len(msgs) == 0 {
		return
	}
	ackAll := func(err error) {
		if err == nil {
			acks <- msgs
			return
		}
		for _, m := range msgs {
			m.NakWithDelay(backoff(delivered(m)))
		}
	}
	fail := func(err error) {
		switch {
		case errors.Is(err, store.ErrNotFound):
			// the policy record is not stored yet: the fetcher stores it
			// right after queueing its jobs, so look again soon
			log.Debug("policy not stored yet; retrying", "err", err)
			for _, m := range msgs {
				m.NakWithDelay(min(time.Duration(delivered(m))*time.Second, backoff(delivered(m))))
			}
		case errors.Is(err, store.ErrBadID), errors.Is(err, store.ErrCorrupt), errors.Is(err, store.ErrTooLarge):
			// no retry can read what is stored: say so, for good
			log.Error("cannot reconcile policy", "err", err)
			for _, m := range msgs {
				m.TermWithReason("unreadable policy: " + err.Error())
			}
		default:
			// the store is away, or the policy record is not stored yet
			// (the fetcher stores it after queueing its jobs): later
			log.Warn("reconcile failed; retrying", "err", err)
			ackAll(err)
		}
	}
	stop := keepAlive(20*time.Second, msgs...)
	defer stop()

	// events a report already covers need no new report: the reports
	// this reconciler wrote are remembered; the stored one is read only
	// for redelivered events (another process, or a crash, may have made it)
	prev, known := r.reported(grp.policy)
	if !known && redeliv {
		rep, err := r.Store.Report(ctx, grp.policy)
		switch {
		case err == nil:
			prev, known = r.noteReport(rep), true
		case !errors.Is(err, store.ErrNotFound):
			fail(err)
			return
		}
	}
	if known && prev.covers(events, policySHA) {
		if redeliv { // the row may have been lost with a crash
			index.Add([]store.Row{{ID: grp.policy, Report: prev.facts}}, ackAll)
		} else {
			ackAll(nil)
		}
		return
	}

	fromEvents := map[string]store.Record{}
	textOf := map[string]*string{}
	for _, e := range events {
		if e.Record != nil && (fromEvents[e.FileID].At.IsZero() || e.Record.At.After(fromEvents[e.FileID].At)) {
			fromEvents[e.FileID], textOf[e.FileID] = *e.Record, e.Text
		}
	}
	have := r.remember(grp.policy, fromEvents)
	// the texts the events carried, of the records that are still the
	// latest known (an earlier group may have seen a later run)
	texts := map[string]string{}
	for id, t := range textOf {
		if k := have[id]; t != nil && k.Run == fromEvents[id].Run && k.At.Equal(fromEvents[id].At) {
			texts[id] = *t
		}
	}
	c, err := r.Store.Compared(ctx, grp.policy, have, texts)
	if err != nil {
		fail(err)
		return
	}
	if !c.Settled {
		// the event of the last attachment will bring it back
		read := map[string]store.Record{}
		for _, rec := range c.Records {
			if !rec.At.IsZero() {
				read[rec.FileID] = rec
			}
		}
		r.remember(grp.policy, read)
		ackAll(nil)
		return
	}
	r.forget(grp.policy)
	rep := store.Report{PolicyID: c.Policy.ID, Title: c.Policy.PolicyTitle, PolicySHA256: store.PolicySHA256(c.Policy),
		Report: reconcile.Compare(c.Attachment, c.Web, r.Options), At: time.Now().UTC()}
	for _, rec := range c.Records {
		rep.Attachments = append(rep.Attachments, store.AttachmentNote{FileID: rec.FileID, OK: rec.OK, Error: rec.Error,
			ErrorKind: rec.ErrorKind, Run: rec.Run})
	}
	if err := r.Store.PutReport(ctx, rep); err != nil {
		fail(err)
		return
	}
	r.noteReport(rep)
	index.Add([]store.Row{{ID: rep.PolicyID, Report: store.NewReportFacts(rep)}}, ackAll)
	log.Info("reconciled", "verdict", rep.Report.Verdict, "events", len(msgs), "took", time.Since(start).Round(time.Millisecond).String())
	if r.Observe != nil {
		r.Observe(rep.Report.Verdict, time.Since(start))
	}
}
