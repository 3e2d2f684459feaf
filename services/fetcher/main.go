// Command fetcher crawls the policy portal on start and every --interval,
// stores each policy, queues one job per attachment of new or changed
// policies, and serves "process these policy ids" requests.
package main

import (
	"context"
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
	os.Exit(service.RunStage(&c, fs, os.Args[1:], "fetcher", func(st *service.Stage) []func(context.Context) error {
		api := policyapi.NewClient(policyapi.ClientConfig{BaseURL: *apiURL, Token: *token, RPS: *rps}, st.Log)
		f := &pipeline.Fetcher{API: api, Store: st.Deps.Store, JS: st.Deps.JS, Log: st.Log, PageSize: *pageSize,
			Observe: func(cs pipeline.CrawlStats, err error) { st.Metrics.ObserveCrawl(cs.Counts(), err) }}
		loops := []func(context.Context) error{f.ServeRequests}
		if *token == "" && *apiURL == defaultAPI {
			// The real portal refuses requests without a token: rather than
			// fail every interval, say so once and only serve requests.
			st.Log.Warn("no POLICY_API_TOKEN: not crawling the portal (reprocessing requests are still served)")
			return loops
		}
		st.Log.Info("crawling", "api", *apiURL, "interval", interval.String())
		return append(loops, func(ctx context.Context) error { return f.Run(ctx, *interval) })
	}))
}
