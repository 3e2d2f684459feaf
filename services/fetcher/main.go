// Command fetcher crawls the policy portal on start and every --interval,
// stores each policy, queues one job per attachment of new or changed
// policies, and serves "process these policy ids" requests.
package main

import (
	"flag"
	"os"
	"time"

	"github.com/policytext/policytext/pkg/pipeline"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/service"
)

const defaultAPI = "https://youth.cq.cqyl.org.cn"

func main() {
	var c service.Common
	fs := flag.NewFlagSet("fetcher", flag.ExitOnError)
	c.Register(fs, "127.0.0.1:9100")
	apiURL := fs.String("api-url", defaultAPI, "portal base URL")
	token := fs.String("policy-api-token", "", "portal Token (prefer the POLICY_API_TOKEN environment variable)")
	interval := fs.Duration("interval", time.Hour, "time between crawls")
	pageSize := fs.Int("page-size", 50, "policies per list request")
	rps := fs.Float64("rps", 2, "portal requests per second")
	st := service.StartStage(&c, fs, os.Args[1:], "fetcher")
	defer st.Close()
	ctx, log, deps, m := st.Ctx, st.Log, st.Deps, st.Metrics
	api := policyapi.NewClient(policyapi.ClientConfig{BaseURL: *apiURL, Token: *token, RPS: *rps}, log)
	f := &pipeline.Fetcher{API: api, Store: deps.Store, JS: deps.JS, Log: log, PageSize: *pageSize}
	go f.ServeRequests(ctx)
	log.Info("started", "api", *apiURL, "interval", *interval)
	if *token == "" && *apiURL == defaultAPI {
		// The real portal refuses requests without a token: rather than
		// fail every interval, say so once and only serve requests.
		log.Warn("no POLICY_API_TOKEN: not crawling the portal (reprocessing requests are still served)")
		<-ctx.Done()
		return
	}
	for failures := 0; ; {
		wait := *interval
		st, err := f.Crawl(ctx)
		if err != nil && ctx.Err() == nil {
			// NATS, S3 or the portal is away: try again soon, not in an
			// interval (a crawl is cheap when nothing changed)
			failures++
			wait = min(*interval, time.Duration(failures)*15*time.Second)
			log.Error("crawl failed; retrying", "err", err, "in", wait)
		} else if err == nil {
			failures = 0
			m.Crawled.WithLabelValues("policies").Add(float64(st.Policies))
			m.Crawled.WithLabelValues("new").Add(float64(st.New))
			m.Crawled.WithLabelValues("queued").Add(float64(st.Queued))
			log.Info("crawled", "policies", st.Policies, "new", st.New, "queued", st.Queued, "invalid", st.Invalid)
		}
		select {
		case <-ctx.Done():
			log.Info("stopped")
			return
		case <-time.After(wait):
		}
	}
}
