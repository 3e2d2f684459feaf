package safehttp

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// BenchmarkGet downloads a 4 MiB file (into an unlinked temp file) and a
// 64 KiB one (kept in memory) over loopback, with every check on.
func BenchmarkGet(b *testing.B) {
	for _, size := range []int{64 << 10, 4 << 20} {
		body := bytes.Repeat([]byte("0123456789abcdef"), size/16)
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		}))
		d, err := NewDownloader(Config{Allow: MustParseAllowList(s.Listener.Addr().String()), TempDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strconv.Itoa(size>>10)+"KiB", func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				dl, err := d.Get(context.Background(), s.URL+"/f")
				if err != nil {
					b.Fatal(err)
				}
				dl.Close()
			}
		})
		s.Close()
	}
}
