package devstack

import (
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/sample"
)

// Portal is the sample portal (pkg/policyapi's SampleServer over the
// embedded sample) listening on the loopback interface.
type Portal struct {
	*policyapi.SampleServer
	URL string
	srv *http.Server
}

// StartPortal serves the bundled sample on addr ("" for a free port).
func StartPortal(addr string) (*Portal, error) { return StartPortalFS(addr, sample.Files()) }

// StartPortalFS serves the sample catalogue with the attachments of files
// (sample.DemoFiles for the demo).
func StartPortalFS(addr string, files fs.FS) (*Portal, error) {
	return StartPortalWith(addr, sample.Catalogue(), files)
}

// StartPortalWith serves any catalogue (an API envelope holding every
// record) with the attachments of files.
func StartPortalWith(addr string, catalogue []byte, files fs.FS) (*Portal, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("devstack: portal: %w", err)
	}
	url := "http://" + l.Addr().String()
	s, err := policyapi.NewSampleServer(catalogue, files, url)
	if err != nil {
		l.Close()
		return nil, err
	}
	p := &Portal{SampleServer: s, URL: url, srv: &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}}
	go p.srv.Serve(l)
	return p, nil
}

// Stop closes the portal.
func (p *Portal) Stop() { p.srv.Close() }
