package safehttp

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// addrClass is what an address is, for deciding whether to connect to it.
type addrClass int

const (
	classPublic    addrClass = iota
	classPrivate             // loopback, RFC 1918, ULA and other special-purpose space: named entries with a port
	classForbidden           // link-local, unspecified, multicast, broadcast: IP-literal entries only
)

type prefixClass struct {
	prefix netip.Prefix
	class  addrClass
	name   string
}

// specialPrefixes are the IANA special-purpose registries' blocks (IPv4
// and IPv6) that netip's predicates do not already name.
var specialPrefixes = func() []prefixClass {
	var out []prefixClass
	for _, p := range []struct {
		cidr  string
		class addrClass
		name  string
	}{
		{"0.0.0.0/8", classForbidden, "\"this network\""},
		{"100.64.0.0/10", classPrivate, "shared address space (CGNAT)"},
		{"192.0.0.0/24", classPrivate, "IETF protocol assignment"},
		{"192.0.2.0/24", classPrivate, "documentation"},
		{"192.88.99.0/24", classPrivate, "6to4 relay"},
		{"198.18.0.0/15", classPrivate, "benchmarking"},
		{"198.51.100.0/24", classPrivate, "documentation"},
		{"203.0.113.0/24", classPrivate, "documentation"},
		{"240.0.0.0/4", classForbidden, "reserved"},
		{"::/96", classPrivate, "IPv4-compatible IPv6"},
		{"64:ff9b::/96", classPrivate, "NAT64"},
		{"64:ff9b:1::/48", classPrivate, "local NAT64"},
		{"100::/64", classPrivate, "discard-only"},
		{"2001::/23", classPrivate, "IETF protocol assignment (Teredo and others)"},
		{"2001:db8::/32", classPrivate, "documentation"},
		{"2002::/16", classPrivate, "6to4"},
		{"3fff::/20", classPrivate, "documentation"},
		{"5f00::/16", classPrivate, "segment routing"},
		{"fec0::/10", classPrivate, "site-local"},
	} {
		out = append(out, prefixClass{netip.MustParsePrefix(p.cidr), p.class, p.name})
	}
	return out
}()

// classify says what kind of address ip is, and names it for messages.
func classify(ip netip.Addr) (addrClass, string) {
	ip = ip.Unmap().WithZone("")
	switch {
	case !ip.IsValid():
		return classForbidden, "invalid"
	case ip.IsUnspecified():
		return classForbidden, "unspecified"
	case ip.IsLoopback():
		return classPrivate, "loopback"
	case ip.IsLinkLocalUnicast():
		return classForbidden, "link-local (cloud metadata lives here)"
	case ip.IsMulticast():
		return classForbidden, "multicast"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return classForbidden, "broadcast"
	case ip.IsPrivate():
		return classPrivate, "private"
	}
	for _, p := range specialPrefixes {
		if p.prefix.Contains(ip) {
			return p.class, p.name
		}
	}
	if !ip.IsGlobalUnicast() {
		return classForbidden, "not global unicast"
	}
	return classPublic, "public"
}

// permitted decides whether a connection to ip:port for host may be made,
// given the entries that admit host:port.
func permitted(entries []entry, ip netip.Addr, port string) error {
	ip = ip.Unmap().WithZone("")
	class, name := classify(ip)
	for _, e := range entries {
		switch {
		case e.ip.IsValid():
			// the operator named this very address
			if e.ip == ip {
				return nil
			}
		case class == classPublic:
			return nil
		case class == classPrivate && e.port != "" && e.port == port:
			// a name with an explicit port: meant to be internal
			return nil
		}
	}
	return fmt.Errorf("address %s is %s", ip, name)
}

// DialTimeout bounds connecting (each address tried).
const DialTimeout = 10 * time.Second

// DialContext connects to addr ("host:port", as net/http passes it) if an
// entry admits host:port, and refuses in the socket's Control hook, before
// connecting, any address that entry does not reach. The address checked
// is the one being connected to, after name resolution, so a DNS answer
// that changes between a check and the dial (rebinding) cannot slip
// through. A refusal is an *Error of kind KindHostNotAllowed (inside the
// *net.OpError net returns).
func (a *AllowList) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if !strings.HasPrefix(network, "tcp") {
		return nil, &Error{Kind: KindHostNotAllowed, Err: fmt.Errorf("network %q", network)}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &Error{Kind: KindBadURL, Err: err}
	}
	host = normalHost(host)
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.Unmap().String()
	}
	var admitting []entry
	if a != nil {
		for _, e := range a.entries {
			if e.matches("", host, port) {
				admitting = append(admitting, e)
			}
		}
	}
	if len(admitting) == 0 {
		return nil, &Error{Kind: KindHostNotAllowed, Err: fmt.Errorf("%s is not in the allow-list", addr)}
	}
	d := net.Dialer{
		Timeout:  DialTimeout,
		Resolver: a.resolver,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return &Error{Kind: KindHostNotAllowed, Err: fmt.Errorf("dialled address %q: %v", address, err)}
			}
			if err := permitted(admitting, ap.Addr(), port); err != nil {
				return &Error{Kind: KindHostNotAllowed, Err: fmt.Errorf("%s resolved to a refused address: %w", host, err)}
			}
			return nil
		},
	}
	return d.DialContext(ctx, network, addr)
}

// NewTransport returns an HTTP/1.1 transport that connects only through
// allow's DialContext. It uses no proxy (HTTP_PROXY and the like are
// ignored: a proxy would connect for us, past the address checks), asks
// for no compression (bodies are stored as served, and a compressed bomb
// is not inflated behind the size limit's back), and bounds the response
// header at 64 KiB. tlsConfig may be nil (system roots, TLS 1.2 at least).
func NewTransport(allow *AllowList, tlsConfig *tls.Config) *http.Transport {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if tlsConfig != nil {
		tc = tlsConfig.Clone()
		if tc.MinVersion < tls.VersionTLS12 {
			tc.MinVersion = tls.VersionTLS12
		}
	}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            allow.DialContext,
		TLSClientConfig:        tc,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		DisableCompression:     true,
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConnsPerHost:    4,
		ExpectContinueTimeout:  time.Second,
	}
}
