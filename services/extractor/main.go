// Command extractor turns attachment jobs into text in S3: it downloads
// each attachment from an allowed host, extracts it, stores the original,
// the text and a record, and announces it. Run any number of them.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/policytext/policytext/pkg/pipeline"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/service"
)

func main() {
	var c service.Common
	fs := flag.NewFlagSet("extractor", flag.ExitOnError)
	c.Register(fs, "127.0.0.1:9101")
	workers := fs.Int("workers", 4, "jobs processed at once")
	hosts := fs.String("allowed-hosts", "youth.cq.cqyl.org.cn", "comma-separated hosts attachments may be downloaded from")
	maxDownload := fs.Int64("max-download", 64<<20, "largest attachment in bytes")
	retryBase := fs.Duration("retry-base", 5*time.Second, "first delay before a failed job is tried again (doubling each time)")
	st := service.StartStage(&c, fs, os.Args[1:], "extractor")
	defer st.Close()
	ctx, log, deps, m := st.Ctx, st.Log, st.Deps, st.Metrics
	ex := &pipeline.Extractor{Store: deps.Store, JS: deps.JS, Log: log, AllowedHosts: service.SplitList(*hosts),
		MaxDownload: *maxDownload, Observe: m.ObserveJob, Retry: pipeline.Backoff(*retryBase)}
	go func() {
		// jobs that exhausted their deliveries go to the dead-letter stream
		reason := fmt.Sprintf("exceeded %d deliveries (see the extractor logs)", queue.JobMaxDeliver)
		for ctx.Err() == nil {
			if _, err := queue.MoveDead(ctx, deps.JS, func(queue.AttachmentJob) string { return reason }, 5*time.Second); err != nil && ctx.Err() == nil {
				log.Warn("dead-letter mover", "err", err)
				time.Sleep(2 * time.Second)
			}
		}
	}()
	log.Info("started", "workers", *workers, "allowed_hosts", *hosts)
	ex.Run(ctx, *workers)
	log.Info("stopped")
}
