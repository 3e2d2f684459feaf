package policyapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/sample"
)

func startSample(t *testing.T) (*SampleServer, *httptest.Server) {
	t.Helper()
	s, err := NewSampleServer(sample.Catalogue(), sample.Files(), "")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.SetBase(ts.URL)
	return s, ts
}

func quietClient(base string, cfg ClientConfig, logs io.Writer) *Client {
	cfg.BaseURL = base
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	if cfg.RPS == 0 {
		cfg.RPS = 1000
	}
	return NewClient(cfg, slog.New(slog.NewTextHandler(logs, nil)))
}

func TestCrawlWholeCatalogue(t *testing.T) {
	s, ts := startSample(t)
	c := quietClient(ts.URL, ClientConfig{Token: "t"}, io.Discard)
	var got []Policy
	if err := c.Crawl(context.Background(), 10, func(p Policy) error { got = append(got, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 190 || s.Requests() != 19 {
		t.Fatalf("%d policies in %d requests", len(got), s.Requests())
	}
	first := got[0]
	if first.ID != "1778690715361914880" || len(first.Files) != 1 || first.Validate() != nil {
		t.Errorf("first record: %+v", first)
	}
	if !strings.HasPrefix(first.Files[0].FileURL, ts.URL+"/oss/") || !bytes.Contains(first.Raw, []byte(`"policyText"`)) {
		t.Errorf("fileUrl %q should point at the sample server; raw kept: %v", first.Files[0].FileURL, len(first.Raw))
	}
	resp, err := http.Get(first.Files[0].FileURL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download: %v %v", err, resp)
	}
	resp.Body.Close()
	resp, _ = http.Get(ts.URL + "/oss/202404/missing.doc")
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 404 || !bytes.Contains(b, []byte("NoSuchKey")) {
		t.Errorf("missing key: %d %s", resp.StatusCode, b)
	}
}

func TestRetriesAndErrors(t *testing.T) {
	s, ts := startSample(t)
	ctx := context.Background()

	s.SetFaults(Faults{FailFirst: 3})
	if _, err := quietClient(ts.URL, ClientConfig{}, io.Discard).Page(ctx, 1, 10); err != nil {
		t.Errorf("three 503s then success: %v", err)
	}

	s.SetFaults(Faults{TruncateRate: 1})
	if _, err := quietClient(ts.URL, ClientConfig{Retries: 2}, io.Discard).Page(ctx, 1, 10); !errors.Is(err, ErrUnavailable) {
		t.Errorf("always truncated: %v", err)
	}

	s.SetFaults(Faults{Latency: 300 * time.Millisecond})
	if _, err := quietClient(ts.URL, ClientConfig{Retries: 1, Timeout: 50 * time.Millisecond}, io.Discard).Page(ctx, 1, 10); !errors.Is(err, ErrUnavailable) {
		t.Errorf("timeouts: %v", err)
	}

	var logs bytes.Buffer
	s.SetFaults(Faults{RequireToken: true, ExpectedToken: "right-token"})
	before := s.Requests()
	_, err := quietClient(ts.URL, ClientConfig{Token: "secret-token-value"}, &logs).Page(ctx, 1, 10)
	if !errors.Is(err, ErrUnauthorized) || s.Requests()-before != 1 {
		t.Errorf("a refused token is not retried: %v after %d requests", err, s.Requests()-before)
	}
	if _, err := quietClient(ts.URL, ClientConfig{Token: "right-token"}, io.Discard).Page(ctx, 1, 10); err != nil {
		t.Errorf("right token: %v", err)
	}

	s.SetFaults(Faults{FailFirst: int(s.Requests()) + 2})
	_, err = quietClient(ts.URL, ClientConfig{Token: "secret-token-value"}, &logs).Page(ctx, 2, 10)
	if err != nil {
		t.Errorf("after two failures: %v", err)
	}
	if strings.Contains(logs.String(), "secret-token-value") || !strings.Contains(logs.String(), "retrying") {
		t.Errorf("logs must show retries and never the token:\n%s", logs.String())
	}
}

func TestAPIErrorAndValidation(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"success":false,"code":"500","msg":"系统繁忙","data":null}`))
	}))
	defer ts.Close()
	if _, err := quietClient(ts.URL, ClientConfig{}, io.Discard).Page(context.Background(), 1, 10); !errors.Is(err, ErrAPI) {
		t.Errorf("success=false: %v", err)
	}
	for _, p := range []Policy{{ID: "12a"}, {ID: "../../x"}, {ID: "1", Files: []File{{FileID: "x/y"}}}} {
		if !errors.Is(p.Validate(), ErrInvalidRecord) {
			t.Errorf("%+v should be invalid", p)
		}
	}
}
