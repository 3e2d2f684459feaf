package safehttp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func newDownloader(t *testing.T, cfg Config) *Downloader {
	t.Helper()
	d, err := NewDownloader(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// wantKind fails unless err is an *Error of kind want.
func wantKind(t *testing.T, err error, want Kind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *safehttp.Error of kind %s, got %v", want, err)
	}
	if e.Kind != want {
		t.Fatalf("kind %s, want %s: %v", e.Kind, want, err)
	}
	if e.Permanent() != want.Permanent() {
		t.Fatalf("Permanent() = %v for %s", e.Permanent(), want)
	}
	return e
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func readAll(t *testing.T, d *Download) []byte {
	t.Helper()
	b, err := io.ReadAll(d.Open())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// emptyDir fails if dir holds any file: temporary files must never stay.
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) > 0 {
		t.Errorf("%d files left in the temp dir, first %s", len(ents), ents[0].Name())
	}
}

func TestDownloadHonestFiles(t *testing.T) {
	host := hostileHost(t)
	dir := t.TempDir()
	d := newDownloader(t, Config{Allow: MustParseAllowList(hostPort(t, host)), MemoryBytes: 64 << 10, TempDir: dir})
	ctx := context.Background()
	for _, path := range []string{"/file.doc", "/chunked.doc", "/small.doc"} {
		t.Run(path, func(t *testing.T) {
			dl, err := d.Get(ctx, host.URL+path)
			if err != nil {
				t.Fatal(err)
			}
			want := fileBody
			if path == "/small.doc" {
				want = fileBody[:1000]
			}
			if dl.Size != int64(len(want)) || dl.SHA256 != sum(want) || string(readAll(t, dl)) != string(want) {
				t.Errorf("size %d sha %s", dl.Size, dl.SHA256)
			}
			// random access, as the parsers read
			p := make([]byte, 7)
			if n, err := dl.ReadAt(p, 12); n != 7 || err != nil || string(p) != string(want[12:19]) {
				t.Errorf("ReadAt: %q %v", p[:n], err)
			}
			if n, err := dl.ReadAt(p, dl.Size-3); n != 3 || err != io.EOF {
				t.Errorf("ReadAt at the end: %d %v", n, err)
			}
			if dl.URL != host.URL+path || len(dl.Redirects) != 0 {
				t.Errorf("URL %s, redirects %v", dl.URL, dl.Redirects)
			}
			// a large body is in an unlinked file: nothing in the dir even now
			emptyDir(t, dir)
			if err := dl.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestRedirectsRecordedAndChecked(t *testing.T) {
	host := hostileHost(t)
	other := newWitness(t) // another port on the same loopback
	ctx := context.Background()
	d := newDownloader(t, Config{Allow: MustParseAllowList(hostPort(t, host))})

	// within the host: followed and recorded
	to2 := "/redirect?code=301&to=" + url.QueryEscape("/file.doc")
	first := host.URL + "/redirect?code=307&to=" + url.QueryEscape(to2)
	dl, err := d.Get(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	want := []Hop{{URL: first, Status: 307}, {URL: host.URL + to2, Status: 301}}
	if dl.URL != host.URL+"/file.doc" || !reflect.DeepEqual(dl.Redirects, want) || dl.SHA256 != sum(fileBody) {
		t.Errorf("final %s, hops %+v", dl.URL, dl.Redirects)
	}

	// out of the allow-list: refused before connecting, with the hops so far
	for _, target := range []string{
		other.URL + "/internal",                                             // another loopback port
		strings.Replace(other.URL, "127.0.0.1", "localhost", 1),             // the same by name
		"http://169.254.169.254/latest/meta-data/iam/security-credentials/", // cloud metadata
		"http://[fe80::1]/",                                                 // IPv6 link-local
		"http://[::ffff:127.0.0.1]:1/",                                      // IPv4-mapped loopback, another port
		"file:///etc/passwd",
		"gopher://127.0.0.1/",
	} {
		start := host.URL + "/redirect?to=" + url.QueryEscape(target)
		_, err := d.Get(ctx, start)
		e := wantKind(t, err, KindHostNotAllowed)
		if len(e.Redirects) != 1 || e.Redirects[0] != (Hop{URL: start, Status: 302}) {
			t.Errorf("%s: hops %+v", target, e.Redirects)
		}
	}
	// the first URL is checked too
	_, err = d.Get(ctx, other.URL+"/internal")
	wantKind(t, err, KindHostNotAllowed)
	if n := other.conns.Load(); n != 0 {
		t.Errorf("the other port saw %d connections", n)
	}

	_, err = d.Get(ctx, host.URL+"/loop")
	if e := wantKind(t, err, KindHTTPError); len(e.Redirects) != 6 {
		t.Errorf("a redirect loop stops after 5 redirects: %d hops", len(e.Redirects))
	}
	none := newDownloader(t, Config{Allow: MustParseAllowList(hostPort(t, host)), MaxRedirects: -1})
	_, err = none.Get(ctx, host.URL+"/redirect?to=/file.doc")
	wantKind(t, err, KindHTTPError)
}

func TestHTTPSToHTTPRedirect(t *testing.T) {
	plain := hostileHost(t)
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/file.doc", http.StatusFound)
	}))
	defer secure.Close()
	tlsConfig := secure.Client().Transport.(*http.Transport).TLSClientConfig
	ctx := context.Background()

	// a scheme-less entry allows either scheme, but not a step down
	d := newDownloader(t, Config{Allow: MustParseAllowList(hostPort(t, secure), hostPort(t, plain)), TLSConfig: tlsConfig})
	_, err := d.Get(ctx, secure.URL+"/x")
	if e := wantKind(t, err, KindHostNotAllowed); len(e.Redirects) != 1 || !strings.HasPrefix(e.Redirects[0].URL, "https://") {
		t.Errorf("hops %+v", e.Redirects)
	}
	// an entry naming http:// explicitly allows it
	d = newDownloader(t, Config{Allow: MustParseAllowList("https://"+hostPort(t, secure), "http://"+hostPort(t, plain)), TLSConfig: tlsConfig})
	dl, err := d.Get(ctx, secure.URL+"/x")
	if err != nil {
		t.Fatal(err)
	}
	dl.Close()
	// https only: the plain host is not even allowed
	d = newDownloader(t, Config{Allow: MustParseAllowList("https://" + hostPort(t, plain))})
	_, err = d.Get(ctx, plain.URL+"/file.doc")
	wantKind(t, err, KindHostNotAllowed)
}

func TestHostileBodies(t *testing.T) {
	host := hostileHost(t)
	dir := t.TempDir()
	d := newDownloader(t, Config{Allow: MustParseAllowList(hostPort(t, host)), MaxBytes: 150_000, MemoryBytes: 16 << 10, TempDir: dir,
		// short windows keep the slow-loris case short; the kind is asserted, not the time
		MinBytes: 1024, RateWindow: 50 * time.Millisecond})
	ctx := context.Background()
	for _, c := range []struct {
		path string
		kind Kind
	}{
		{"/endless", KindTooLarge},
		{"/file.doc", KindTooLarge}, // an honest Content-Length over the limit
		{"/chunked.doc", KindTooLarge},
		{"/huge-length", KindTooLarge},
		{"/slow-loris", KindTooSlow},
		{"/short-body", KindTruncated},
		{"/missing", KindNotFound},
		{"/gone", KindNotFound},
		{"/forbidden", KindHTTPError},
		{"/partial", KindHTTPError},
		{"/broken", KindServerError},
		{"/busy", KindRateLimited},
	} {
		t.Run(c.path, func(t *testing.T) {
			_, err := d.Get(ctx, host.URL+c.path)
			e := wantKind(t, err, c.kind)
			if e.URL != host.URL+c.path {
				t.Errorf("URL %q", e.URL)
			}
			emptyDir(t, dir)
		})
	}
}

func TestLongerBodyThanDeclared(t *testing.T) {
	host := hostileHost(t)
	d := newDownloader(t, Config{Allow: MustParseAllowList(hostPort(t, host))})
	ctx := context.Background()
	dl, err := d.Get(ctx, host.URL+"/long-body")
	if err != nil {
		t.Fatal(err)
	}
	// the declared 10 bytes and nothing else; the surplus (a forged
	// response) is never read, and the connection is not reused
	if dl.Size != 10 || dl.SHA256 != sum(fileBody[:10]) {
		t.Errorf("got %d bytes %q", dl.Size, readAll(t, dl))
	}
	dl.Close()
	next, err := d.Get(ctx, host.URL+"/small.doc")
	if err != nil || next.SHA256 != sum(fileBody[:1000]) {
		t.Fatalf("the next download got %v %+v", err, next)
	}
	next.Close()
}

func TestContextEndsDownload(t *testing.T) {
	host := hostileHost(t)
	d := newDownloader(t, Config{Allow: MustParseAllowList(hostPort(t, host))})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := d.Get(ctx, host.URL+"/slow-loris")
	if e := wantKind(t, err, KindCanceled); !errors.Is(e, context.Canceled) {
		t.Errorf("the context's error is wrapped: %v", e)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now())
	defer cancel()
	_, err = d.Get(ctx, host.URL+"/slow-loris")
	wantKind(t, err, KindTooSlow)
}

func TestBadURLs(t *testing.T) {
	host := hostileHost(t)
	d := newDownloader(t, Config{Allow: MustParseAllowList(hostPort(t, host))})
	for _, c := range []struct {
		url  string
		kind Kind
	}{
		{"http://user:pass@" + hostPort(t, host) + "/file.doc", KindBadURL},
		{"http://%zz/", KindBadURL},
		{"http:///file.doc", KindBadURL},
		{"/file.doc", KindBadURL},
		{"ftp://" + hostPort(t, host) + "/file.doc", KindHostNotAllowed},
	} {
		_, err := d.Get(context.Background(), c.url)
		e := wantKind(t, err, c.kind)
		if strings.Contains(e.Error(), "pass@") {
			t.Errorf("a password in a URL is not repeated: %v", e)
		}
	}
	if _, err := NewDownloader(Config{}); err == nil {
		t.Error("a downloader without an allow-list")
	}
}
