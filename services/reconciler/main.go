// Command reconciler writes a reconcile report for every policy whose
// attachments are all done.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/policytext/policytext/pkg/config"
	"github.com/policytext/policytext/pkg/pipeline"
	"github.com/policytext/policytext/pkg/service"
)

func main() {
	var c service.Common
	fs := flag.NewFlagSet("reconciler", flag.ExitOnError)
	c.Register(fs, "127.0.0.1:9102")
	workers := fs.Int("workers", 2, "policies reconciled at once")
	if err := config.Parse(fs, os.Args[1:], os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log := c.Logger("reconciler")
	ctx, stop := service.SignalContext()
	defer stop()
	deps, err := c.Connect(ctx, "reconciler", log)
	if err != nil {
		log.Error("not started", "err", err)
		os.Exit(1)
	}
	defer deps.Close()
	m := service.NewMetrics()
	service.ServeOps(ctx, c.HTTPAddr, m, service.NATSHealthy(deps.NC), log)
	r := &pipeline.Reconciler{Store: deps.Store, JS: deps.JS, Log: log,
		Observe: func(v string) { m.Reconciled.WithLabelValues(v).Inc() }}
	log.Info("started", "workers", *workers)
	r.Run(ctx, *workers)
	log.Info("stopped")
}
