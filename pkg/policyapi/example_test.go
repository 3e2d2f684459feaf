package policyapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/policyapi/policyapitest"
)

func ExampleClient_CrawlWithReport() {
	// a portal whose hasNext never ends, with a duplicate and a broken record
	recs := policyapitest.Records(4, 1000)
	recs = append(recs, recs[0], json.RawMessage(`{"id": 1600, "files": "x"}`))
	portal := httptest.NewServer(policyapitest.NewPortal(recs, policyapitest.Tricks{AlwaysHasNext: true}))
	defer portal.Close()

	c := policyapi.NewClient(policyapi.ClientConfig{BaseURL: portal.URL, Token: "…", RPS: 100}, slog.New(slog.DiscardHandler))
	rep, err := c.CrawlWithReport(context.Background(), 4, func(p policyapi.Policy) error {
		fmt.Println(p.ID, len(p.Files), "file")
		return nil
	})
	fmt.Println(err, rep.Pages, "pages;", rep.Records, "records;", rep.Duplicates, "duplicate;", rep.Skipped, "skipped;", rep.Stop)
	fmt.Println(rep.SkippedRecords[0])
	// Output:
	// 1000 1 file
	// 1001 1 file
	// 1002 1 file
	// 1003 1 file
	// <nil> 3 pages; 4 records; 1 duplicate; 1 skipped; empty page
	// page 2 (size 4) record 1 (id 1600): json: cannot unmarshal number into Go struct field Policy.id of type string
}

func ExampleClient_Find() {
	portal := httptest.NewServer(policyapitest.NewPortal(policyapitest.Records(30, 5000), policyapitest.Tricks{}))
	defer portal.Close()
	c := policyapi.NewClient(policyapi.ClientConfig{BaseURL: portal.URL, RPS: 100, PageSize: 10}, slog.New(slog.DiscardHandler))

	p, err := c.Find(context.Background(), "5021")
	fmt.Println(p.ID, p.Files[0].FileURL, err)
	_, err = c.Find(context.Background(), "42")
	fmt.Println(err)
	// Output:
	// 5021 https://youth.cq.cqyl.org.cn/oss/202404/75021.doc <nil>
	// policyapi: policy not on the portal: 42 after 3 pages (30 records)
}
