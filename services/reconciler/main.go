// Command reconciler writes a reconcile report for every policy whose
// attachments are all settled, and keeps the policy index current.
package main

import (
	"context"
	"flag"
	"os"

	"github.com/policytext/policytext/pkg/pipeline"
	"github.com/policytext/policytext/pkg/service"
)

func main() {
	var c service.Common
	fs := flag.NewFlagSet("reconciler", flag.ExitOnError)
	c.Register(fs, "127.0.0.1:9102")
	workers := fs.Int("workers", pipeline.DefaultReconcilerWorkers, "policies reconciled at once")
	os.Exit(service.RunStage(&c, fs, os.Args[1:], "reconciler", func(st *service.Stage) []func(context.Context) error {
		r := &pipeline.Reconciler{Store: st.Deps.Store, JS: st.Deps.JS, Log: st.Log, Workers: *workers,
			Observe: st.Metrics.ObserveReport}
		return []func(context.Context) error{r.Run}
	}))
}
