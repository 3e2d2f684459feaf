package safehttp

import (
	"fmt"
	"strings"
)

// Kind names a failure for records and metrics. Permanent kinds mean that
// asking again cannot help; the others are worth a retry later.
type Kind string

// Permanent kinds.
const (
	KindHostNotAllowed Kind = "host_not_allowed" // scheme, host, port or address refused (first URL or a redirect)
	KindBadURL         Kind = "bad_url"          // not a URL we can fetch
	KindTooLarge       Kind = "too_large"        // over the size limit (declared or counted)
	KindNotFound       Kind = "not_found"        // 404 or 410
	KindHTTPError      Kind = "http_error"       // any other unexpected status
)

// Transient kinds.
const (
	KindTooSlow     Kind = "too_slow"     // no headers in time, under the minimum rate, or past the context's deadline
	KindNetwork     Kind = "network"      // connection refused, reset, TLS failure...
	KindServerError Kind = "server_error" // 5xx
	KindRateLimited Kind = "rate_limited" // 429
	KindTruncated   Kind = "truncated"    // the body ended before its Content-Length
	KindCanceled    Kind = "canceled"     // the caller's context was canceled
	KindLocal       Kind = "local"        // the body could not be written here (temp dir full...)
)

// Permanent reports whether retrying cannot help.
func (k Kind) Permanent() bool {
	switch k {
	case KindHostNotAllowed, KindBadURL, KindTooLarge, KindNotFound, KindHTTPError:
		return true
	}
	return false
}

// Error is every failure of a download, permanent or not:
//
//	var de *safehttp.Error
//	if errors.As(err, &de) && de.Kind.Permanent() { record(de.Kind, de) }
type Error struct {
	Kind      Kind
	URL       string // the URL being fetched when it failed ("" at dial time)
	Status    int    // the HTTP status, when one was received
	Redirects []Hop  // the redirects followed before the failure
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("safehttp: ")
	b.WriteString(string(e.Kind))
	if e.URL != "" {
		fmt.Fprintf(&b, ": %s", e.URL)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether retrying cannot help.
func (e *Error) Permanent() bool { return e.Kind.Permanent() }
