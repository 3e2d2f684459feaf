// Command reconciler writes a reconcile report for every policy whose
// attachments are all done.
package main

import (
	"flag"
	"os"

	"github.com/policytext/policytext/pkg/pipeline"
	"github.com/policytext/policytext/pkg/service"
)

func main() {
	var c service.Common
	fs := flag.NewFlagSet("reconciler", flag.ExitOnError)
	c.Register(fs, "127.0.0.1:9102")
	workers := fs.Int("workers", 2, "policies reconciled at once")
	st := service.StartStage(&c, fs, os.Args[1:], "reconciler")
	defer st.Close()
	ctx, log, deps, m := st.Ctx, st.Log, st.Deps, st.Metrics
	r := &pipeline.Reconciler{Store: deps.Store, JS: deps.JS, Log: log,
		Observe: func(v string) { m.Reconciled.WithLabelValues(v).Inc() }}
	log.Info("started", "workers", *workers)
	r.Run(ctx, *workers)
	log.Info("stopped")
}
