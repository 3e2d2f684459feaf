package policyapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Errors of the client.
var (
	// ErrAPI: the portal answered success=false or a code other than "0".
	ErrAPI = errors.New("policyapi: API error")
	// ErrBadResponse: the answer is not the API's JSON.
	ErrBadResponse = errors.New("policyapi: bad response")
	// ErrUnauthorized: the portal refused the token (401/403).
	ErrUnauthorized = errors.New("policyapi: unauthorized (check the token)")
	// ErrUnavailable: retries were exhausted on timeouts, 5xx or 429.
	ErrUnavailable = errors.New("policyapi: portal unavailable")
)

// ClientConfig configures a Client; zero values mean the defaults.
type ClientConfig struct {
	BaseURL   string
	Token     string        // sent as the Token header; never logged
	UserAgent string        // default "policytext/1 (+https://github.com/policytext/policytext)"
	Timeout   time.Duration // per request, default 30 s
	Retries   int           // attempts after the first: default 4, negative for none
	Backoff   time.Duration // first retry delay, doubled each time, default 500 ms
	RPS       float64       // requests per second, default 2
	MaxBody   int64         // default 32 MiB
}

// Client reads the portal's list API.
type Client struct {
	cfg     ClientConfig
	hc      *http.Client
	limiter *rate.Limiter
	log     *slog.Logger
}

// NewClient returns a client for cfg.
func NewClient(cfg ClientConfig, log *slog.Logger) *Client {
	if cfg.UserAgent == "" {
		cfg.UserAgent = "policytext/1 (+https://github.com/policytext/policytext)"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	} else if cfg.Retries == 0 {
		cfg.Retries = 4
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.RPS <= 0 {
		cfg.RPS = 2
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 32 << 20
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Client{cfg: cfg, hc: &http.Client{Timeout: cfg.Timeout},
		limiter: rate.NewLimiter(rate.Limit(cfg.RPS), 1), log: log}
}

// Page fetches one page of the list (pageNo from 1).
func (c *Client) Page(ctx context.Context, pageNo, pageSize int) (*Page, error) {
	body, _ := json.Marshal(map[string]any{"pageNo": pageNo, "pageSize": pageSize, "query": map[string]any{}})
	var last error
	for attempt := 0; attempt <= c.cfg.Retries; attempt++ {
		if attempt > 0 {
			// full jitter: a random wait up to the exponential step
			d := time.Duration(rand.Int64N(int64(c.cfg.Backoff) << (attempt - 1)))
			c.log.Warn("portal request failed; retrying", "page", pageNo, "attempt", attempt, "wait", d, "err", last)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
		p, retry, err := c.try(ctx, body)
		if err == nil {
			return p, nil
		}
		if !retry {
			return nil, err
		}
		last = err
	}
	return nil, fmt.Errorf("%w: page %d after %d attempts: %v", ErrUnavailable, pageNo, c.cfg.Retries+1, last)
}

// try makes one request; retry says whether the failure is transient.
func (c *Client) try(ctx context.Context, body []byte) (*Page, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+ListPath, bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Token", c.cfg.Token)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, true, err // timeouts, refused connections, resets
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	switch {
	case err != nil:
		return nil, true, err
	case int64(len(b)) > c.cfg.MaxBody:
		return nil, false, fmt.Errorf("%w: response over %d bytes", ErrBadResponse, c.cfg.MaxBody)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, false, fmt.Errorf("%w: HTTP %d", ErrUnauthorized, resp.StatusCode)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, true, fmt.Errorf("HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("%w: HTTP %d", ErrBadResponse, resp.StatusCode)
	}
	p, err := decodePage(b)
	if err != nil && errors.Is(err, ErrBadResponse) {
		// a cut-off body is a transient fault of the connection
		return nil, true, err
	}
	return p, false, err
}

// Crawl pages through the whole list and calls fn for every policy, in
// the portal's order. It stops at the first error of fn.
func (c *Client) Crawl(ctx context.Context, pageSize int, fn func(Policy) error) error {
	for no := 1; ; no++ {
		p, err := c.Page(ctx, no, pageSize)
		if err != nil {
			return err
		}
		for _, pol := range p.Policies {
			if err := fn(pol); err != nil {
				return err
			}
		}
		if !p.HasNext || len(p.Policies) == 0 {
			return nil
		}
		if no > 100000 {
			return fmt.Errorf("%w: more than 100000 pages", ErrBadResponse)
		}
	}
}
