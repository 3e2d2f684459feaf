package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/store"
)

func get(t *testing.T, u string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func catalogueFixtures() []fixture {
	long := longFixture("1001")
	same := fixture{ID: "1002", Title: "乡村振兴示范村建设实施方案", Issue: "渝农发〔2023〕7号", Type: "农业", Level: "区县级",
		Web: paragraphsN(5), Attachment: strings.Join(paragraphsN(5), "\n"), Bytes: 30000}
	failed := fixture{ID: "1003", Title: "=HYPERLINK(\"http://x\")<script>alert(1)</script>", Issue: "渝府办〔2022〕1号", Type: "科技",
		Level: "市级", Web: []string{"<b>正文</b>"}, Failed: true}
	return []fixture{long, same, failed}
}

func TestListFiltersAndHeading(t *testing.T) {
	srv, _, _ := newServer(t, catalogueFixtures()...)
	code, hd, body := get(t, srv.URL+"/")
	if code != 200 || !strings.Contains(body, "<h1>Policies (3)</h1>") || hd.Get("Content-Security-Policy") == "" || hd.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("%d %v\n%s", code, hd, body)
	}
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("a title must be escaped")
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"verdict=differs", []string{"1001"}},
		{"type=%E7%A7%91%E6%8A%80", []string{"1001", "1003"}},                          // 科技
		{"type=%E7%A7%91%E6%8A%80&level=%E5%B8%82%E7%BA%A7", []string{"1001", "1003"}}, // 科技, 市级
		{"type=%E7%A7%91%E6%8A%80&verdict=match", nil},
		{"numeric=1", []string{"1001"}},
		{"failed=1", []string{"1003"}},
		{"failed=1&numeric=1", nil},
		{"q=" + url.QueryEscape("区县财政配套资金"), []string{"1001"}},
		{"q=" + url.QueryEscape("第3条") + "&level=" + url.QueryEscape("区县级"), []string{"1002"}},
	} {
		_, _, body := get(t, srv.URL+"/?"+c.query)
		got := regexp.MustCompile(`<td><a href="/policies/(\d+)">`).FindAllStringSubmatch(body, -1)
		var ids []string
		for _, m := range got {
			ids = append(ids, m[1])
		}
		if strings.Join(ids, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: %v, want %v", c.query, ids, c.want)
		}
		if head := fmt.Sprintf("<h1>Policies (%d of 3)</h1>", len(c.want)); !strings.Contains(body, head) {
			t.Errorf("%s: heading must count what is shown (%s)", c.query, head)
		}
	}
	_, _, body = get(t, srv.URL+"/?q="+url.QueryEscape("区县财政配套资金"))
	if !strings.Contains(body, `<span class="where">attachment:</span> 第30条　<mark>区县财政配套资金</mark>应当`) {
		t.Errorf("search passage missing:\n%s", body)
	}
}

// TestListPagesAtTenThousand: the list of 10,000 policies pages by 100,
// filters kept in the links.
func TestListPagesAtTenThousand(t *testing.T) {
	st := newStore(t)
	rows := make([]store.Row, 10000)
	now := time.Now().UTC()
	for i := range rows {
		v := "match"
		if i%10 == 0 {
			v = "differs"
		}
		rows[i] = store.Row{ID: fmt.Sprint(2000000 + i), Policy: &store.PolicyFacts{Title: fmt.Sprintf("政策%d", i), Files: 1, At: now},
			Report: &store.ReportFacts{Verdict: v, OK: 1, At: now.Add(time.Second)}}
	}
	must(t, st.AppendIndex(context.Background(), rows))
	h := New(st, quiet())
	srv := newHTTP(t, h)
	_, _, body := get(t, srv+"/")
	if !strings.Contains(body, "<h1>Policies (10000)</h1>") || strings.Count(body, `<td><a href="/policies/`) != 100 ||
		!strings.Contains(body, "page 1 of 100") {
		t.Fatal("first page")
	}
	_, _, body = get(t, srv+"/?verdict=differs&page=10")
	if !strings.Contains(body, "<h1>Policies (1000 of 10000)</h1>") || !strings.Contains(body, "page 10 of 10") ||
		!strings.Contains(body, `href="/?page=9&amp;verdict=differs" rel="prev"`) || strings.Count(body, `<td><a href="/policies/`) != 100 {
		t.Fatalf("filtered last page:\n%s", body[:min(len(body), 3000)])
	}
}

func TestPolicyPageAndNotFound(t *testing.T) {
	srv, _, _ := newServer(t, catalogueFixtures()...)
	code, _, body := get(t, srv.URL+"/policies/1001")
	if code != 200 || !strings.Contains(body, `id="summary">The web text changes 1 number, lacks 1 paragraph of the attachment and adds 1 paragraph`) ||
		!strings.Contains(body, `<span class="size">25.0 KB</span> stored`) || !strings.Contains(body, "… 15 unchanged paragraphs") {
		t.Fatalf("%d\n%s", code, body)
	}
	for _, u := range []string{"/policies/1", "/policies/abc", "/nope", "/policies/1/history", "/policies/1001/history/20990101T000000.000000000Z",
		"/policies/1001/history/x", "/policies/1/files/2"} {
		code, hd, body := get(t, srv.URL+u)
		if code != 404 || !strings.HasPrefix(hd.Get("Content-Type"), "text/html") || !strings.Contains(body, "<h1>Not found</h1>") ||
			!strings.Contains(body, `<a href="/">All policies</a>`) {
			t.Errorf("%s: %d %s\n%s", u, code, hd.Get("Content-Type"), body)
		}
	}
	code, _, body = get(t, srv.URL+"/policies/1003")
	if code != 200 || strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>正文</b>") || !strings.Contains(body, "failed (download)") {
		t.Errorf("failed policy page:\n%s", body)
	}
}

func TestExports(t *testing.T) {
	srv, _, _ := newServer(t, catalogueFixtures()...)
	code, hd, body := get(t, srv.URL+"/policies/1001/report.json")
	var rep store.Report
	if code != 200 || hd.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(body), &rep) != nil ||
		rep.Report.Verdict != "differs" || len(rep.Report.Differences) != 3 {
		t.Fatalf("report.json: %d %s", code, body)
	}
	code, _, body = get(t, srv.URL+"/policies/1/report.json")
	if code != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("unknown report: %d %s", code, body)
	}
	code, hd, body = get(t, srv.URL+"/policies.csv?type="+url.QueryEscape("科技"))
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if code != 200 || err != nil || !strings.HasPrefix(hd.Get("Content-Type"), "text/csv") || len(recs) != 3 {
		t.Fatalf("csv: %d %v\n%s", code, err, body)
	}
	if recs[0][0] != "policy_id" || recs[1][0] != "1001" || recs[1][4] != "differs" || recs[1][5] != "1" ||
		recs[1][9] != srv.URL+"/policies/1001" || !strings.HasPrefix(recs[2][1], "'=HYPERLINK") {
		t.Errorf("csv rows: %q", recs)
	}
}

func TestHistoryAndFeeds(t *testing.T) {
	fs := catalogueFixtures()
	srv, st, _ := newServer(t, fs...)
	_, _, body := get(t, srv.URL+"/policies/1002/history")
	if !strings.Contains(body, "No change") {
		t.Errorf("unchanged policy's history:\n%s", body)
	}
	changed := fs[1]
	changed.Web = append(append([]string(nil), changed.Web[:2]...), changed.Web[3:]...)
	changed.Web[0] = strings.Replace(changed.Web[0], "第1条", "第1条（修订）", 1)
	changed.Title = "乡村振兴示范村建设实施方案（修订）"
	put(t, st, changed)
	_, _, body = get(t, srv.URL+"/policies/1002")
	if !strings.Contains(body, `id="history-link">changed on the portal: 1 earlier version kept`) {
		t.Fatalf("policy page must link its history:\n%s", body)
	}
	_, _, body = get(t, srv.URL+"/policies/1002/history")
	m := regexp.MustCompile(`href="(/policies/1002/history/[0-9TZ.]+)" class="vdiff"`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "the web text changed — The later web text removes 1 paragraph and adds 1 passage (the one-sided text holds 1 number).") ||
		!strings.Contains(body, "The title was “乡村振兴示范村建设实施方案”.") {
		t.Fatalf("history:\n%s", body)
	}
	code, _, body := get(t, srv.URL+m[1])
	if code != 200 || !strings.Contains(body, `id="summary">The later web text removes 1 paragraph and adds 1 passage (the one-sided text holds 1 number).`) ||
		!strings.Contains(body, "Earlier version") || !strings.Contains(body, `class="p r gap"`) {
		t.Fatalf("version diff: %d\n%s", code, body)
	}
	var feed struct {
		Entries []event `json:"entries"`
	}
	_, _, body = get(t, srv.URL+"/changes.json")
	// the changed record, and two discrepancies: 1001's, and 1002's now
	// that its web text no longer says what its attachment says
	if err := json.Unmarshal([]byte(body), &feed); err != nil || len(feed.Entries) != 3 {
		t.Fatalf("changes.json: %v\n%s", err, body)
	}
	var kinds []string
	for _, e := range feed.Entries {
		kinds = append(kinds, e.Kind+" "+e.PolicyID)
	}
	if strings.Join(kinds, ",") != "discrepancy 1002,changed 1002,discrepancy 1001" {
		t.Errorf("entries %+v", feed.Entries)
	}
	code, hd, body := get(t, srv.URL+"/changes.atom")
	var atom atomFeed
	if code != 200 || !strings.HasPrefix(hd.Get("Content-Type"), "application/atom+xml") || xml.Unmarshal([]byte(body), &atom) != nil ||
		len(atom.Entries) != 3 || atom.Entries[0].Link.Href == "" || atom.Updated == "" {
		t.Errorf("atom: %d\n%s", code, body)
	}
}

// A search while the index is being built (Run's first build of a large
// index takes minutes) answers at once from the index as it is, and says so,
// instead of queueing behind the build.
func TestSearchDoesNotWaitForARefreshUnderWay(t *testing.T) {
	srv, _, h := newServer(t, catalogueFixtures()...)
	q := "/?q=" + url.QueryEscape("区县财政配套资金")
	if _, _, body := get(t, srv.URL+q); !strings.Contains(body, "Policies (1 of 3)") || strings.Contains(body, "still being brought up to date") {
		t.Fatalf("a search with the index idle:\n%s", body)
	}
	h.search.refreshing <- struct{}{} // a refresh under way
	defer func() { <-h.search.refreshing }()
	// with no deadline: waiting for the token would hang here
	if err := h.search.refreshIfIdle(context.Background(), nil); !errors.Is(err, errRefreshBusy) {
		t.Fatalf("refreshIfIdle during a refresh: %v", err)
	}
	code, _, body := get(t, srv.URL+q)
	if code != 200 || !strings.Contains(body, "Policies (1 of 3)") || !strings.Contains(body, "still being brought up to date") {
		t.Fatalf("a search during a refresh: %d\n%s", code, body)
	}
}

// Run indexes the texts once the policy index is still (and not while the
// pipeline keeps changing it, which a stamp of the rows tells).
func TestRunIndexesAStillIndex(t *testing.T) {
	_, st, h := newServer(t, catalogueFixtures()...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rows, err := st.NewIndexReader().Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stamp := rowsStamp(rows)
	changed := append(slices.Clone(rows), store.Row{ID: "9", Report: &store.ReportFacts{At: time.Now()}})
	if rowsStamp(changed) == stamp {
		t.Error("a new report must change the stamp")
	}
	if len(h.search.current().live) != 0 {
		t.Fatal("nothing is indexed before Run or a search")
	}
	h.refreshEvery = 10 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	for deadline := time.Now().Add(time.Minute); len(h.search.current().live) != len(rows); {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d policies indexed", len(h.search.current().live), len(rows))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if h.search.asked.Load() {
		t.Error("no one searched")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
