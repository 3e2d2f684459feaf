// Command web serves the result pages (pkg/web) over the S3 bucket.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/policytext/policytext/pkg/config"
	"github.com/policytext/policytext/pkg/service"
	"github.com/policytext/policytext/pkg/store"
	"github.com/policytext/policytext/pkg/web"
)

func main() {
	var c service.Common
	fs := flag.NewFlagSet("web", flag.ExitOnError)
	c.Register(fs, "127.0.0.1:9103")
	listen := fs.String("listen", "127.0.0.1:8080", "address of the pages")
	if err := config.Parse(fs, os.Args[1:], os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(service.ExitUsage)
	}
	log := c.Logger("web")
	ctx, stop := service.SignalContext()
	defer stop()
	st, err := store.New(c.StoreConfig(log))
	if err != nil {
		log.Error("not started", "err", err)
		os.Exit(service.ExitFailed)
	}
	ops, err := service.ListenOps(c.HTTPAddr, service.NewMetrics(), func() error {
		check, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		return st.Ping(check)
	})
	if err != nil {
		log.Error("not started", "err", err)
		os.Exit(service.ExitFailed)
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Error("not started", "err", fmt.Errorf("page address %s: %w", *listen, err))
		os.Exit(service.ExitFailed)
	}
	pages := web.New(st, log)
	srv := &http.Server{Handler: pages, ReadHeaderTimeout: 5 * time.Second}
	log.Info("serving", "listen", l.Addr().String())
	if err := service.RunAll(ctx, ops.Run, pages.Run, func(ctx context.Context) error { return service.ServeHTTP(ctx, srv, l) }); err != nil {
		log.Error("stopped", "err", err)
		os.Exit(service.ExitFailed)
	}
	log.Info("stopped")
}
