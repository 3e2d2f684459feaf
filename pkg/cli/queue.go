package cli

import (
	"context"
	"encoding/json"
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
	url := fs.String("nats-url", "nats://127.0.0.1:4222", "NATS server URL")
	if err := config.Parse(fs, args, os.LookupEnv); err != nil {
		return 2
	}
	ids := fs.Args()
	if len(ids) == 0 {
		fmt.Fprintln(stderr, "policyctl queue: give the policy ids to (re)process")
		return 2
	}
	for _, id := range ids {
		if !policyapi.ValidID(id) {
			fmt.Fprintf(stderr, "policyctl queue: %q is not a policy id (digits only)\n", id)
			return 2
		}
	}
	nc, js, err := queue.Connect(*url, "policyctl")
	if err != nil {
		fmt.Fprintf(stderr, "policyctl queue: %v\n", err)
		return 1
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := queue.Setup(ctx, js); err != nil {
		fmt.Fprintf(stderr, "policyctl queue: %v\n", err)
		return 1
	}
	if err := queue.RequestProcess(ctx, js, ids); err != nil {
		fmt.Fprintf(stderr, "policyctl queue: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "queued reprocessing of %d policies:\n", len(ids))
	for _, id := range ids {
		fmt.Fprintln(stdout, "  "+id)
	}
	return 0
}

func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("nats-url", "nats://127.0.0.1:4222", "NATS server URL")
	asJSON := fs.Bool("json", false, "print JSON")
	watch := fs.Bool("watch", false, "refresh every second (a live line on a terminal) until interrupted")
	if err := config.Parse(fs, args, os.LookupEnv); err != nil {
		return 2
	}
	nc, js, err := queue.Connect(*url, "policyctl")
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
