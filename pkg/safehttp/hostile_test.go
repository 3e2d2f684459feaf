package safehttp

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
)

// fileBody is the content the honest paths serve: large enough to cross
// a small MemoryBytes, with a pattern that shows misplaced bytes.
var fileBody = func() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 200_000; i++ {
		fmt.Fprintf(&b, "line %06d of the attachment\n", i)
	}
	return b.Bytes()
}()

// witness is a server that must never be reached: it counts every
// connection made to it, whatever is sent on it.
type witness struct {
	*httptest.Server
	conns atomic.Int64
}

func newWitness(t *testing.T) *witness {
	t.Helper()
	w := &witness{}
	w.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Write([]byte("secret internal answer"))
	}))
	w.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			w.conns.Add(1)
		}
	}
	w.Start()
	t.Cleanup(w.Close)
	return w
}

// hostileHost is a file host on 127.0.0.1 with a path per trick. Redirect
// targets are given with ?to=.
func hostileHost(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/file.doc", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/msword")
		w.Header().Set("Content-Length", strconv.Itoa(len(fileBody)))
		w.Write(fileBody)
	})
	mux.HandleFunc("/small.doc", func(w http.ResponseWriter, r *http.Request) {
		w.Write(fileBody[:1000])
	})
	mux.HandleFunc("/chunked.doc", func(w http.ResponseWriter, r *http.Request) {
		// no Content-Length: the length is only known at the end
		for i := 0; i < len(fileBody); i += 4096 {
			w.Write(fileBody[i:min(i+4096, len(fileBody))])
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusFound
		if c := r.URL.Query().Get("code"); c != "" {
			code, _ = strconv.Atoi(c)
		}
		http.Redirect(w, r, r.URL.Query().Get("to"), code)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("endless "), 4096)
		for {
			if _, err := w.Write(chunk); err != nil {
				return // the client gave up
			}
		}
	})
	mux.HandleFunc("/huge-length", func(w http.ResponseWriter, r *http.Request) {
		// declares a terabyte, then sends nothing: only a client that
		// refuses on the header alone answers "too large"
		w.Header().Set("Content-Length", strconv.FormatInt(1<<40, 10))
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/slow-loris", func(w http.ResponseWriter, r *http.Request) {
		// one byte, then silence until the client leaves
		w.Header().Set("Content-Length", "100000")
		w.Write([]byte{'x'})
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/short-body", func(w http.ResponseWriter, r *http.Request) {
		rawResponse(w, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", fileBody[:500])
	})
	mux.HandleFunc("/long-body", func(w http.ResponseWriter, r *http.Request) {
		rawResponse(w, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
			append(append([]byte{}, fileBody[:10]...), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforged"...))
	})
	for path, code := range map[string]int{"/missing": 404, "/gone": 410, "/forbidden": 403, "/broken": 500, "/busy": 429, "/partial": 206} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			w.Write([]byte("<Error><Code>NoSuchKey</Code></Error>"))
		})
	}
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// rawResponse writes bytes on the hijacked connection and closes it, for
// answers net/http would refuse to send.
func rawResponse(w http.ResponseWriter, head string, body []byte) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	buf.WriteString(head)
	buf.Write(body)
	buf.Flush()
}

// hostPort is the "127.0.0.1:port" of a test server.
func hostPort(t *testing.T, s *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
