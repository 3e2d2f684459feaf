package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/store"
)

// DeadLetters moves the jobs that exhausted their deliveries into the
// dead-letter stream and makes each a recorded failure (errorKind
// dead_letter, with the last error when the extractor could record it),
// announced like any other, so that its policy is reconciled with what it
// has instead of staying pending for ever.
type DeadLetters struct {
	Store *store.Store
	JS    jetstream.JetStream
	Log   *slog.Logger
}

// Run moves dead jobs until ctx ends; it returns an error only when it
// cannot go on (its consumer was deleted).
func (d *DeadLetters) Run(ctx context.Context) error {
	for failures := 0; ; {
		_, err := queue.MoveDead(ctx, d.JS, d.record, 5*time.Second)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, jetstream.ErrConsumerNotFound), errors.Is(err, jetstream.ErrConsumerDeleted):
			return fmt.Errorf("dead letters: %w: %v", ErrConsumerGone, err)
		}
		failures++
		wait := min(time.Duration(failures)*time.Second, 30*time.Second)
		d.Log.Warn("dead-letter mover failed; retrying", "err", err, "in", wait.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// record writes the failed record of a dead job, unless the extractor
// already did on its last delivery, and announces it.
func (d *DeadLetters) record(ctx context.Context, dj queue.DeadJob) (string, error) {
	job := dj.Job
	if !store.ValidID(job.PolicyID) || !store.ValidID(job.FileID) {
		return "invalid job ids: nothing to record", nil
	}
	runPrefix := strconv.FormatUint(dj.Seq, 10) + "."
	rec, err := d.Store.Record(ctx, job.PolicyID, job.FileID)
	switch {
	case err == nil && !rec.OK && strings.HasPrefix(rec.Run, runPrefix):
		return rec.ErrorKind + ": " + rec.Error, nil // recorded and announced by the extractor
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", err
	}
	rec = store.Record{PolicyID: job.PolicyID, FileID: job.FileID, FileName: job.FileName, FileURL: job.FileURL,
		ErrorKind: deadLetterKind, Run: runPrefix + "dead", At: time.Now().UTC(),
		Error: fmt.Sprintf("gave up after %d deliveries; the last ended without a recorded error (a crash or a timeout)", queue.JobMaxDeliver)}
	if err := d.Store.PutResult(ctx, rec, ""); err != nil {
		return "", err
	}
	ev := queue.Extracted{PolicyID: rec.PolicyID, FileID: rec.FileID, Error: rec.Error, Run: rec.Run, Record: &rec}
	if err := queue.PublishExtracted(ctx, d.JS, ev); err != nil {
		return "", err
	}
	d.Log.Warn("job dead-lettered", "policy", rec.PolicyID, "file", rec.FileID, "err", rec.Error)
	return rec.ErrorKind + ": " + rec.Error, nil
}

// deadLetterKind is the failure kind of a job that ran out of deliveries.
const deadLetterKind = "dead_letter"
