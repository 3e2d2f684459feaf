package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/policytext/policytext/pkg/htmltext"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/store"
)

// Reconciler compares a policy's attachments with its web text once all of
// them are done, and stores the report.
type Reconciler struct {
	Store   Store
	JS      jetstream.JetStream
	Log     *slog.Logger
	Options reconcile.Options
	Observe func(verdict string)
}

// PolicyReport is the stored reconcile.json.
type PolicyReport struct {
	PolicyID    string           `json:"policyId"`
	Title       string           `json:"policyTitle"`
	Attachments []AttachmentNote `json:"attachments"`
	Report      reconcile.Report `json:"report"`
}

// AttachmentNote says which attachment texts went into the comparison.
type AttachmentNote struct {
	FileID string `json:"fileId"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
}

// Run handles extracted events until ctx ends.
func (r *Reconciler) Run(ctx context.Context, n int) error {
	cons, err := r.JS.Consumer(ctx, queue.EventsStream, queue.ReconcilerDur)
	if err != nil {
		return fmt.Errorf("reconciler: %w", err)
	}
	return runPool(ctx, cons, n, r.Handle)
}

// Handle processes one extracted event.
func (r *Reconciler) Handle(ctx context.Context, m jetstream.Msg) {
	ev, err := queue.Decode[queue.Extracted](m.Data())
	if err != nil {
		m.TermWithReason("malformed event") // nothing to retry
		return
	}
	done, err := r.ReconcilePolicy(ctx, ev.PolicyID)
	switch {
	case err != nil:
		// the store is unreachable or a text unreadable: later
		r.Log.Warn("reconcile failed; retrying", "policy", ev.PolicyID, "err", err)
		m.NakWithDelay(5e9)
	default:
		// done, or waiting for other attachments whose events will come
		if done {
			r.Log.Info("reconciled", "policy", ev.PolicyID)
		}
		m.Ack()
	}
}

// ReconcilePolicy writes the report when every attachment has a record;
// it reports whether it did.
func (r *Reconciler) ReconcilePolicy(ctx context.Context, policyID string) (bool, error) {
	key, err := store.PolicyKey(policyID)
	if err != nil {
		return false, nil // invalid ids never got this far; nothing to do
	}
	b, err := r.Store.Get(ctx, key, 64<<20)
	if err != nil {
		return false, err
	}
	var p policyapi.Policy
	if err := json.Unmarshal(b, &p); err != nil {
		return false, fmt.Errorf("reconciler: policy %s: %w", policyID, err)
	}
	out := PolicyReport{PolicyID: p.ID, Title: p.PolicyTitle}
	var texts []string
	for _, f := range p.Files {
		recKey, err := store.RecordKey(p.ID, f.FileID)
		if err != nil {
			return false, nil
		}
		rb, err := r.Store.Get(ctx, recKey, 1<<20)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil // not all attachments are done yet
		} else if err != nil {
			return false, err
		}
		var rec Record
		if err := json.Unmarshal(rb, &rec); err != nil {
			return false, fmt.Errorf("reconciler: record %s: %w", recKey, err)
		}
		out.Attachments = append(out.Attachments, AttachmentNote{FileID: f.FileID, OK: rec.OK, Error: rec.Error})
		if !rec.OK {
			continue
		}
		textKey, _ := store.TextKey(p.ID, f.FileID)
		t, err := r.Store.Get(ctx, textKey, 256<<20)
		if err != nil {
			return false, err
		}
		texts = append(texts, string(t))
	}
	web := strings.Join(htmltext.Paragraphs(p.PolicyText), "\n")
	out.Report = reconcile.Compare(strings.Join(texts, ""), web, r.Options)
	repKey, _ := store.ReportKey(p.ID)
	if err := putJSON(ctx, r.Store, repKey, out); err != nil {
		return false, err
	}
	if r.Observe != nil {
		r.Observe(out.Report.Verdict)
	}
	return true, nil
}
