package devstack

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"path/filepath"
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

// Stack is NATS, S3 and the sample portal, all in this process.
type Stack struct {
	NATS   *NATS
	S3     *S3
	Portal *Portal
}

// Start starts the three under dir (dir/nats, dir/s3). The S3 gateway
// allows one Stack per process.
func Start(ctx context.Context, dir string) (*Stack, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	n, err := StartNATS(NATSConfig{Dir: filepath.Join(dir, "nats")})
	if err != nil {
		return nil, err
	}
	s3, err := StartS3(ctx, S3Config{Dir: filepath.Join(dir, "s3")})
	if err != nil {
		n.Stop()
		return nil, err
	}
	p, err := StartPortal("")
	if err != nil {
		n.Stop()
		s3.Stop()
		return nil, err
	}
	return &Stack{NATS: n, S3: s3, Portal: p}, nil
}

// Stop stops all three.
func (s *Stack) Stop() {
	s.Portal.Stop()
	s.S3.Stop()
	s.NATS.Stop()
}
