// Command web serves the result pages (pkg/web) over the S3 bucket.
package main

import (
	"context"
	"flag"
	"fmt"
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
		os.Exit(2)
	}
	log := c.Logger("web")
	ctx, stop := service.SignalContext()
	defer stop()
	st, err := store.New(store.Config{Endpoint: c.S3Endpoint, AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey,
		Bucket: c.S3Bucket, Secure: c.S3Secure})
	if err != nil {
		log.Error("not started", "err", err)
		os.Exit(1)
	}
	m := service.NewMetrics()
	service.ServeOps(ctx, c.HTTPAddr, m, func() error { return nil }, log)
	srv := &http.Server{Addr: *listen, Handler: web.New(st, log), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	log.Info("serving", "listen", *listen)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Error("stopped", "err", err)
		os.Exit(1)
	}
}
