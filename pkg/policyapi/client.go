package policyapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/policytext/policytext/pkg/safehttp"
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
	// ErrRefused: a redirect to another origin (scheme, host or port), or
	// a connection to an address the base URL does not name; the Token
	// never leaves the portal's origin.
	ErrRefused = errors.New("policyapi: refused to leave the portal's origin")
	// ErrPageTooLarge: an answer over MaxBody bytes.
	ErrPageTooLarge = errors.New("policyapi: page over the size limit")
	// ErrPaging: paging stopped before the portal's list was read (page
	// cap reached, or a portal that repeats itself before totalNum).
	ErrPaging = errors.New("policyapi: paging stopped early")
	// ErrNotFound: Find paged to the end without the id.
	ErrNotFound = errors.New("policyapi: policy not on the portal")
	// ErrConfig: the client's configuration cannot work.
	ErrConfig = errors.New("policyapi: bad configuration")
)

// ClientConfig configures a Client; zero values mean the defaults.
type ClientConfig struct {
	BaseURL   string        // default DefaultAPIURL
	Token     string        // sent as the Token header, to BaseURL's origin only; never logged
	UserAgent string        // default "policytext/1 (+https://github.com/policytext/policytext)"
	Timeout   time.Duration // per request, default 30 s
	Retries   int           // attempts after the first: default 4, negative for none
	Backoff   time.Duration // first retry delay, doubled each time, default 500 ms
	RPS       float64       // requests per second, default 2
	MaxBody   int64         // largest answer, default 32 MiB; a larger page is asked again smaller
	PageSize  int           // records per page when none is given (Find), default 50
	MaxPages  int           // pages one crawl reads at most, default 10000
	TLSConfig *tls.Config   // nil: system roots (tests set their own)
}

// Client reads the portal's list API.
type Client struct {
	cfg     ClientConfig
	base    *url.URL
	err     error // a configuration that cannot work, returned by every call
	hc      *http.Client
	limiter *rate.Limiter
	log     *slog.Logger
}

// NewClient returns a client for cfg. The connection rules of
// pkg/safehttp apply with the base URL's origin as the only allowed one:
// a loopback or private address is reached only if the base URL names it
// (by IP, or by a name written with its port), and a redirect off that
// origin is refused before anything is sent to it. An unusable BaseURL
// makes every call fail with ErrConfig.
func NewClient(cfg ClientConfig, log *slog.Logger) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultAPIURL
	}
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
	if cfg.PageSize <= 0 {
		cfg.PageSize = 50
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 10000
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	c := &Client{cfg: cfg, limiter: rate.NewLimiter(rate.Limit(cfg.RPS), 1), log: log}
	c.base, c.err = url.Parse(cfg.BaseURL)
	var allow *safehttp.AllowList
	if c.err == nil {
		var origin string
		if origin, c.err = safehttp.Origin(c.base); c.err == nil {
			allow, c.err = safehttp.ParseAllowList(origin)
		}
	}
	if c.err != nil {
		c.err = fmt.Errorf("%w: base URL %q: %v", ErrConfig, cfg.BaseURL, c.err)
		return c
	}
	c.hc = &http.Client{
		Timeout:   cfg.Timeout,
		Transport: safehttp.NewTransport(allow, cfg.TLSConfig),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			// called before the redirected request is sent: another
			// origin never sees the Token, nor anything else
			if !safehttp.SameOrigin(req.URL, c.base) {
				return fmt.Errorf("%w: redirect to %s://%s", ErrRefused, req.URL.Scheme, req.URL.Host)
			}
			if len(via) >= 5 {
				return fmt.Errorf("%w: more than 5 redirects", ErrBadResponse)
			}
			return nil
		},
	}
	return c
}

// Page fetches one page of the list (pageNo from 1).
func (c *Client) Page(ctx context.Context, pageNo, pageSize int) (*Page, error) {
	if c.err != nil {
		return nil, c.err
	}
	body, _ := json.Marshal(map[string]any{"pageNo": pageNo, "pageSize": pageSize, "query": map[string]any{}})
	var last error
	for attempt := 0; attempt <= c.cfg.Retries; attempt++ {
		if attempt > 0 {
			// full jitter: a random wait up to the exponential step
			d := time.Duration(rand.Int64N(int64(c.cfg.Backoff) << (attempt - 1)))
			c.log.Warn("portal request failed; retrying", "page", pageNo, "attempt", attempt, "wait", d.Round(time.Millisecond).String(), "err", last)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
		p, retry, err := c.try(ctx, body, pageNo, pageSize)
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
func (c *Client) try(ctx context.Context, body []byte, pageNo, pageSize int) (*Page, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+ListPath, bytes.NewReader(body))
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Token", c.cfg.Token)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		var refused *safehttp.Error
		switch {
		case ctx.Err() != nil:
			return nil, false, ctx.Err()
		case errors.Is(err, ErrRefused), errors.Is(err, ErrBadResponse):
			return nil, false, err
		case errors.As(err, &refused) && refused.Permanent():
			return nil, false, fmt.Errorf("%w: %v", ErrRefused, err)
		}
		return nil, true, err // timeouts, refused connections, resets
	}
	defer resp.Body.Close()
	if resp.ContentLength > c.cfg.MaxBody {
		return nil, false, fmt.Errorf("%w: Content-Length %d, limit %d", ErrPageTooLarge, resp.ContentLength, c.cfg.MaxBody)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	switch {
	case err != nil:
		return nil, true, err
	case int64(len(b)) > c.cfg.MaxBody:
		return nil, false, fmt.Errorf("%w: over %d bytes", ErrPageTooLarge, c.cfg.MaxBody)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, false, fmt.Errorf("%w: HTTP %d", ErrUnauthorized, resp.StatusCode)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, true, fmt.Errorf("HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("%w: HTTP %d", ErrBadResponse, resp.StatusCode)
	}
	p, err := decodePage(b, pageNo, pageSize)
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		// a cut-off body is a transient fault of the connection
		return nil, true, err
	}
	return p, false, err
}
