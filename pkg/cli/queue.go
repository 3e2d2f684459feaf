package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/policytext/policytext/pkg/config"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/queue"
)

func runQueue(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("queue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	replicas := fs.Int("nats-replicas", 1, "copies of each stream if it must be created (3 on a three-node cluster); never lowered")
	url, user, password := natsFlags(fs)
	noWait := fs.Bool("no-wait", false, "queue the request and return without waiting for the fetcher's answer")
	wait := fs.Duration("wait", 5*time.Minute, "how long to wait for the fetcher's answer (looking for a new policy pages through the portal)")
	if err := config.Parse(fs, args, os.LookupEnv); err != nil {
		return 2
	}
	ids := fs.Args()
	if len(ids) == 0 {
		fmt.Fprintln(stderr, "policyctl queue: give the policy ids to (re)process")
		return 2
	}
	var valid []string
	for _, id := range ids {
		if policyapi.ValidID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		for _, id := range ids {
			fmt.Fprintf(stdout, "%s\t%s\n", id, describe(queue.ProcessResult{Status: queue.StatusInvalid}))
		}
		return 1
	}
	nc, js, err := queue.Connect(*url, "policyctl", queue.UserInfo(*user, *password)...)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl queue: %v\n", err)
		return 1
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := queue.Setup(ctx, js, queue.WithReplicas(*replicas)); err != nil {
		fmt.Fprintf(stderr, "policyctl queue: %v\n", err)
		return 1
	}
	if *noWait {
		if err := queue.RequestProcess(ctx, js, valid); err != nil {
			fmt.Fprintf(stderr, "policyctl queue: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "queued a request for %d policies (not waiting for the answer)\n", len(valid))
		return 0
	}
	wctx, wcancel := context.WithTimeout(context.Background(), *wait)
	defer wcancel()
	reply, err := queue.RequestProcessWait(wctx, js, valid)
	if errors.Is(err, queue.ErrNoAnswer) {
		fmt.Fprintf(stderr, "policyctl queue: no answer within %v; the request stays queued and is handled when a fetcher runs\n", *wait)
		return 1
	} else if err != nil {
		fmt.Fprintf(stderr, "policyctl queue: %v\n", err)
		return 1
	}
	byID := map[string]queue.ProcessResult{}
	for _, r := range reply.Results {
		byID[r.ID] = r
	}
	code := 0
	for _, id := range ids {
		r, ok := byID[id]
		switch {
		case !policyapi.ValidID(id):
			r = queue.ProcessResult{ID: id, Status: queue.StatusInvalid}
		case !ok:
			r = queue.ProcessResult{ID: id, Status: queue.StatusError, Message: "no answer for this id"}
		}
		if r.Status != queue.StatusQueued && r.Status != queue.StatusReprocessing {
			code = 1
		}
		fmt.Fprintf(stdout, "%s\t%s\n", id, describe(r))
	}
	return code
}

// describe words a result for a person.
func describe(r queue.ProcessResult) string {
	switch r.Status {
	case queue.StatusQueued:
		return fmt.Sprintf("queued %d attachments", r.Attachments)
	case queue.StatusReprocessing:
		return fmt.Sprintf("up to date, reprocessing %d", r.Attachments)
	case queue.StatusNotFound:
		return "not on the portal"
	case queue.StatusInvalid:
		return "invalid id (policy ids are digits)"
	}
	return "error: " + r.Message
}

func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url, user, password := natsFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	watch := fs.Bool("watch", false, "refresh every second (a live line on a terminal) until interrupted")
	if err := config.Parse(fs, args, os.LookupEnv); err != nil {
		return 2
	}
	nc, js, err := queue.Connect(*url, "policyctl", queue.UserInfo(*user, *password)...)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl status: %v\n", err)
		return 1
	}
	defer nc.Close()
	tty := isTerminal(stdout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := queue.ReadStatus(ctx, js)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "policyctl status: %v\n", err)
			return 1
		}
		switch {
		case *asJSON:
			b, _ := json.Marshal(s)
			fmt.Fprintln(stdout, string(b))
		case *watch && tty:
			fmt.Fprintf(stdout, "\r\033[Kdone %d · failed %d · dead %d · jobs waiting %d · in progress %d · retrying %d · to reconcile %d · requests %d",
				s.Done, s.Failed, s.Dead, s.JobsWaiting, s.JobsInProgress, s.JobsRetrying, s.EventsWaiting, s.Requests)
		default:
			fmt.Fprintf(stdout, "done:             %d\nfailed:           %d\ndead-lettered:    %d\njobs waiting:     %d\njobs in progress: %d\njobs retrying:    %d\nto reconcile:     %d\nrequests waiting: %d\n",
				s.Done, s.Failed, s.Dead, s.JobsWaiting, s.JobsInProgress, s.JobsRetrying, s.EventsWaiting, s.Requests)
		}
		if !*watch {
			return 0
		}
		time.Sleep(time.Second)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// natsFlags registers the NATS server and login flags (NATS_URL,
// NATS_USER, NATS_PASSWORD in the environment).
func natsFlags(fs *flag.FlagSet) (url, user, password *string) {
	url = fs.String("nats-url", "nats://127.0.0.1:4222", "NATS server URL (a comma-separated list for a cluster)")
	user = fs.String("nats-user", "", "NATS user (empty: no login)")
	password = fs.String("nats-password", "", "NATS password (prefer the NATS_PASSWORD environment variable)")
	return url, user, password
}
