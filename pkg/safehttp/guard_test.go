package safehttp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

func TestParseAllowList(t *testing.T) {
	for _, bad := range []string{"ftp://host", "*.example.com", "http://host/path", "http://u@host", "host:0", "host:99999",
		"host:x", "[::1", "exa mple.com", "http://host?q=1"} {
		if _, err := ParseAllowList(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	a, err := ParseAllowList(" youth.cq.cqyl.org.cn ", "", "https://App.Example.COM.", "127.0.0.1:8090", "[::1]:8091", "::1", "http://plain.example:8080")
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 6 {
		t.Errorf("%d entries: %s", a.Len(), a)
	}
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://youth.cq.cqyl.org.cn/oss/a.doc", true},
		{"http://youth.cq.cqyl.org.cn/oss/a.doc", true},
		{"https://YOUTH.cq.cqyl.org.cn.:443/oss/a.doc", true},
		{"https://youth.cq.cqyl.org.cn:8443/oss/a.doc", false}, // no port written: the default only
		{"https://evil.youth.cq.cqyl.org.cn/", false},          // no subdomains
		{"https://youth.cq.cqyl.org.cn.evil.com/", false},
		{"https://app.example.com/", true},
		{"http://app.example.com/", false}, // https only
		{"http://127.0.0.1:8090/", true},
		{"https://127.0.0.1:8090/", true},
		{"http://127.0.0.1:8091/", false},
		{"http://127.0.0.1/", false},
		{"http://[::ffff:127.0.0.1]:8090/", true}, // the same address
		{"http://[::1]:8091/", true},
		{"http://[::1]/", true},
		{"https://[::1]/", true},
		{"http://[::1]:8090/", false},
		{"http://plain.example:8080/", true},
		{"https://plain.example:8080/", false},
		{"http://2130706433:8090/", false}, // 127.0.0.1 spelt as a number is not an entry
	} {
		u, _ := url.Parse(c.url)
		if err := a.Allows(u); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.url, err)
		}
	}
	var zero AllowList
	if zero.Allows(&url.URL{Scheme: "https", Host: "example.com"}) == nil {
		t.Error("the zero list allows nothing")
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		ip    string
		class addrClass
	}{
		{"8.8.8.8", classPublic},
		{"2400:da00::6666", classPublic},
		{"127.0.0.1", classPrivate},
		{"127.9.9.9", classPrivate},
		{"::1", classPrivate},
		{"::ffff:127.0.0.1", classPrivate},
		{"10.1.2.3", classPrivate},
		{"172.16.0.1", classPrivate},
		{"192.168.1.1", classPrivate},
		{"100.64.0.1", classPrivate},
		{"fd00::1", classPrivate},
		{"fc00::1", classPrivate},
		{"64:ff9b::a9fe:a9fe", classPrivate}, // NAT64 of the metadata address
		{"2002:a9fe:a9fe::", classPrivate},   // 6to4 of the same
		{"169.254.169.254", classForbidden},
		{"::ffff:169.254.169.254", classForbidden},
		{"fe80::1", classForbidden},
		{"fe80::1%eth0", classForbidden},
		{"0.0.0.0", classForbidden},
		{"0.1.2.3", classForbidden},
		{"::", classForbidden},
		{"224.0.0.1", classForbidden},
		{"ff02::1", classForbidden},
		{"255.255.255.255", classForbidden},
		{"240.0.0.1", classForbidden},
	} {
		if got, name := classify(netip.MustParseAddr(c.ip)); got != c.class {
			t.Errorf("%s: class %d (%s), want %d", c.ip, got, name, c.class)
		}
	}
}

func TestPermitted(t *testing.T) {
	a := MustParseAllowList("files.example", "internal.example:8090", "10.0.0.5", "169.254.169.254:80")
	loop, private, meta, public := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.0.0.5"),
		netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("93.184.216.34")
	e := a.entries
	for _, c := range []struct {
		name    string
		entries []entry
		ip      netip.Addr
		port    string
		ok      bool
	}{
		{"a name without a port reaches public addresses", e[0:1], public, "443", true},
		{"...and not loopback (rebinding)", e[0:1], loop, "443", false},
		{"...nor private", e[0:1], private, "80", false},
		{"...nor metadata", e[0:1], meta, "80", false},
		{"a name with its port reaches loopback", e[1:2], loop, "8090", true},
		{"...and private", e[1:2], private, "8090", true},
		{"...not link-local", e[1:2], meta, "8090", false},
		{"an IP literal reaches itself", e[2:3], private, "80", true},
		{"...only itself", e[2:3], loop, "80", false},
		{"metadata only by its literal", e[3:4], meta, "80", true},
	} {
		if err := permitted(c.entries, c.ip, c.port); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// fakeDNS answers every A question with ip: a name server that rebinds
// any name to where it likes. It returns a resolver that asks it.
func fakeDNS(t *testing.T, ip netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			if q.Type == dnsmessage.TypeA && ip.Is4() {
				b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 1},
					dnsmessage.AResource{A: ip.As4()})
			}
			msg, err := b.Finish()
			if err == nil {
				pc.WriteTo(msg, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// TestRebinding checks the address actually dialled: names allowed in the
// list that a hostile DNS points at loopback or at the metadata service.
func TestRebinding(t *testing.T) {
	w := newWitness(t)
	port := strings.TrimPrefix(w.URL, "http://127.0.0.1:")
	ctx := context.Background()
	get := func(a *AllowList, rawURL string) error {
		d := newDownloader(t, Config{Allow: a})
		dl, err := d.Get(ctx, rawURL)
		if err == nil {
			dl.Close()
		}
		return err
	}
	toLoopback := fakeDNS(t, netip.MustParseAddr("127.0.0.1"))

	// a name written without a port (so meant to be public) that resolves
	// to loopback: refused before connecting
	a := MustParseAllowList("files.test")
	a.resolver = toLoopback
	e := wantKind(t, get(a, "http://files.test/oss/a.doc"), KindHostNotAllowed)
	if !strings.Contains(e.Error(), "127.0.0.1 is loopback") {
		t.Errorf("the refusal names the address: %v", e)
	}

	// the same name written with the witness's port: meant to be internal
	a = MustParseAllowList("files.test:" + port)
	a.resolver = toLoopback
	if err := get(a, "http://files.test:"+port+"/"); err != nil {
		t.Fatalf("an internal name with its port: %v", err)
	}
	if n := w.conns.Load(); n != 1 {
		t.Fatalf("the witness saw %d connections", n)
	}

	// a name pointed at the metadata address: refused even with a port
	a = MustParseAllowList("files.test:80")
	a.resolver = fakeDNS(t, netip.MustParseAddr("169.254.169.254"))
	e = wantKind(t, get(a, "http://files.test:80/latest/meta-data/"), KindHostNotAllowed)
	if !strings.Contains(e.Error(), "link-local") {
		t.Errorf("the refusal names the address: %v", e)
	}
	if n := w.conns.Load(); n != 1 {
		t.Errorf("the witness saw %d connections", n)
	}
}

func TestDialRefusesWhatIsNotListed(t *testing.T) {
	w := newWitness(t)
	a := MustParseAllowList("127.0.0.1:1")
	var refused *Error
	_, err := a.DialContext(context.Background(), "tcp", w.Listener.Addr().String())
	if !errors.As(err, &refused) || refused.Kind != KindHostNotAllowed {
		t.Errorf("dial: %v", err)
	}
	if _, err := a.DialContext(context.Background(), "udp", "127.0.0.1:1"); err == nil {
		t.Error("udp dialled")
	}
	// a transport built on it cannot be talked round by the environment
	t.Setenv("HTTP_PROXY", w.URL)
	t.Setenv("http_proxy", w.URL)
	c := &http.Client{Transport: NewTransport(a, nil)}
	if _, err := c.Get("http://127.0.0.1:1/"); err == nil {
		t.Error("no server on port 1, and no proxy either")
	}
	if n := w.conns.Load(); n != 0 {
		t.Errorf("the witness (as a proxy, or dialled) saw %d connections", n)
	}
}
