// Command sampleportal stands in for the policy portal: it serves the
// bundled sample of recorded records as the list API and their attachments
// (with the reconciler demo cases) under /oss/, for demos without a token.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/policytext/policytext/pkg/config"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/sample"
)

func main() {
	fs := flag.NewFlagSet("sampleportal", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:8090", "address to listen on")
	public := fs.String("public-url", "", "this server's URL as the workers reach it, written into every fileUrl (default http://<listen>)")
	if err := config.Parse(fs, os.Args[1:], os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *public == "" {
		*public = "http://" + *listen
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("service", "sampleportal")
	s, err := policyapi.NewSampleServer(sample.Catalogue(), sample.DemoFiles(), *public)
	if err != nil {
		log.Error("not started", "err", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.Handle("/", s)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	log.Info("serving", "listen", *listen, "public_url", *public)
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Error("stopped", "err", err)
		os.Exit(1)
	}
}
