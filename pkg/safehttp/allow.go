package safehttp

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// AllowList is the set of origins a client may reach. An entry is
// "scheme://host[:port]" or "host[:port]":
//
//   - a scheme limits the entry to that scheme (http or https); without one
//     both are allowed;
//   - without a port the entry means the scheme's default port only (http
//     80, https 443); with one, that port only;
//   - the host is a DNS name, compared exactly (no wildcards, no
//     subdomains), or an IP literal ("127.0.0.1", "[::1]:8080").
//
// An entry also decides which addresses a connection may reach (see
// [AllowList.DialContext]), judged on the address actually dialled:
//
//   - an IP-literal entry reaches that address, whatever it is;
//   - a name entry reaches public addresses; loopback, private (RFC 1918,
//     fc00::/7) and other special-purpose addresses only if the entry writes
//     its port explicitly ("sampleportal:8090", "localhost:8090"), which
//     is how one says "this name is meant to be internal";
//   - link-local (169.254.0.0/16 with the cloud metadata address,
//     fe80::/10), unspecified and multicast addresses are never reached
//     through a name.
//
// The zero AllowList allows nothing.
type AllowList struct {
	entries  []entry
	resolver *net.Resolver // nil: the default; tests point it at their own DNS server
}

type entry struct {
	raw    string
	scheme string // "" for either
	host   string // lower case, no trailing dot; an IP literal in canonical form
	ip     netip.Addr
	port   string // "" for the scheme's default
}

// ParseAllowList reads allow-list entries. Empty entries are ignored; a
// malformed one is an error naming it.
func ParseAllowList(entries ...string) (*AllowList, error) {
	a := &AllowList{}
	for _, raw := range entries {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		e, err := parseEntry(raw)
		if err != nil {
			return nil, fmt.Errorf("safehttp: allow-list entry %q: %w", raw, err)
		}
		a.entries = append(a.entries, e)
	}
	return a, nil
}

// MustParseAllowList is ParseAllowList for entries known to be valid.
func MustParseAllowList(entries ...string) *AllowList {
	a, err := ParseAllowList(entries...)
	if err != nil {
		panic(err)
	}
	return a
}

func parseEntry(raw string) (entry, error) {
	var e entry
	hostport := raw
	if i := strings.Index(raw, "://"); i >= 0 {
		u, err := url.Parse(raw)
		if err != nil {
			return e, err
		}
		e.scheme = strings.ToLower(u.Scheme)
		if e.scheme != "http" && e.scheme != "https" {
			return e, fmt.Errorf("scheme %q is not http or https", u.Scheme)
		}
		if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return e, fmt.Errorf("only scheme://host[:port] is allowed")
		}
		hostport = u.Host
	}
	host, port := hostport, ""
	if ip, err := netip.ParseAddr(hostport); err == nil {
		host = ip.String() // a bare IPv6 literal
	} else if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else if strings.Contains(hostport, "]") || strings.Count(hostport, ":") > 0 {
		return e, fmt.Errorf("cannot read host and port: %v", err)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return e, fmt.Errorf("port %q", port)
		}
		port = strconv.Itoa(n)
	}
	host = normalHost(host)
	if ip, err := netip.ParseAddr(host); err == nil {
		e.ip = ip.Unmap()
		host = e.ip.String()
	} else if !validName(host) {
		return e, fmt.Errorf("host %q is not a DNS name or an IP address", host)
	}
	e.raw, e.host, e.port = raw, host, port
	return e, nil
}

// validName accepts DNS names made of letters, digits, '-', '_' and dots.
func validName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

func normalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

func defaultPort(scheme string) string {
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// String lists the entries as written.
func (a *AllowList) String() string {
	if a == nil {
		return ""
	}
	s := make([]string, len(a.entries))
	for i, e := range a.entries {
		s[i] = e.raw
	}
	return strings.Join(s, ",")
}

// Len is the number of entries.
func (a *AllowList) Len() int {
	if a == nil {
		return 0
	}
	return len(a.entries)
}

// target is a URL's scheme, host and effective port, normalised.
type target struct {
	scheme, host, port string
	ip                 netip.Addr
}

func targetOf(u *url.URL) (target, error) {
	t := target{scheme: strings.ToLower(u.Scheme), host: normalHost(u.Hostname()), port: u.Port()}
	if t.scheme != "http" && t.scheme != "https" {
		return t, fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if t.host == "" {
		return t, fmt.Errorf("no host")
	}
	if t.port == "" {
		t.port = defaultPort(t.scheme)
	} else if n, err := strconv.Atoi(t.port); err != nil || n < 1 || n > 65535 {
		return t, fmt.Errorf("port %q", t.port)
	} else {
		t.port = strconv.Itoa(n)
	}
	if ip, err := netip.ParseAddr(t.host); err == nil {
		t.ip = ip.Unmap()
		t.host = t.ip.String()
	}
	return t, nil
}

// matches reports whether the entry admits host:port under scheme ("" at
// dial time, when the scheme was already checked).
func (e entry) matches(scheme, host, port string) bool {
	if scheme != "" && e.scheme != "" && e.scheme != scheme {
		return false
	}
	if e.host != host {
		return false
	}
	if e.port != "" {
		return e.port == port
	}
	if e.scheme != "" {
		return port == defaultPort(e.scheme)
	}
	if scheme != "" {
		return port == defaultPort(scheme)
	}
	return port == "80" || port == "443"
}

// Allows reports whether u's scheme, host and port are allowed, and if not
// why (a *Error of kind KindHostNotAllowed or KindBadURL).
func (a *AllowList) Allows(u *url.URL) error {
	_, err := a.admit(u, "")
	return err
}

// admit finds the entry admitting u. from is the scheme of the hop that
// redirected here ("" for the first URL): a step down from https to http
// needs an entry that names http:// explicitly, so that a man in the
// middle cannot strip TLS with a redirect.
func (a *AllowList) admit(u *url.URL, from string) (entry, error) {
	if u.User != nil {
		return entry{}, &Error{Kind: KindBadURL, URL: redact(u), Err: fmt.Errorf("user information in the URL")}
	}
	t, err := targetOf(u)
	if err != nil {
		kind := KindBadURL
		if u.Scheme != "" && t.scheme != "http" && t.scheme != "https" {
			kind = KindHostNotAllowed
		}
		return entry{}, &Error{Kind: kind, URL: redact(u), Err: err}
	}
	if a != nil {
		for _, e := range a.entries {
			if !e.matches(t.scheme, t.host, t.port) {
				continue
			}
			if from == "https" && t.scheme == "http" && e.scheme != "http" {
				return entry{}, &Error{Kind: KindHostNotAllowed, URL: redact(u),
					Err: fmt.Errorf("redirect from https to http (allowed only by an entry naming http:// explicitly)")}
			}
			return e, nil
		}
	}
	return entry{}, &Error{Kind: KindHostNotAllowed, URL: redact(u),
		Err: fmt.Errorf("%s://%s is not in the allow-list", t.scheme, net.JoinHostPort(t.host, t.port))}
}

// redact drops user information from a URL for messages.
func redact(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	c := *u
	c.User = nil
	return c.String()
}

// SameOrigin reports whether a and b have the same scheme, host and
// effective port (the web's origin): what may see a credential meant for a.
func SameOrigin(a, b *url.URL) bool {
	ta, errA := targetOf(a)
	tb, errB := targetOf(b)
	return errA == nil && errB == nil && ta.scheme == tb.scheme && ta.host == tb.host && ta.port == tb.port
}

// Origin returns the allow-list entry that admits exactly u's origin: its
// scheme, host and port, the port written only if u writes it (so that a
// configured "http://sampleportal:8090" may reach a private address and a
// configured "https://portal.example" only public ones).
func Origin(u *url.URL) (string, error) {
	t, err := targetOf(u)
	if err != nil {
		return "", err
	}
	host := t.host
	if t.ip.Is6() {
		host = "[" + host + "]"
	}
	if u.Port() != "" {
		host = net.JoinHostPort(t.host, t.port)
	}
	return t.scheme + "://" + host, nil
}
