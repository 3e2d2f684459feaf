package safehttp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/policytext/policytext/pkg/safehttp"
)

func Example() {
	// a file host that serves one file and redirects elsewhere
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oss/a.doc" {
			w.Write([]byte("a Word file"))
			return
		}
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	defer host.Close()

	allow, err := safehttp.ParseAllowList("youth.cq.cqyl.org.cn", host.Listener.Addr().String())
	if err != nil {
		panic(err)
	}
	d, err := safehttp.NewDownloader(safehttp.Config{Allow: allow, TempDir: os.TempDir()})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	dl, err := d.Get(ctx, host.URL+"/oss/a.doc")
	if err != nil {
		panic(err)
	}
	defer dl.Close()
	buf := make([]byte, dl.Size) // dl is an io.ReaderAt: extract.Extract(ctx, dl, dl.Size, opts)
	dl.ReadAt(buf, 0)
	fmt.Printf("%d bytes: %q\n", dl.Size, buf)

	_, err = d.Get(ctx, host.URL+"/oss/b.doc")
	var de *safehttp.Error
	if errors.As(err, &de) {
		fmt.Println(de.Kind, de.Permanent(), len(de.Redirects), "redirect")
	}
	// Output:
	// 11 bytes: "a Word file"
	// host_not_allowed true 1 redirect
}
