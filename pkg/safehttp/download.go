package safehttp

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Downloader; zero values mean the defaults.
type Config struct {
	// Allow lists the origins files may come from, on the first URL and on
	// every redirect. Required.
	Allow *AllowList
	// MaxBytes is the largest body accepted, default 64 MiB. A larger
	// Content-Length is refused before reading; a body that runs past it
	// is cut there.
	MaxBytes int64
	// MemoryBytes: bodies up to this size stay in memory, larger ones go
	// to a temporary file in TempDir. Default 1 MiB.
	MemoryBytes int64
	// TempDir holds the temporary files, default os.TempDir(). A file is
	// unlinked as soon as it is created, so none is left behind even if
	// the process dies; its space is freed on Close.
	TempDir string
	// MaxRedirects followed (each checked against Allow), default 5;
	// negative refuses every redirect.
	MaxRedirects int
	// HeaderTimeout bounds the wait for each response's headers, default
	// 30 s.
	HeaderTimeout time.Duration
	// The body must bring at least MinBytes in every RateWindow (counted
	// in consecutive windows from the headers), or the download ends as
	// KindTooSlow. Defaults 16 KiB per 30 s. The overall deadline is the
	// context's.
	MinBytes   int64
	RateWindow time.Duration
	// UserAgent, default "policytext/1".
	UserAgent string
	// TLSConfig for https (nil: system roots); tests set RootCAs.
	TLSConfig *tls.Config
}

func (c Config) withDefaults() Config {
	if c.MaxBytes <= 0 {
		c.MaxBytes = 64 << 20
	}
	if c.MemoryBytes <= 0 {
		c.MemoryBytes = 1 << 20
	}
	if c.TempDir == "" {
		c.TempDir = os.TempDir()
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = 5
	}
	if c.HeaderTimeout <= 0 {
		c.HeaderTimeout = 30 * time.Second
	}
	if c.MinBytes <= 0 {
		c.MinBytes = 16 << 10
	}
	if c.RateWindow <= 0 {
		c.RateWindow = 30 * time.Second
	}
	if c.UserAgent == "" {
		c.UserAgent = "policytext/1"
	}
	return c
}

// Downloader fetches files from allowed origins within limits of size,
// time and rate. It is safe for concurrent use.
type Downloader struct {
	cfg    Config
	client *http.Client
}

// NewDownloader returns a Downloader for cfg.
func NewDownloader(cfg Config) (*Downloader, error) {
	if cfg.Allow.Len() == 0 {
		return nil, errors.New("safehttp: the downloader needs an allow-list")
	}
	cfg = cfg.withDefaults()
	tr := NewTransport(cfg.Allow, cfg.TLSConfig)
	tr.ResponseHeaderTimeout = cfg.HeaderTimeout
	// a connection is never reused: bytes a server sends past its
	// Content-Length cannot be taken for the next response
	tr.DisableKeepAlives = true
	return &Downloader{cfg: cfg, client: &http.Client{
		Transport: tr,
		// redirects are followed by Get, which checks each hop
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// Hop is one redirect followed: the URL that answered and its status.
type Hop struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
}

// Download is a fetched body, in memory or in an unlinked temporary file.
// It is an io.ReaderAt of Size bytes (what pkg/extract takes); Close
// frees it.
type Download struct {
	URL         string // the final URL, after redirects
	Redirects   []Hop  // every redirect followed, in order
	ContentType string
	Size        int64
	SHA256      string // hex, of the body as received

	mem  []byte
	file *os.File
	name string // the temporary file, if it could not be unlinked at once
}

// ReadAt reads the body; safe for concurrent use.
func (d *Download) ReadAt(p []byte, off int64) (int, error) {
	if d.file != nil {
		return d.file.ReadAt(p, off)
	}
	if off < 0 {
		return 0, errors.New("safehttp: negative offset")
	}
	if off >= int64(len(d.mem)) {
		return 0, io.EOF
	}
	n := copy(p, d.mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Open returns a reader over the whole body (for an upload), independent
// of other readers.
func (d *Download) Open() *io.SectionReader { return io.NewSectionReader(d, 0, d.Size) }

// Close frees the body (and its temporary file).
func (d *Download) Close() error {
	d.mem = nil
	if d.file == nil {
		return nil
	}
	err := d.file.Close()
	if d.name != "" {
		if rerr := os.Remove(d.name); err == nil {
			err = rerr
		}
	}
	d.file = nil
	return err
}

// errTooSlow is the cause given to the request's context when the body
// falls under the minimum rate.
var errTooSlow = errors.New("body under the minimum transfer rate")

// Get fetches rawURL, following redirects that stay within the
// allow-list. Every failure is an *Error; see Kind for which are
// permanent.
func (d *Downloader) Get(ctx context.Context, rawURL string) (*Download, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &Error{Kind: KindBadURL, URL: rawURL, Err: err}
	}
	reqCtx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	var hops []Hop
	from := ""
	for {
		if _, err := d.cfg.Allow.admit(u, from); err != nil {
			var e *Error
			errors.As(err, &e)
			e.Redirects = hops
			return nil, e
		}
		fail := func(kind Kind, status int, err error) (*Download, error) {
			return nil, &Error{Kind: kind, URL: redact(u), Status: status, Redirects: hops, Err: err}
		}
		req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, u.String(), nil)
		if err != nil {
			return fail(KindBadURL, 0, err)
		}
		req.Header.Set("User-Agent", d.cfg.UserAgent)
		req.Header.Set("Accept", "*/*")
		resp, err := d.client.Do(req)
		if err != nil {
			return fail(d.classify(ctx, reqCtx, err), 0, err)
		}
		switch code := resp.StatusCode; {
		case code == http.StatusOK:
			dl, kind, err := d.body(ctx, reqCtx, resp, abort)
			if err != nil {
				return fail(kind, code, err)
			}
			dl.URL, dl.Redirects = redact(u), hops
			return dl, nil
		case isRedirect(code):
			resp.Body.Close() // unread: a redirect's body is not wanted
			hops = append(hops, Hop{URL: redact(u), Status: code})
			if len(hops) > d.cfg.MaxRedirects {
				return fail(KindHTTPError, code, fmt.Errorf("more than %d redirects", max(d.cfg.MaxRedirects, 0)))
			}
			loc := resp.Header.Get("Location")
			if loc == "" {
				return fail(KindHTTPError, code, errors.New("redirect without a Location"))
			}
			next, err := u.Parse(loc)
			if err != nil {
				return fail(KindBadURL, code, fmt.Errorf("redirect to %q: %w", loc, err))
			}
			from, u = u.Scheme, next
		default:
			resp.Body.Close()
			return fail(statusKind(code), code, fmt.Errorf("HTTP %d", code))
		}
	}
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func statusKind(code int) Kind {
	switch {
	case code == http.StatusNotFound || code == http.StatusGone:
		return KindNotFound
	case code == http.StatusTooManyRequests:
		return KindRateLimited
	case code >= 500:
		return KindServerError
	}
	return KindHTTPError
}

// classify names a transport or body-reading failure.
func (d *Downloader) classify(parent, reqCtx context.Context, err error) Kind {
	var refused *Error
	switch {
	case errors.As(err, &refused):
		return refused.Kind // the dialler refused the address
	case errors.Is(context.Cause(reqCtx), errTooSlow):
		return KindTooSlow
	case errors.Is(parent.Err(), context.DeadlineExceeded):
		return KindTooSlow
	case parent.Err() != nil:
		return KindCanceled
	case errors.Is(err, io.ErrUnexpectedEOF):
		return KindTruncated
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return KindTooSlow // no headers within HeaderTimeout, or no connection in time
	}
	return KindNetwork
}

// body streams a 200 response into a Download, hashing as it goes.
func (d *Downloader) body(parent, reqCtx context.Context, resp *http.Response, abort context.CancelCauseFunc) (*Download, Kind, error) {
	defer resp.Body.Close()
	limit := d.cfg.MaxBytes
	if resp.ContentLength > limit {
		return nil, KindTooLarge, fmt.Errorf("Content-Length %d is over the limit of %d bytes", resp.ContentLength, limit)
	}
	sp := &spool{dir: d.cfg.TempDir, memMax: d.cfg.MemoryBytes}
	if resp.ContentLength >= 0 && resp.ContentLength <= sp.memMax {
		sp.mem = make([]byte, 0, resp.ContentLength)
	}
	var got atomic.Int64
	stop := watchRate(&got, d.cfg.MinBytes, d.cfg.RateWindow, func() { abort(errTooSlow) })
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(h, sp), &countingReader{r: io.LimitReader(resp.Body, limit+1), n: &got}, make([]byte, 32<<10))
	stop()
	fail := func(kind Kind, err error) (*Download, Kind, error) {
		sp.discard()
		return nil, kind, err
	}
	switch {
	case err != nil && sp.werr != nil:
		return fail(KindLocal, err)
	case err != nil:
		return fail(d.classify(parent, reqCtx, err), fmt.Errorf("after %d bytes: %w", n, err))
	case n > limit:
		return fail(KindTooLarge, fmt.Errorf("body over the limit of %d bytes", limit))
	case resp.ContentLength >= 0 && n != resp.ContentLength:
		return fail(KindTruncated, fmt.Errorf("got %d of %d bytes", n, resp.ContentLength))
	}
	return &Download{ContentType: resp.Header.Get("Content-Type"), Size: n, SHA256: hex.EncodeToString(h.Sum(nil)),
		mem: sp.mem, file: sp.file, name: sp.name}, "", nil
}

// countingReader counts the bytes read, for the rate watchdog.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// watchRate calls abort when fewer than min bytes arrived in a window;
// stop ends the watch and waits for its goroutine.
func watchRate(got *atomic.Int64, min int64, window time.Duration, abort func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(window)
		defer t.Stop()
		var last int64
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n := got.Load()
				if n-last < min {
					abort()
					return
				}
				last = n
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// spool keeps a body in memory up to memMax, then in a temporary file.
type spool struct {
	dir    string
	memMax int64
	mem    []byte
	file   *os.File
	name   string // set if the file could not be unlinked at once
	werr   error  // a local write failure (not the network's)
}

func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && int64(len(s.mem)+len(p)) <= s.memMax {
		s.mem = append(s.mem, p...)
		return len(p), nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.dir, "safehttp-*")
		if err != nil {
			s.werr = err
			return 0, err
		}
		// unlinked at once: the space is freed on Close, or when the
		// process ends however it ends
		if os.Remove(f.Name()) != nil {
			s.name = f.Name()
		}
		s.file = f
		if _, err := f.Write(s.mem); err != nil {
			s.werr = err
			return 0, err
		}
		s.mem = nil
	}
	n, err := s.file.Write(p)
	if err != nil {
		s.werr = err
	}
	return n, err
}

func (s *spool) discard() {
	s.mem = nil
	if s.file != nil {
		s.file.Close()
		if s.name != "" {
			os.Remove(s.name)
		}
	}
}
