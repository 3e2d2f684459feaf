package policyapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/policyapi/policyapitest"
)

const token = "secret-token-7f3a9c"

// hostile serves p; the client's logs go to logs, which the test checks
// for the Token at the end.
func hostile(t *testing.T, p *policyapitest.Portal, cfg policyapi.ClientConfig) (*policyapi.Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return client(t, srv.URL, cfg), srv
}

func client(t *testing.T, base string, cfg policyapi.ClientConfig) *policyapi.Client {
	t.Helper()
	var logs bytes.Buffer
	t.Cleanup(func() {
		if strings.Contains(logs.String(), token) {
			t.Errorf("the Token is in the logs:\n%s", logs.String())
		}
	})
	cfg.BaseURL, cfg.Token = base, token
	if cfg.RPS == 0 {
		cfg.RPS = 1000
	}
	cfg.Backoff = time.Millisecond
	return policyapi.NewClient(cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

// crawl returns the ids delivered and the report.
func crawl(t *testing.T, c *policyapi.Client, size int) ([]string, []policyapi.Policy, policyapi.CrawlReport, error) {
	t.Helper()
	var ids []string
	var got []policyapi.Policy
	rep, err := c.CrawlWithReport(context.Background(), size, func(p policyapi.Policy) error {
		ids = append(ids, p.ID)
		got = append(got, p)
		return nil
	})
	return ids, got, rep, err
}

func idsOf(recs []json.RawMessage) []string {
	var ids []string
	for _, r := range recs {
		var v struct{ ID string }
		json.Unmarshal(r, &v)
		ids = append(ids, v.ID)
	}
	return ids
}

func TestTokenNeverLeavesThePortal(t *testing.T) {
	witness := policyapitest.NewWitness()
	defer witness.Close()
	wport := strings.TrimPrefix(witness.URL, "http://127.0.0.1:")
	ctx := context.Background()
	for _, to := range []string{
		witness.URL + policyapi.ListPath,                              // another port of the same loopback
		"http://localhost:" + wport + policyapi.ListPath,              // the same by name
		"http://169.254.169.254/latest/meta-data/",                    // cloud metadata
		"https://" + strings.TrimPrefix(witness.URL, "http://") + "/", // another scheme
	} {
		p := policyapitest.NewPortal(policyapitest.Records(5, 100), policyapitest.Tricks{RedirectTo: to})
		c, _ := hostile(t, p, policyapi.ClientConfig{})
		_, err := c.Page(ctx, 1, 10)
		if !errors.Is(err, policyapi.ErrRefused) {
			t.Errorf("307 to %s: %v", to, err)
		}
		if n := len(p.Requests()); n != 1 {
			t.Errorf("a refused redirect is not retried: %d requests", n)
		}
		if r := p.Requests(); len(r) == 0 || r[0].Token != token {
			t.Errorf("the portal itself gets the Token: %+v", r)
		}
	}

	// https → http: the TLS portal redirects to a plain witness
	p := policyapitest.NewPortal(nil, policyapitest.Tricks{RedirectTo: witness.URL + policyapi.ListPath})
	tlsPortal := httptest.NewTLSServer(p)
	defer tlsPortal.Close()
	c := client(t, tlsPortal.URL, policyapi.ClientConfig{TLSConfig: tlsPortal.Client().Transport.(*http.Transport).TLSClientConfig})
	if _, err := c.Page(ctx, 1, 10); !errors.Is(err, policyapi.ErrRefused) {
		t.Errorf("https → http: %v", err)
	}
	if len(p.Requests()) != 1 {
		t.Errorf("the TLS portal was not asked: %+v", p.Requests())
	}
	if n := witness.Connections(); n != 0 {
		t.Errorf("the other host saw %d connections, headers %v", n, witness.Headers())
	}

	// a redirect within the portal's origin is followed, with the Token
	p = policyapitest.NewPortal(policyapitest.Records(3, 100), policyapitest.Tricks{})
	mux := http.NewServeMux()
	mux.Handle(policyapi.ListPath, p)
	mux.Handle("/old"+policyapi.ListPath, http.RedirectHandler(policyapi.ListPath, http.StatusPermanentRedirect))
	moved := httptest.NewServer(mux)
	defer moved.Close()
	page, err := client(t, moved.URL+"/old", policyapi.ClientConfig{}).Page(ctx, 1, 10)
	if err != nil || len(page.Policies) != 3 || p.Requests()[0].Token != token {
		t.Errorf("same-origin redirect: %v %+v", err, p.Requests())
	}

	// a base URL that cannot work fails every call, clearly
	if _, err := client(t, "ftp://portal.example", policyapi.ClientConfig{}).Page(ctx, 1, 10); !errors.Is(err, policyapi.ErrConfig) {
		t.Errorf("ftp base: %v", err)
	}
}

func TestLooseAndBrokenRecords(t *testing.T) {
	good := policyapitest.Record("1500", "2500")
	recs := []json.RawMessage{
		good,
		json.RawMessage(`{"id": 1600, "policyTitle": "id as a number", "files": []}`),
		json.RawMessage(`{"id":"1601","policyTitle":"loose size","files":[{"fileId":"2601","fileName":"a","fileKey":"k","fileType":"doc","fileSize":"75","fileUrl":"u"}]}`),
		json.RawMessage(`{"id":"1602","files":"x"}`),
		json.RawMessage(`{"id":"1603","policyTitle":"no files","files":null}`),
		json.RawMessage(`{"id":"1604","policyTitle":"empty files","files":[]}`),
		json.RawMessage(`{"id":"1605"}`),
		json.RawMessage(`{"id":"../../1606","files":[]}`),
		json.RawMessage(`{"id":"1607","files":[{"fileId":"2607","fileSize":"seventy"}]}`),
		json.RawMessage(`{"id":"1608","files":[{"fileId":"x/y"}]}`),
		json.RawMessage(`42`),
		json.RawMessage(`{"id":"1609","files":[{"fileId":"2609","fileSize":75.0}],  "extra" : {"kept": [1, 2]}}`),
	}
	p := policyapitest.NewPortal(recs, policyapitest.Tricks{LooseNumbers: true})
	c, _ := hostile(t, p, policyapi.ClientConfig{})
	ids, got, rep, err := crawl(t, c, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1500", "1601", "1603", "1604", "1605", "1609"}; !slices.Equal(ids, want) {
		t.Errorf("delivered %v, want %v", ids, want)
	}
	for _, pol := range got {
		i := slices.IndexFunc(recs, func(r json.RawMessage) bool { return bytes.Contains(r, []byte(`"`+pol.ID+`"`)) })
		if !bytes.Equal(pol.Raw, recs[i]) {
			t.Errorf("%s: Raw changed:\n%s\n%s", pol.ID, pol.Raw, recs[i])
		}
	}
	if got[1].Files[0].FileSize != 75 || got[5].Files[0].FileSize != 75 || got[2].Files != nil || got[3].Files == nil || len(got[3].Files) != 0 {
		t.Errorf("files: %+v / %+v / %+v", got[1].Files, got[2].Files, got[3].Files)
	}
	if rep.Skipped != 6 || len(rep.SkippedRecords) != 6 || rep.Records != 6 || rep.Pages != 3 || rep.TotalNum != 12 || rep.Stop != policyapi.StopLastPage {
		t.Errorf("report %+v", rep)
	}
	where := make([]string, len(rep.SkippedRecords))
	for i, s := range rep.SkippedRecords {
		where[i] = strconv.Itoa(s.PageNo) + "/" + strconv.Itoa(s.Index) + "/" + s.ID
		if s.Reason == "" {
			t.Errorf("no reason: %v", s)
		}
	}
	if want := []string{"1/1/1600", "1/3/1602", "2/2/../../1606", "2/3/1607", "2/4/1608", "3/0/"}; !slices.Equal(where, want) {
		t.Errorf("skipped at %v, want %v", where, want)
	}
	if !strings.Contains(rep.SkippedRecords[0].String(), "number") || !strings.Contains(rep.SkippedRecords[3].Reason, "whole number") {
		t.Errorf("reasons: %v", rep.SkippedRecords)
	}

	// a repeated page's broken records are not counted twice
	p.SetTricks(policyapitest.Tricks{AlwaysHasNext: true, IgnorePageNo: true, TotalNum: "5"})
	ids, _, rep, err = crawl(t, c, 5)
	if err != nil || len(ids) != 3 || rep.Skipped != 2 || rep.Duplicates != 3 || rep.Stop != policyapi.StopRepeatedPage {
		t.Errorf("repeated page 1: %v %v %+v", err, ids, rep)
	}
}

func TestPagingEnds(t *testing.T) {
	recs := policyapitest.Records(25, 1000)
	for _, c := range []struct {
		name     string
		tricks   policyapitest.Tricks
		maxPages int
		records  int
		requests int
		stop     string
		err      error
	}{
		{"honest", policyapitest.Tricks{}, 0, 25, 3, policyapi.StopLastPage, nil},
		{"hasNext always true", policyapitest.Tricks{AlwaysHasNext: true}, 0, 25, 4, policyapi.StopEmptyPage, nil},
		// pages of fresh ids for ever: stops at totalNum 25 + 2 pages
		{"endless list", policyapitest.Tricks{AlwaysHasNext: true, EndlessList: true}, 0, 50, 5, policyapi.StopPastTotal, nil},
		{"endless list, no totalNum", policyapitest.Tricks{AlwaysHasNext: true, EndlessList: true, TotalNum: `""`}, 7, 70, 7, policyapi.StopPageCap, policyapi.ErrPaging},
		{"page 1 for ever", policyapitest.Tricks{AlwaysHasNext: true, IgnorePageNo: true}, 0, 10, 2, policyapi.StopRepeatedPage, policyapi.ErrPaging},
		{"pages of 7 whatever is asked", policyapitest.Tricks{FixedPageSize: 7}, 0, 25, 4, policyapi.StopLastPage, nil},
		{"pages of 15 whatever is asked", policyapitest.Tricks{FixedPageSize: 15}, 0, 25, 2, policyapi.StopLastPage, nil},
		{"totalNum absurd", policyapitest.Tricks{AlwaysHasNext: true, EndlessList: true, TotalNum: "9223372036854775807"}, 5, 50, 5, policyapi.StopPageCap, policyapi.ErrPaging},
		{"totalNum negative", policyapitest.Tricks{TotalNum: "-3"}, 0, 25, 3, policyapi.StopLastPage, nil},
		{"page 1 for ever, totalNum 10", policyapitest.Tricks{AlwaysHasNext: true, IgnorePageNo: true, TotalNum: "10"}, 0, 10, 2, policyapi.StopRepeatedPage, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := policyapitest.NewPortal(recs, c.tricks)
			cl, _ := hostile(t, p, policyapi.ClientConfig{MaxPages: c.maxPages})
			ids, _, rep, err := crawl(t, cl, 10)
			if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
				t.Errorf("err %v, want %v", err, c.err)
			}
			if len(ids) != c.records || rep.Records != c.records || len(p.Requests()) != c.requests || rep.Stop != c.stop {
				t.Errorf("%d records, %d requests, report %+v", len(ids), len(p.Requests()), rep)
			}
			if n := min(len(ids), 25); !slices.Equal(ids[:n], idsOf(recs[:n])) {
				t.Errorf("ids %v", ids)
			}
		})
	}
}

func TestDuplicateIDs(t *testing.T) {
	a, b, c := policyapitest.Record("1", "11"), policyapitest.Record("2", "21"), policyapitest.Record("3", "31")
	b2 := policyapitest.Record("2", "22") // same id, another attachment
	p := policyapitest.NewPortal([]json.RawMessage{a, b, a, c, b2, a}, policyapitest.Tricks{})
	cl, _ := hostile(t, p, policyapi.ClientConfig{})
	ids, got, rep, err := crawl(t, cl, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"1", "2", "3"}) || got[1].Files[0].FileID != "21" || rep.Duplicates != 3 || rep.Stop != policyapi.StopLastPage {
		t.Errorf("ids %v, report %+v", ids, rep)
	}
}

func TestOversizePageAskedSmaller(t *testing.T) {
	recs := policyapitest.Records(30, 5000)
	recs[13] = policyapitest.BigRecord("5013", 3000)  // a page with it is too big; a smaller one is not
	recs[22] = policyapitest.BigRecord("5022", 20000) // too big even alone
	p := policyapitest.NewPortal(recs, policyapitest.Tricks{})
	cl, _ := hostile(t, p, policyapi.ClientConfig{MaxBody: 6000})
	ids, _, rep, err := crawl(t, cl, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Delete(idsOf(recs), 22, 23)
	if !slices.Equal(ids, want) {
		t.Errorf("ids\n%v, want\n%v", ids, want)
	}
	if rep.Duplicates != 0 || rep.Skipped != 1 || !strings.Contains(rep.SkippedRecords[0].Reason, "over 6000 bytes") || rep.Shrunk == 0 || rep.Stop != policyapi.StopLastPage {
		t.Errorf("report %+v", rep)
	}
	// no page is asked twice
	asked := map[policyapitest.Request]bool{}
	for _, r := range p.Requests() {
		if asked[r] {
			t.Errorf("asked twice: %+v", r)
		}
		asked[r] = true
	}
	t.Logf("%d requests for 30 records (2 too big): %+v", len(p.Requests()), p.Requests())
}

func TestFind(t *testing.T) {
	recs := policyapitest.Records(23, 800)
	p := policyapitest.NewPortal(recs, policyapitest.Tricks{})
	cl, _ := hostile(t, p, policyapi.ClientConfig{PageSize: 5})
	ctx := context.Background()
	pol, err := cl.Find(ctx, "822")
	if err != nil || pol.ID != "822" || !bytes.Equal(pol.Raw, recs[22]) {
		t.Fatalf("find the last one: %v %+v", err, pol)
	}
	if _, err := cl.Find(ctx, "799"); !errors.Is(err, policyapi.ErrNotFound) {
		t.Errorf("missing id: %v", err)
	}
	if _, err := cl.Find(ctx, "8a"); !errors.Is(err, policyapi.ErrInvalidRecord) {
		t.Errorf("invalid id: %v", err)
	}
	// a portal that repeats page 1 cannot say an id is not there
	p.SetTricks(policyapitest.Tricks{AlwaysHasNext: true, IgnorePageNo: true})
	if _, err := cl.Find(ctx, "822"); !errors.Is(err, policyapi.ErrPaging) {
		t.Errorf("repeating portal: %v", err)
	}
}

// TestCrawlCallbackError: the crawl ends at the callback's error, as is.
func TestCrawlCallbackError(t *testing.T) {
	p := policyapitest.NewPortal(policyapitest.Records(30, 1), policyapitest.Tricks{})
	cl, _ := hostile(t, p, policyapi.ClientConfig{})
	stop := errors.New("stop here")
	n := 0
	err := cl.Crawl(context.Background(), 10, func(policyapi.Policy) error {
		if n++; n == 12 {
			return stop
		}
		return nil
	})
	if err != stop || len(p.Requests()) != 2 {
		t.Errorf("%v after %d requests", err, len(p.Requests()))
	}
}

// TestOptionalNamesNeverSpoilARecord: the level and type names are read
// when they are strings, and anything else there reads as "".
func TestOptionalNamesNeverSpoilARecord(t *testing.T) {
	for raw, want := range map[string][2]string{
		`{"id":"1","policyLevelName":"市级","policyTypeName":"人才引进政策"}`: {"市级", "人才引进政策"},
		`{"id":"1","policyLevelName":5,"policyTypeName":{"a":[1]}}`:   {"", ""},
		`{"id":"1","policyLevelName":null}`:                           {"", ""},
		`{"id":"1"}`:                                                  {"", ""},
	} {
		var p policyapi.Policy
		if err := json.Unmarshal([]byte(raw), &p); err != nil || p.ID != "1" || string(p.LevelName) != want[0] || string(p.TypeName) != want[1] {
			t.Errorf("%s: %q %q %v", raw, p.LevelName, p.TypeName, err)
		}
	}
}
