// Command pipeline runs everything on one machine without Docker: embedded
// NATS and S3 (data under --data), the bundled sample portal (or the real
// one with --api-url and POLICY_API_TOKEN), the fetcher, extractors, the
// reconciler and the web page. --once crawls once, waits until the work is
// done and prints a one-line JSON summary.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"github.com/policytext/policytext/pkg/allinone"
	"github.com/policytext/policytext/pkg/config"
	"github.com/policytext/policytext/pkg/service"
)

func main() {
	var c allinone.Config
	fs := flag.NewFlagSet("pipeline", flag.ExitOnError)
	fs.StringVar(&c.Data, "data", "./data", "directory of the NATS and S3 data (kept across runs)")
	fs.StringVar(&c.HTTPAddr, "http-addr", "127.0.0.1:8080", "address of the web page")
	fs.StringVar(&c.S3Addr, "s3-addr", "127.0.0.1:9000", "address of the embedded S3 server")
	fs.IntVar(&c.NATSPort, "nats-port", 4222, "port of the embedded NATS server (on 127.0.0.1)")
	fs.StringVar(&c.APIURL, "api-url", "", "portal base URL; empty serves the bundled sample")
	fs.StringVar(&c.Token, "policy-api-token", "", "portal Token (prefer the POLICY_API_TOKEN environment variable)")
	hosts := fs.String("allowed-hosts", "", "more comma-separated hosts attachments may come from")
	fs.IntVar(&c.Workers, "workers", 4, "extractor workers")
	fs.DurationVar(&c.Interval, "interval", time.Hour, "time between crawls")
	fs.BoolVar(&c.Once, "once", false, "crawl once, wait until done, print a JSON summary, exit")
	fs.StringVar(&c.Bucket, "s3-bucket", "policytext", "bucket of the results")
	fs.IntVar(&c.SampleCopies, "sample-copies", 0, "serve the bundled sample repeated to this many policies (load tests)")
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (for BENCHMARKS.md)")
	if err := config.Parse(fs, os.Args[1:], os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	c.AllowedHosts = service.SplitList(*hosts)
	var lv slog.Level
	lv.UnmarshalText([]byte(*level))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	if st, err := os.Stderr.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		c.Progress = true
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "pipeline: cpuprofile:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := service.SignalContext()
	defer stop()
	// stdout carries the --once summary alone: libraries that print to
	// os.Stdout (the embedded S3 server does) are sent to stderr
	summary := os.Stdout
	os.Stdout = os.Stderr
	if err := allinone.Run(ctx, c, summary, os.Stderr, log); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
