// Command extractor turns attachment jobs into text in S3: it downloads
// each attachment from an allowed host, extracts it, stores the original,
// the text and a record, and announces it; it also moves jobs that ran out
// of deliveries to the dead-letter stream. Run any number of them.
package main

import (
	"context"
	"flag"
	"os"
	"time"

	"github.com/policytext/policytext/pkg/pipeline"
	"github.com/policytext/policytext/pkg/service"
)

func main() {
	var c service.Common
	fs := flag.NewFlagSet("extractor", flag.ExitOnError)
	c.Register(fs, "127.0.0.1:9101")
	workers := fs.Int("workers", pipeline.DefaultExtractorWorkers, "jobs processed at once")
	hosts := fs.String("allowed-hosts", "youth.cq.cqyl.org.cn",
		"comma-separated hosts attachments may come from: host (default ports), host:port or scheme://host[:port]; loopback and private addresses only with an explicit port")
	maxDownload := fs.Int64("max-download", 64<<20, "largest attachment in bytes")
	tempDir := fs.String("temp-dir", os.TempDir(), "where downloads over 1 MiB are spooled while they are extracted")
	retryBase := fs.Duration("retry-base", 5*time.Second, "first delay before a failed job is tried again (doubling each time)")
	os.Exit(service.RunStage(&c, fs, os.Args[1:], "extractor", func(st *service.Stage) []func(context.Context) error {
		ex := &pipeline.Extractor{Store: st.Deps.Store, JS: st.Deps.JS, Log: st.Log, Workers: *workers,
			AllowedHosts: service.SplitList(*hosts), MaxDownload: *maxDownload, TempDir: *tempDir, Observe: st.Metrics.ObserveJob,
			Retry: pipeline.Backoff(*retryBase)}
		dead := &pipeline.DeadLetters{Store: st.Deps.Store, JS: st.Deps.JS, Log: st.Log}
		st.Log.Info("extracting", "workers", *workers, "allowed_hosts", *hosts)
		return []func(context.Context) error{ex.Run, dead.Run}
	}))
}
