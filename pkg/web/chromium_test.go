package web

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/pipeline"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/sample"
)

// The pages in a real headless Chromium, as a reviewer uses them.
// Screenshots go to $WEB_ARTIFACTS (default: policytext-web-artifacts in
// the system's temp directory); they are for looking at, never committed.

func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("SKIPPED: no chromium on this machine (apt-get install chromium fonts-noto-cjk; .ci/run installs them)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func artifacts(t *testing.T) string {
	dir := os.Getenv("WEB_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "policytext-web-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func shot(t *testing.T, ctx context.Context, name string, full bool) {
	t.Helper()
	act := chromedp.CaptureScreenshot()
	if full {
		act = chromedp.FullScreenshot(100)
	}
	b, err := chromedp.Run(ctx, act)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(artifacts(t), name+".png")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

func run(t *testing.T, ctx context.Context, acts ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, acts...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// rect is an element's place on the screen.
type rect struct{ Top, Bottom, Left, Right, Width, Height float64 }

func rectOf(t *testing.T, ctx context.Context, sel string) rect {
	t.Helper()
	return eval[rect](t, ctx, `(() => { const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect();
		return {Top: r.top, Bottom: r.bottom, Left: r.left, Right: r.right, Width: r.width, Height: r.height}; })()`)
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

func inViewport(t *testing.T, ctx context.Context, sel string) bool {
	r := rectOf(t, ctx, sel)
	h := eval[float64](t, ctx, `window.innerHeight`)
	return r.Height > 0 && r.Top >= 0 && r.Bottom <= h
}

// TestDiffViewInChromium: a web-only paragraph faces a gap and the rows
// after it line up; the summary is on screen before any scrolling; a
// difference in the list brings both sides to it together, as do n and p;
// folded runs open on click; on a narrow screen each pair stacks.
func TestDiffViewInChromium(t *testing.T) {
	ctx := browser(t)
	srv, _, _ := newServer(t, catalogueFixtures()...)
	run(t, ctx, chromedp.Navigate(srv.URL+"/policies/1001"), chromedp.WaitVisible(chromedp.CSS("#diff")))
	shot(t, ctx, "policy-top", false)
	shot(t, ctx, "policy-full", true)

	if !inViewport(t, ctx, "#summary") {
		t.Error("the summary must be on screen before any scrolling")
	}
	if s := eval[string](t, ctx, `document.querySelector('#summary').textContent`); !strings.HasPrefix(s, "The web text changes 1 number, lacks 1 paragraph") {
		t.Errorf("summary %q", s)
	}
	// alignment: the web-only paragraph faces a visible, marked gap
	gap, para := rectOf(t, ctx, ".row.k-right .p.l.gap"), rectOf(t, ctx, ".row.k-right .p.r")
	if gap.Height < 10 || gap.Top != para.Top || gap.Right > para.Left {
		t.Errorf("gap %+v facing %+v", gap, para)
	}
	if note := eval[string](t, ctx, `document.querySelector('.row.k-right .p.l.gap').innerText`); note != "not in this text" {
		t.Errorf("gap note %q", note)
	}
	// the row after it pairs the attachment's 11th paragraph with the
	// web's 12th, side by side on one line
	after := eval[[]string](t, ctx, `(() => { const r = document.querySelector('.row.k-right').nextElementSibling;
		return [...r.querySelectorAll('.n, .p')].map(e => e.innerText); })()`)
	if len(after) != 4 || after[0] != "11" || after[2] != "12" || !strings.HasPrefix(after[1], "第11条") || after[1] != after[3] {
		t.Errorf("row after the gap: %q", after)
	}
	l, r := rectOf(t, ctx, ".row.k-right + .row .p.l"), rectOf(t, ctx, ".row.k-right + .row .p.r")
	if l.Top != r.Top || l.Right > r.Left {
		t.Errorf("the pair after the gap is not side by side: %+v %+v", l, r)
	}

	// folded runs: closed, their rows hidden, opened by a click
	if n := eval[int](t, ctx, `document.querySelectorAll('details.fold:not([open])').length`); n != 3 {
		t.Errorf("%d folded runs, want 3", n)
	}
	closed := eval[[]any](t, ctx, `(() => { const d = document.querySelectorAll('details.fold')[1];
		return [d.getBoundingClientRect().height, d.querySelector('.row').checkVisibility()]; })()`)
	run(t, ctx, chromedp.Click(chromedp.CSS(`details.fold:nth-of-type(2) > summary`)))
	open := eval[[]any](t, ctx, `(() => { const d = document.querySelectorAll('details.fold')[1];
		return [d.getBoundingClientRect().height, d.querySelector('.row').checkVisibility(), d.open]; })()`)
	if closed[1] != false || open[1] != true || open[2] != true || open[0].(float64) < closed[0].(float64)+15*20 {
		t.Errorf("folded run: closed %v, after a click %v", closed, open)
	}
	label := eval[string](t, ctx, `document.querySelectorAll('details.fold > summary')[1].textContent`)
	if label != "… 15 unchanged paragraphs" {
		t.Errorf("fold label %q", label)
	}

	// jump to the third difference (the paragraph the web lacks, far down)
	run(t, ctx, chromedp.Click(chromedp.CSS(`#differences li:nth-child(3) a.jump`)))
	waitFor(t, ctx, `document.querySelector('#d3').classList.contains('current')`)
	if !inViewport(t, ctx, "#d3 .p.l") || !inViewport(t, ctx, "#d3 .p.r") {
		t.Error("the difference's two sides must both be on screen")
	}
	if !strings.Contains(eval[string](t, ctx, `document.querySelector('#d3 .p.l').innerText`), "区县财政配套资金") ||
		!eval[bool](t, ctx, `document.querySelector('#d3 .p.r').classList.contains('gap')`) {
		t.Error("jumped to the wrong row")
	}
	shot(t, ctx, "policy-jump-d3", false)
	// p goes back to the second, n forward again
	run(t, ctx, chromedp.KeyEvent("p"))
	waitFor(t, ctx, `document.querySelector('#d2').classList.contains('current') && !document.querySelector('#d3').classList.contains('current')`)
	if !inViewport(t, ctx, "#d2 .p.l") || !inViewport(t, ctx, "#d2 .p.r") {
		t.Error("p: both sides of the previous difference must be on screen")
	}
	run(t, ctx, chromedp.KeyEvent("p"), chromedp.KeyEvent("n"), chromedp.KeyEvent("n"))
	waitFor(t, ctx, `document.querySelector('#d3').classList.contains('current')`)

	// narrow: each pair stacks, the attachment's paragraph above the web's
	run(t, ctx, chromedp.EmulateViewport(480, 900), chromedp.Navigate(srv.URL+"/policies/1001"), chromedp.WaitVisible(chromedp.CSS("#diff")))
	al, wr := rectOf(t, ctx, "#d1 .p.l"), rectOf(t, ctx, "#d1 .p.r")
	if wr.Top < al.Bottom-1 || al.Width < 300 || wr.Width < 300 || al.Left != wr.Left {
		t.Errorf("narrow: pair not stacked: %+v %+v", al, wr)
	}
	if w := eval[float64](t, ctx, `document.documentElement.scrollWidth`); w > 480 {
		t.Errorf("narrow: the page is %v px wide", w)
	}
	shot(t, ctx, "policy-narrow", false)
	run(t, ctx, chromedp.Click(chromedp.CSS(`#differences li:nth-child(1) a.jump`)))
	waitFor(t, ctx, `document.querySelector('#d1').classList.contains('current')`)
	if !inViewport(t, ctx, "#d1 .p.l") || !inViewport(t, ctx, "#d1 .p.r") {
		t.Error("narrow: the pair must stay together on screen")
	}
	shot(t, ctx, "policy-narrow-d1", false)
}

func waitFor(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", js, err)
	}
}

// TestSearchInChromium: a phrase found only inside an attachment, typed
// in the search box, finds its policy with the passage highlighted.
func TestSearchInChromium(t *testing.T) {
	ctx := browser(t)
	srv, _, _ := newServer(t, catalogueFixtures()...)
	run(t, ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#policies")))
	shot(t, ctx, "list", false)
	run(t, ctx, chromedp.SendKeys(chromedp.CSS(`header input[name=q]`), "配套资金"),
		chromedp.Submit(chromedp.CSS(`header input[name=q]`)), chromedp.WaitVisible(chromedp.CSS(".passage mark")))
	shot(t, ctx, "search", false)
	got := eval[[]string](t, ctx, `[...document.querySelectorAll('#policies tbody tr')].map(r => r.querySelector('a').getAttribute('href') + ' ' + r.querySelector('.passage mark').textContent)`)
	if len(got) != 1 || got[0] != "/policies/1001 配套资金" {
		t.Errorf("results %q", got)
	}
	if h := eval[string](t, ctx, `document.querySelector('h1').textContent`); h != "Policies (1 of 3)" {
		t.Errorf("heading %q", h)
	}
}

// TestHistoryInChromium: a second crawl of the sample portal, one of its
// records modified (a number changed, a paragraph removed), and the page
// shows the change: the list marks the policy, its history says when, the
// diff shows what.
func TestHistoryInChromium(t *testing.T) {
	ctx := browser(t)
	n, err := devstack.StartNATS(devstack.NATSConfig{Dir: t.TempDir()})
	must(t, err)
	t.Cleanup(n.Stop)
	nc, js, err := queue.Connect(n.URL, "web-test")
	must(t, err)
	t.Cleanup(nc.Close)
	must(t, queue.Setup(context.Background(), js))
	st := newStore(t)
	// the portal keeps its address between the crawls: its records' fileUrl
	// name it, and a record whose every link moved is changed too
	addr := ""
	crawl := func(catalogue []byte) {
		portal, err := devstack.StartPortalWith(addr, catalogue, sample.Files())
		must(t, err)
		defer portal.Stop()
		addr = strings.TrimPrefix(portal.URL, "http://")
		api := policyapi.NewClient(policyapi.ClientConfig{BaseURL: portal.URL, Token: "t", RPS: 1000, Backoff: time.Millisecond}, quiet())
		f := &pipeline.Fetcher{API: api, Store: st, JS: js, Log: quiet(), PageSize: 50}
		if _, err := f.Crawl(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	crawl(sample.Catalogue())
	const id = "1778690715361914880"
	crawl(modified(t, id))

	h := New(st, quiet())
	srv := newHTTP(t, h)
	run(t, ctx, chromedp.Navigate(srv+"/"), chromedp.WaitVisible(chromedp.CSS("#policies")))
	tags := eval[[]string](t, ctx, `[...document.querySelectorAll('#policies a.tag.changed')].map(a => a.getAttribute('href'))`)
	if len(tags) != 1 || tags[0] != "/policies/"+id+"/history" {
		t.Fatalf("changed policies marked in the list: %q", tags)
	}
	run(t, ctx, chromedp.Navigate(srv+"/policies/"+id), chromedp.WaitVisible(chromedp.CSS("#history-link")),
		chromedp.Click(chromedp.CSS("#history-link")), chromedp.WaitVisible(chromedp.CSS("#changes")))
	shot(t, ctx, "history", false)
	item := eval[string](t, ctx, `document.querySelector('#changes li').textContent`)
	if !strings.Contains(item, "the web text changed — The later web text changes 1 number and removes 1 paragraph.") ||
		!strings.Contains(item, time.Now().UTC().Format("2006-01-02")) {
		t.Errorf("history entry %q", item)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS("a.vdiff")), chromedp.WaitVisible(chromedp.CSS("#diff")))
	shot(t, ctx, "history-diff", true)
	marks := eval[[]string](t, ctx, `[...document.querySelectorAll('#diff mark.numeric')].map(m => m.textContent)`)
	gapRow := eval[string](t, ctx, `document.querySelector('.row.k-left .p.l').innerText`)
	if strings.Join(marks, ",") != "30次,31次" && strings.Join(marks, ",") != "30,31" {
		t.Errorf("numeric marks %q", marks)
	}
	if gapRow != "重庆市科技局" {
		t.Errorf("the removed paragraph %q", gapRow)
	}
}

// modified is the sample catalogue with one record changed as the portal
// might change it after publication (a number, a paragraph removed), the
// others byte for byte as they were.
func modified(t *testing.T, id string) []byte {
	cat := sample.Catalogue()
	at := bytes.Index(cat, []byte(`"id": "`+id+`"`))
	next := bytes.Index(cat[at+1:], []byte(`"id": "`))
	if at < 0 || next < 0 {
		t.Fatalf("no record %s", id)
	}
	rec, rest := cat[:at+1+next], cat[at+1+next:]
	out := bytes.Replace(rec, []byte("第30次会议"), []byte("第31次会议"), 1)
	out = bytes.Replace(out, []byte("<p>重庆市科技局</p>"), nil, 1)
	if len(out) == len(rec) || bytes.Equal(out, rec) {
		t.Fatal("the sample record is not as expected")
	}
	return append(bytes.Clone(out), rest...)
}
