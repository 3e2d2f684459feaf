package allinone

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/policytext/policytext/pkg/internal/testlog"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func runOnce(t *testing.T, dir string) Summary {
	t.Helper()
	var out bytes.Buffer
	err := Run(context.Background(), Config{Data: dir, Once: true, HTTPAddr: "127.0.0.1:0", S3Addr: "127.0.0.1:0", NATSPort: -1},
		&out, io.Discard, quiet())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var s Summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("last line is not the summary: %q", out.String())
	}
	return s
}

// TestOnceTwice: the first run extracts and reconciles every sample
// attachment (the demo serves the recon cases, so every verdict shows);
// a second run on the same data does no new work.
func TestOnceTwice(t *testing.T) {
	dir := t.TempDir()
	first := runOnce(t, dir)
	want := map[string]int{"match": 186, "differs": 2, "truncated": 1, "different_document": 1}
	if first.Policies != 190 || first.Attachments != 190 || first.Queued != 190 || first.Extracted != 190 ||
		first.Failed != 0 || first.Dead != 0 || first.ExtractedThisRun != 190 || !equal(first.Reconciled, want) {
		t.Fatalf("first run: %+v", first)
	}
	second := runOnce(t, dir)
	if second.Queued != 0 || second.ExtractedThisRun != 0 || second.Extracted != 190 || !equal(second.Reconciled, want) {
		t.Fatalf("second run: %+v", second)
	}
}

func equal(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestWebPageInChromium: the page served by the all-in-one, in a real
// headless Chromium: the list, then a policy with differences, whose
// numeric difference is highlighted on both sides.
func TestWebPageInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("SKIPPED: no chromium on this machine (.ci/run installs Debian's chromium)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan Addresses, 1)
	done := make(chan error, 1)
	dir := t.TempDir()
	go func() {
		done <- Run(ctx, Config{Data: dir, HTTPAddr: "127.0.0.1:0", S3Addr: "127.0.0.1:0", NATSPort: -1,
			Ready: func(a Addresses) { ready <- a }}, io.Discard, io.Discard, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}()
	var addr Addresses
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	// wait until every policy is listed with its verdict
	const policy = "1778690715361914880" // recon-01: a changed number, a deleted paragraph
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(addr.Web + "/")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(b, []byte(`<h1>Policies (190)</h1>`)) && !bytes.Contains(b, []byte(`v-pending`)) {
				break
			}
		}
		if time.Now().After(deadline) {
			resp, err := http.Get(addr.Web + "/")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				t.Logf("%d rows, pending %v", bytes.Count(b, []byte(`href="/policies/`)), bytes.Contains(b, []byte(`v-pending`)))
			}
			t.Fatal("not all 190 policies reconciled after 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	bctx, tcancel := context.WithTimeout(bctx, 90*time.Second)
	defer tcancel()
	if err := chromedp.Do(bctx, chromedp.Navigate(addr.Web+"/"), chromedp.WaitVisible(chromedp.CSS(`#policies`))); err != nil {
		t.Fatal(err)
	}
	// the list pages at 100 policies
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#policies tbody tr').length`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`a[rel="next"]`)), chromedp.WaitVisible(chromedp.CSS(`a[rel="prev"]`))); err != nil {
		t.Fatal(err)
	}
	rows2, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('#policies tbody tr').length`))
	if err != nil || rows+rows2 != 190 {
		t.Fatalf("rows on the two pages: %d + %d (%v)", rows, rows2, err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(addr.Web+"/"), chromedp.WaitVisible(chromedp.CSS(`#policies`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`a[href="/policies/`+policy+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#verdict`))); err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	verdict, attMark, webMark, firstItem := text(`#verdict`), text(`#diff .p.l mark.numeric`), text(`#diff .p.r mark.numeric`), text(`#differences li`)
	if rows != 100 || verdict != "differs" || attMark != "5倍" || webMark != "4倍" || !strings.Contains(firstItem, "number changed") {
		t.Errorf("rows %d, verdict %q, marks %q/%q, first item %q", rows, verdict, attMark, webMark, firstItem)
	}
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Error(err)
	}
	os.RemoveAll(dir)
}

// TestOneInstancePerDataDirectory: a second all-in-one on the same data
// directory refuses to start and says why; the first is untouched; the
// data directory is private.
func TestOneInstancePerDataDirectory(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Addresses, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Data: dir, HTTPAddr: "127.0.0.1:0", S3Addr: "127.0.0.1:0", NATSPort: -1,
			Ready: func(a Addresses) { ready <- a }}, io.Discard, io.Discard, quiet())
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	err := Run(context.Background(), Config{Data: dir, HTTPAddr: "127.0.0.1:0", S3Addr: "127.0.0.1:0", NATSPort: -1, Once: true},
		io.Discard, io.Discard, quiet())
	if err == nil || !strings.Contains(err.Error(), "in use by another all-in-one") {
		t.Errorf("second instance: %v", err)
	}
	for _, p := range []string{dir, dir + "/s3", dir + "/nats"} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: %v %v (must be private)", p, st.Mode(), err)
		}
	}
	if st, err := os.Stat(dir + "/s3-credentials.json"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("credentials: %v %v", st.Mode(), err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

// TestAPortInUseIsNamed: each of the three ports, taken by another
// process, fails the start at once with its address.
func TestAPortInUseIsNamed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().String()
	port := l.Addr().(*net.TCPAddr).Port
	for name, cfg := range map[string]Config{
		"web":  {HTTPAddr: busy, S3Addr: "127.0.0.1:0", NATSPort: -1},
		"s3":   {HTTPAddr: "127.0.0.1:0", S3Addr: busy, NATSPort: -1},
		"nats": {HTTPAddr: "127.0.0.1:0", S3Addr: "127.0.0.1:0", NATSPort: port},
	} {
		cfg.Data, cfg.Once = t.TempDir(), true
		err := Run(context.Background(), cfg, io.Discard, io.Discard, quiet())
		if err == nil || !strings.Contains(err.Error(), strconv.Itoa(port)) || !strings.Contains(err.Error(), "in use") {
			t.Errorf("%s port in use: %v", name, err)
		}
	}
}

// TestStopDrainsBeforeTheServersStop: stopped while attachments are being
// extracted and reconciled, the all-in-one lets its stages finish or hand
// back their work while the embedded S3 server still answers (it used to
// stop with the signal, and the stages' last writes were refused).
func TestStopDrainsBeforeTheServersStop(t *testing.T) {
	var logs testlog.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Data: t.TempDir(), HTTPAddr: "127.0.0.1:0", S3Addr: "127.0.0.1:0", NATSPort: -1, SampleCopies: 1000},
			io.Discard, io.Discard, log)
	}()
	for deadline := time.Now().Add(2 * time.Minute); strings.Count(logs.String(), "msg=reconciled") < 200; {
		select {
		case err := <-done:
			t.Fatalf("stopped before extracting: %v\n%s", err, logs.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing extracted in 2 minutes:\n%s", logs.String())
		}
	}
	cancel() // mid-run: 1,000 attachments are being extracted and reconciled
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"connection refused", "not stored; retrying"} {
		if strings.Contains(logs.String(), bad) {
			t.Errorf("a stage met a stopped server (%q):\n%s", bad, logs.String())
		}
	}
}
