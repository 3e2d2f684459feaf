// Package queue owns everything NATS: the JetStream streams and subjects,
// the versioned message types, the durable consumers, and their setup,
// which is idempotent at start-up. No other package spells a subject.
//
// Attachment jobs go to a WorkQueue stream with one durable pull consumer
// shared by every extractor (explicit ack, Nats-Msg-Id dedup). A job that
// exhausts MaxDeliver stays in a WorkQueue stream (JetStream has no dead
// letter), so MoveDead reads the max-deliveries advisories, copies the job
// with its reason into the dead-letter stream and deletes it from the
// work queue.
//
// Requests to process policies wait in their own stream until a fetcher
// handles them; whoever asked may wait for the answer on its inbox
// (RequestProcessWait).
package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/store"
)

// Streams, subjects and consumers.
const (
	JobsStream      = "POLICYTEXT_JOBS"
	JobSubject      = "policytext.jobs.attachment"
	DeadStream      = "POLICYTEXT_DEAD"
	DeadSubject     = "policytext.dead.attachment"
	EventsStream    = "POLICYTEXT_EVENTS"
	ExtractedSubj   = "policytext.events.extracted"
	PolicySubj      = "policytext.events.policy"
	RequestsStream  = "POLICYTEXT_REQUESTS"
	RequestSubject  = "policytext.requests.process"
	AdvisoryStream  = "POLICYTEXT_ADVISORIES"
	ExtractorDur    = "extractor"
	ReconcilerDur   = "reconciler"
	FetcherDur      = "fetcher"
	DeadMoverDur    = "dead-mover"
	maxDeliverAdvis = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + JobsStream + ".>"
)

// Version is the version of the message types below; readers refuse
// messages of a newer major version.
const Version = 1

// AttachmentJob asks an extractor to process one attachment.
type AttachmentJob struct {
	V        int    `json:"v"`
	PolicyID string `json:"policyId"`
	FileID   string `json:"fileId"`
	FileName string `json:"fileName"`
	FileType string `json:"fileType"`
	FileURL  string `json:"fileUrl"`
	Reason   string `json:"reason,omitempty"` // on the dead-letter copy: why it died
}

// Extracted says an attachment is done (with text, or failed for good).
// It carries the record the extractor stored and, up to MaxEventText
// bytes, the text, so that the reconciler need not read them back.
type Extracted struct {
	V        int           `json:"v"`
	PolicyID string        `json:"policyId"`
	FileID   string        `json:"fileId"`
	OK       bool          `json:"ok"`
	Error    string        `json:"error,omitempty"`
	Run      string        `json:"run,omitempty"` // the extraction run (store.Record.Run)
	Record   *store.Record `json:"record,omitempty"`
	// Text is the stored text of Record (nil when not carried: a failure,
	// or a text longer than MaxEventText).
	Text *string `json:"text,omitempty"`
}

// MaxEventText is the longest text an Extracted event carries (bytes).
// Most texts of the portal are 5-30 KB; a longer one is read from the
// bucket. Escaped as JSON it stays well inside NATS's 1 MB payload.
const MaxEventText = 64 << 10

// PolicyChanged says a policy record was stored that the reconciler must
// look at although no attachment changed: a new policy without
// attachments, or a changed web text.
type PolicyChanged struct {
	V        int    `json:"v"`
	PolicyID string `json:"policyId"`
	SHA256   string `json:"sha256"` // store.PolicySHA256 of the stored record
}

// ProcessRequest asks the fetcher to (re)process policies: stored ones
// are queued again, others are looked for on the portal. When ReplyTo is
// set (an inbox), the fetcher answers there with a ProcessReply.
type ProcessRequest struct {
	V         int      `json:"v"`
	PolicyIDs []string `json:"policyIds"`
	ReplyTo   string   `json:"replyTo,omitempty"`
}

// ProcessReply answers a ProcessRequest, one result per id in its order.
type ProcessReply struct {
	V       int             `json:"v"`
	Results []ProcessResult `json:"results"`
}

// ProcessResult is what became of one requested id.
type ProcessResult struct {
	ID          string `json:"id"`
	Status      string `json:"status"`      // one of the Status* constants
	Attachments int    `json:"attachments"` // jobs queued
	Message     string `json:"message,omitempty"`
}

// Statuses of a requested id.
const (
	StatusQueued       = "queued"       // found on the portal (never crawled before), stored and queued
	StatusReprocessing = "reprocessing" // stored already (up to date): its attachments queued again
	StatusNotFound     = "not_found"    // not on the portal
	StatusInvalid      = "invalid"      // not a policy id
	StatusError        = "error"        // could not be done now (Message says why); the request may be retried
)

// ValidReplyTo reports whether a reply subject is an inbox: a request must
// never make the fetcher publish anywhere else (a job subject, say).
func ValidReplyTo(subject string) bool {
	return strings.HasPrefix(subject, "_INBOX.") && !strings.ContainsAny(subject, " \t\r\n*>")
}

// Reply publishes the answer to a request's inbox (core NATS: whoever
// waits gets it; nobody waiting is no error).
func Reply(js jetstream.JetStream, replyTo string, r ProcessReply) error {
	if !ValidReplyTo(replyTo) {
		return fmt.Errorf("queue: reply subject %q is not an inbox", replyTo)
	}
	r.V = Version
	b, _ := json.Marshal(r)
	if err := js.Conn().Publish(replyTo, b); err != nil {
		return fmt.Errorf("queue: reply: %w", err)
	}
	return nil
}

// Tunables of the job consumer.
const (
	JobAckWait    = 60 * time.Second
	JobMaxDeliver = 5
)

// MaxReplicas is the most copies JetStream keeps of a stream.
const MaxReplicas = 5

// Option tunes Setup.
type Option func(*setupOptions)

type setupOptions struct {
	replicas int
}

// WithReplicas keeps n copies of every stream (and of its consumers, which
// follow their stream) on as many servers of a NATS cluster: 1 (the
// default) on a single server, 3 on a three-node cluster, so that losing
// one server loses nothing and stops nothing. An existing stream with fewer
// copies is raised to n; one with more keeps them (lowering them is an
// operator's decision, and a process started with the default must not
// undo a cluster's setting).
func WithReplicas(n int) Option { return func(o *setupOptions) { o.replicas = n } }

// ErrReplicas: a replicas setting JetStream cannot have.
var ErrReplicas = errors.New("queue: replicas must be 1 to 5")

// Setup creates or updates the streams and creates the durable consumers
// that do not exist yet. It may run in every process at every start.
func Setup(ctx context.Context, js jetstream.JetStream, opts ...Option) error {
	o := setupOptions{replicas: 1}
	for _, opt := range opts {
		opt(&o)
	}
	if o.replicas < 1 || o.replicas > MaxReplicas {
		return fmt.Errorf("%w: %d", ErrReplicas, o.replicas)
	}
	streams := []jetstream.StreamConfig{
		{Name: JobsStream, Subjects: []string{JobSubject}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Duplicates: 10 * time.Minute},
		{Name: DeadStream, Subjects: []string{DeadSubject}, Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage},
		// Events are kept (for 30 days) so that status can count the done
		// and failed attachments per subject; the reconciler's durable
		// consumer tracks what it has handled.
		{Name: EventsStream, Subjects: []string{ExtractedSubj + ".>", PolicySubj}, Retention: jetstream.LimitsPolicy,
			Storage: jetstream.FileStorage, MaxAge: 30 * 24 * time.Hour},
		{Name: RequestsStream, Subjects: []string{RequestSubject}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage},
		{Name: AdvisoryStream, Subjects: []string{maxDeliverAdvis}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage},
	}
	for _, sc := range streams {
		sc.Replicas = o.replicas
		if s, err := js.Stream(ctx, sc.Name); err == nil {
			sc.Replicas = max(sc.Replicas, s.CachedInfo().Config.Replicas)
		} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("queue: stream %s: %w", sc.Name, err)
		}
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("queue: stream %s (%d replicas): %w", sc.Name, sc.Replicas, err)
		}
	}
	consumers := []struct {
		stream string
		cfg    jetstream.ConsumerConfig
	}{
		{JobsStream, jetstream.ConsumerConfig{Durable: ExtractorDur, AckPolicy: jetstream.AckExplicitPolicy,
			// No BackOff: the server applies it to naks with a delay too,
			// which would override the worker's own retry delay.
			AckWait: JobAckWait, MaxDeliver: JobMaxDeliver, MaxAckPending: 256}},
		{EventsStream, jetstream.ConsumerConfig{Durable: ReconcilerDur, AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: 60 * time.Second, MaxDeliver: 10, MaxAckPending: 256}},
		{RequestsStream, jetstream.ConsumerConfig{Durable: FetcherDur, AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: 5 * time.Minute, MaxDeliver: 5}},
		{AdvisoryStream, jetstream.ConsumerConfig{Durable: DeadMoverDur, AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: 30 * time.Second, MaxDeliver: 10}},
	}
	for _, c := range consumers {
		// An existing consumer keeps its settings: an operator (or a test)
		// may have tuned them, and every process runs Setup at start.
		if _, err := js.Consumer(ctx, c.stream, c.cfg.Durable); err == nil {
			continue
		} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return fmt.Errorf("queue: consumer %s: %w", c.cfg.Durable, err)
		}
		if _, err := js.CreateOrUpdateConsumer(ctx, c.stream, c.cfg); err != nil {
			return fmt.Errorf("queue: consumer %s: %w", c.cfg.Durable, err)
		}
	}
	return nil
}

// JobID is the Nats-Msg-Id of a job: the same attachment at the same URL
// is one job within the dedup window, whoever publishes it.
func JobID(j AttachmentJob) string {
	h := sha256.Sum256([]byte(j.FileURL))
	return "att:" + j.PolicyID + ":" + j.FileID + ":" + hex.EncodeToString(h[:6])
}

// PublishJob queues an attachment job; a duplicate within the window is
// not an error (published reports whether it was new).
func PublishJob(ctx context.Context, js jetstream.JetStream, j AttachmentJob, msgID string) (published bool, err error) {
	j.V = Version
	b, _ := json.Marshal(j)
	if msgID == "" {
		msgID = JobID(j)
	}
	ack, err := js.Publish(ctx, JobSubject, b, jetstream.WithMsgID(msgID))
	if err != nil {
		return false, fmt.Errorf("queue: publish job %s: %w", msgID, err)
	}
	return !ack.Duplicate, nil
}

// PublishExtracted announces a finished attachment. An event with a Run
// is published once per run within the events stream's dedup window
// (two minutes): a publish whose answer was lost (a server crashed, a
// leader was being elected) can be tried again without a second event.
func PublishExtracted(ctx context.Context, js jetstream.JetStream, e Extracted) error {
	e.V = Version
	b, _ := json.Marshal(e)
	subj := ExtractedSubj + ".ok"
	if !e.OK {
		subj = ExtractedSubj + ".failed"
	}
	var opts []jetstream.PublishOpt
	if e.Run != "" {
		opts = append(opts, jetstream.WithMsgID("extracted:"+e.PolicyID+":"+e.FileID+":"+e.Run))
	}
	_, err := js.Publish(ctx, subj, b, opts...)
	if err != nil {
		return fmt.Errorf("queue: publish extracted: %w", err)
	}
	return nil
}

// PublishPolicyChanged announces a policy the reconciler must look at.
func PublishPolicyChanged(ctx context.Context, js jetstream.JetStream, e PolicyChanged) error {
	e.V = Version
	b, _ := json.Marshal(e)
	if _, err := js.Publish(ctx, PolicySubj, b); err != nil {
		return fmt.Errorf("queue: publish policy changed: %w", err)
	}
	return nil
}

// IsPolicyChanged tells a PolicyChanged event from an Extracted one by
// its subject.
func IsPolicyChanged(subject string) bool { return subject == PolicySubj }

// RequestProcess asks the fetcher to (re)process policies. The request is
// kept in a stream until a fetcher handles it, so it survives a fetcher
// that is down; nobody waits for an answer.
func RequestProcess(ctx context.Context, js jetstream.JetStream, ids []string) error {
	b, _ := json.Marshal(ProcessRequest{V: Version, PolicyIDs: ids})
	_, err := js.Publish(ctx, RequestSubject, b)
	if err != nil {
		return fmt.Errorf("queue: publish request: %w", err)
	}
	return nil
}

// ErrNoAnswer: no fetcher answered a request in time; the request stays
// queued and is handled when a fetcher runs.
var ErrNoAnswer = errors.New("queue: no answer from a fetcher")

// RequestProcessWait asks as RequestProcess does and waits (until ctx
// ends) for the fetcher's answer.
func RequestProcessWait(ctx context.Context, js jetstream.JetStream, ids []string) (ProcessReply, error) {
	nc := js.Conn()
	inbox := nc.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return ProcessReply{}, fmt.Errorf("queue: %w", err)
	}
	defer sub.Unsubscribe()
	b, _ := json.Marshal(ProcessRequest{V: Version, PolicyIDs: ids, ReplyTo: inbox})
	if _, err := js.Publish(ctx, RequestSubject, b); err != nil {
		return ProcessReply{}, fmt.Errorf("queue: publish request: %w", err)
	}
	m, err := sub.NextMsgWithContext(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ProcessReply{}, ErrNoAnswer
		}
		return ProcessReply{}, fmt.Errorf("queue: %w", err)
	}
	return Decode[ProcessReply](m.Data)
}

// ErrVersion: a message of a version this code does not know.
var ErrVersion = errors.New("queue: unknown message version")

// Decode reads a message of type T and checks its version.
func Decode[T AttachmentJob | Extracted | PolicyChanged | ProcessRequest | ProcessReply](b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("queue: decode: %w", err)
	}
	var head struct {
		V int `json:"v"`
	}
	json.Unmarshal(b, &head)
	if head.V != Version {
		return v, fmt.Errorf("%w: %d", ErrVersion, head.V)
	}
	return v, nil
}

// Connect connects to NATS with a name and endless reconnects (servers
// restart; clients must not give up). opts come last (UserInfo, say).
func Connect(url, name string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	opts = append([]nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("queue: connect: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// UserInfo logs in as user with password; with no user it adds nothing
// (a server without authorization, or credentials in the URL).
func UserInfo(user, password string) []nats.Option {
	if user == "" {
		return nil
	}
	return []nats.Option{nats.UserInfo(user, password)}
}

// DeadJob is a job that exhausted its deliveries.
type DeadJob struct {
	Job AttachmentJob
	Seq uint64 // its sequence in the jobs stream
}

// MoveDead moves jobs that exhausted MaxDeliver into the dead-letter
// stream until ctx ends. For each, onDead runs first (to record the
// failure) and returns the reason kept with the dead job; if it fails, the
// job stays where it is and is tried again a second later. With wait 0 it
// returns once nothing is pending; otherwise it keeps watching. It returns
// nil when ctx ends and an error when it cannot fetch.
func MoveDead(ctx context.Context, js jetstream.JetStream, onDead func(context.Context, DeadJob) (reason string, err error), wait time.Duration) (moved int, err error) {
	cons, err := js.Consumer(ctx, AdvisoryStream, DeadMoverDur)
	if err != nil {
		return 0, fmt.Errorf("queue: dead mover: %w", err)
	}
	jobs, err := js.Stream(ctx, JobsStream)
	if err != nil {
		return 0, fmt.Errorf("queue: dead mover: %w", err)
	}
	for ctx.Err() == nil {
		batch, err := cons.Fetch(16, jetstream.FetchMaxWait(max(wait, 100*time.Millisecond)))
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return moved, fmt.Errorf("queue: dead mover: %w", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			var adv struct {
				StreamSeq uint64 `json:"stream_seq"`
			}
			if json.Unmarshal(m.Data(), &adv) != nil || adv.StreamSeq == 0 {
				m.Term()
				continue
			}
			raw, err := jobs.GetMsg(ctx, adv.StreamSeq)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				m.Ack() // already moved (or acked at the last moment)
				continue
			} else if err != nil {
				m.NakWithDelay(time.Second)
				continue
			}
			job, _ := Decode[AttachmentJob](raw.Data)
			reason, err := onDead(ctx, DeadJob{Job: job, Seq: adv.StreamSeq})
			if err != nil {
				m.NakWithDelay(time.Second)
				continue
			}
			job.V, job.Reason = Version, reason
			b, _ := json.Marshal(job)
			if _, err := js.Publish(ctx, DeadSubject, b, jetstream.WithMsgID(fmt.Sprintf("dead:%d", adv.StreamSeq))); err != nil {
				m.NakWithDelay(time.Second)
				continue
			}
			if err := jobs.DeleteMsg(ctx, adv.StreamSeq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
				m.NakWithDelay(time.Second)
				continue
			}
			moved++
			m.Ack()
		}
		if n == 0 && wait == 0 {
			return moved, nil
		}
	}
	return moved, nil
}

// Status is a snapshot of the queues.
type Status struct {
	JobsWaiting    uint64 `json:"jobsWaiting"`    // not yet delivered
	JobsInProgress int    `json:"jobsInProgress"` // delivered, not acked
	JobsRetrying   int    `json:"jobsRetrying"`   // redelivered at least once
	Dead           uint64 `json:"dead"`           // in the dead-letter stream
	Done           uint64 `json:"done"`           // attachments extracted (events of the last 30 days; a reprocessed one counts again)
	Failed         uint64 `json:"failed"`         // attachments failed for good, with a recorded reason (same window)
	EventsWaiting  uint64 `json:"eventsWaiting"`  // extracted, not reconciled yet
	Requests       uint64 `json:"requests"`       // reprocessing requests waiting
}

// ReadStatus reads the depths of the streams and consumers. Any read that
// fails fails the status: a count it could not read is not a zero.
func ReadStatus(ctx context.Context, js jetstream.JetStream) (Status, error) {
	var s Status
	jobsCons, jobs, err := queueState(ctx, js, JobsStream, ExtractorDur, "")
	if err != nil {
		return s, err
	}
	s.JobsWaiting = undelivered(jobsCons, jobs)
	s.JobsInProgress, s.JobsRetrying = jobsCons.NumAckPending, jobsCons.NumRedelivered

	evCons, events, err := queueState(ctx, js, EventsStream, ReconcilerDur, ExtractedSubj+".>")
	if err != nil {
		return s, err
	}
	s.Done = events.Subjects[ExtractedSubj+".ok"]
	s.Failed = events.Subjects[ExtractedSubj+".failed"]
	s.EventsWaiting = undelivered(evCons, events) + uint64(evCons.NumAckPending)

	reqCons, requests, err := queueState(ctx, js, RequestsStream, FetcherDur, "")
	if err != nil {
		return s, err
	}
	s.Requests = undelivered(reqCons, requests) + uint64(reqCons.NumAckPending)

	dead, err := streamState(ctx, js, DeadStream, "")
	if err != nil {
		return s, err
	}
	s.Dead = dead.Msgs
	return s, nil
}

// queueState reads a durable consumer and then its stream (in that order:
// what the stream holds past the consumer's delivered sequence is then
// never less than what was undelivered when the consumer was read).
func queueState(ctx context.Context, js jetstream.JetStream, stream, durable, subjects string) (*jetstream.ConsumerInfo, jetstream.StreamState, error) {
	ci, err := consumerInfo(ctx, js, stream, durable)
	if err != nil {
		return nil, jetstream.StreamState{}, err
	}
	st, err := streamState(ctx, js, stream, subjects)
	return ci, st, err
}

// undelivered counts the messages of a stream its consumer has not
// delivered yet. Neither count the server reports will do alone:
//   - The consumer's NumPending follows the stream asynchronously (the
//     server signals new messages to its consumers on a queue of its
//     own): right after a publish was acknowledged it can still say 0.
//   - A work-queue stream's message count can hold messages already acked:
//     after a leader change, the removal of acked messages lagged and the
//     count stayed high for a minute (the compose cluster test).
//
// What lies past the consumer's last delivered sequence is undelivered,
// and the stream's state has the publish before its acknowledgement; no
// message past it is ever deleted (the dead-letter mover deletes only
// delivered ones). The stream's count less what is in hand bounds it.
func undelivered(c *jetstream.ConsumerInfo, st jetstream.StreamState) uint64 {
	n := c.NumPending
	if st.LastSeq > c.Delivered.Stream {
		n = max(n, st.LastSeq-c.Delivered.Stream)
	}
	held := min(st.Msgs, uint64(c.NumAckPending))
	return min(n, st.Msgs-held)
}

// streamState reads a stream's state, with the message count of each
// subject matching subjects when that is not empty.
func streamState(ctx context.Context, js jetstream.JetStream, name, subjects string) (jetstream.StreamState, error) {
	st, err := js.Stream(ctx, name)
	if err != nil {
		return jetstream.StreamState{}, fmt.Errorf("queue: stream %s: %w", name, err)
	}
	var opts []jetstream.StreamInfoOpt
	if subjects != "" {
		opts = append(opts, jetstream.WithSubjectFilter(subjects))
	}
	info, err := st.Info(ctx, opts...)
	if err != nil {
		return jetstream.StreamState{}, fmt.Errorf("queue: stream %s: %w", name, err)
	}
	return info.State, nil
}

func consumerInfo(ctx context.Context, js jetstream.JetStream, stream, durable string) (*jetstream.ConsumerInfo, error) {
	c, err := js.Consumer(ctx, stream, durable)
	if err != nil {
		return nil, fmt.Errorf("queue: %s/%s: %w", stream, durable, err)
	}
	return c.Info(ctx)
}
