// Package pipeline holds the stages of the product and their run loops:
// the fetcher (portal → stored policies → attachment jobs), the extractor
// (job → original, text and record in S3 → "extracted" event), the
// dead-letter mover (a job out of deliveries → a failed record), and the
// reconciler (a policy whose attachments are settled → its report). Each
// stage's Run returns when its context ends (nil) or when it cannot go on
// (an error the process exits with); every message handler says, on every
// branch, why it acks, naks or terminates.
//
// The stages read and write the bucket only through pkg/store and spell
// no subject: pkg/queue does.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// defaultBackoff is the redelivery delay of a transient failure.
// The default delays (5, 10, 20, 40 s before the fifth and last delivery)
// add up to 75 s, so an outage of the store or the portal of up to a minute
// delays jobs without sending them to the dead-letter stream.
var defaultBackoff = Backoff(5 * time.Second)

// Backoff returns redelivery delays that double from base (capped at 2 min).
func Backoff(base time.Duration) func(delivered uint64) time.Duration {
	return func(delivered uint64) time.Duration {
		return min(base<<min(max(delivered, 1)-1, 10), 2*time.Minute)
	}
}

// DefaultShutdownGrace is how long a job in hand may still run after
// shutdown begins; then its context ends and it is redelivered later.
const DefaultShutdownGrace = 20 * time.Second

// ErrConsumerGone: the durable consumer a stage reads was deleted; the
// stage cannot go on (restarting the process recreates it).
var ErrConsumerGone = errors.New("pipeline: consumer deleted")

// pool runs n fetch loops on one durable consumer; each message is handled
// to the end before its loop takes the next (so AckWait only runs while a
// job is really being worked on). It returns nil when ctx ends, after the
// jobs in hand finished or their grace ran out, and an error when the
// consumer is gone.
type pool struct {
	js              jetstream.JetStream
	stream, durable string
	n               int
	grace           time.Duration
	log             *slog.Logger
	handle          func(context.Context, jetstream.Msg)
}

func (p pool) run(ctx context.Context) error {
	cons, err := p.js.Consumer(ctx, p.stream, p.durable)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return fmt.Errorf("consumer %s: %w", p.durable, err)
	}
	grace := p.grace
	if grace <= 0 {
		grace = DefaultShutdownGrace
	}
	// Jobs in hand outlive ctx by the grace period: their acks must land.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancelJobs) })
	defer stopGrace()

	errs := make(chan error, max(p.n, 1))
	for range max(p.n, 1) {
		go func() { errs <- p.loop(ctx, jobCtx, cons) }()
	}
	var first error
	for range max(p.n, 1) {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (p pool) loop(ctx, jobCtx context.Context, cons jetstream.Consumer) error {
	failures := 0
	for ctx.Err() == nil {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err == nil {
			for m := range batch.Messages() {
				p.handle(jobCtx, m)
			}
			err = batch.Error()
		}
		if err == nil || errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			failures = 0
			continue
		}
		if gone := p.gone(ctx, err); gone != nil {
			return gone
		}
		// the server is restarting or unreachable: try again, later each time
		failures++
		wait := min(time.Duration(failures)*200*time.Millisecond, 5*time.Second)
		if failures == 10 {
			p.log.Warn("cannot fetch from the queue; still trying", "consumer", p.durable, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	return nil
}

// gone tells a deleted consumer or a closed connection (which no retry
// can mend) from a transient fault.
func (p pool) gone(ctx context.Context, err error) error {
	if errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("consumer %s: %w", p.durable, err)
	}
	if !errors.Is(err, jetstream.ErrConsumerDeleted) && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil
	}
	check, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := p.js.Consumer(check, p.stream, p.durable); errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("%w: %s on %s", ErrConsumerGone, p.durable, p.stream)
	}
	return nil
}

// keepAlive tells the server the message is being worked on, so that a long
// download or comparison is not redelivered to another worker.
func keepAlive(every time.Duration, msgs ...jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, m := range msgs {
					m.InProgress()
				}
			}
		}
	}()
	return func() { close(done) }
}

// delivered is how often the message has been delivered (1 the first time).
func delivered(m jetstream.Msg) uint64 {
	if md, err := m.Metadata(); err == nil && md != nil {
		return md.NumDelivered
	}
	return 1
}

// streamSeq is the message's sequence in its stream (0 if unknown).
func streamSeq(m jetstream.Msg) uint64 {
	if md, err := m.Metadata(); err == nil && md != nil {
		return md.Sequence.Stream
	}
	return 0
}

func sinceMS(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
