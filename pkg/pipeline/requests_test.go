package pipeline

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/internal/testlog"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/store"
)

// TestRequestTriedAgainInPlace: a request that fails while the store is
// away is tried again by the fetcher that holds it, and answered once the
// store is back, without being handed back to the stream (a hand-back is
// not confirmed; one lost in a leader election waited for the ack wait).
func TestRequestTriedAgainInPlace(t *testing.T) {
	s := newStack(t, "requests")
	ctx := context.Background()
	// the bucket does not exist yet: every write of the store fails
	late, err := store.New(testS3.StoreConfig(freshBucket("requests-late")))
	if err != nil {
		t.Fatal(err)
	}
	var logs testlog.Buffer
	f := s.fetcher(50)
	f.Store, f.Log = late, slog.New(slog.NewTextHandler(&logs, nil))
	reqCtx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- f.ServeRequests(reqCtx) }()
	defer func() { cancel(); <-served }()

	type answer struct {
		reply queue.ProcessReply
		err   error
	}
	answered := make(chan answer, 1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		r, err := queue.RequestProcessWait(wctx, s.js, []string{"1775446439165382656"})
		answered <- answer{r, err}
	}()
	for deadline := time.Now().Add(time.Minute); !strings.Contains(logs.String(), "request failed; trying again"); {
		if time.Now().After(deadline) {
			t.Fatalf("no failed attempt logged: %s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := late.Ensure(ctx); err != nil { // the store is back
		t.Fatal(err)
	}
	a := <-answered
	if a.err != nil || len(a.reply.Results) != 1 || a.reply.Results[0].ID != "1775446439165382656" || a.reply.Results[0].Status == "" {
		t.Fatalf("reply %+v %v", a.reply, a.err)
	}
	if _, err := late.Policy(ctx, "1775446439165382656"); err != nil {
		t.Errorf("the policy was not stored: %v", err)
	}
	if strings.Contains(logs.String(), "handing it back") {
		t.Errorf("the request was handed back: %s", logs.String())
	}
}
