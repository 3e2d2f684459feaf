// Package devstack starts, in the current process, the servers the
// pipeline needs: a NATS server with JetStream (nats-server as a library),
// an S3 server speaking real S3 with SigV4 authentication (versitygw's
// embeddable gateway over a directory), and the sample portal. Tests use it
// instead of mocks, and so does the all-in-one binary.
//
// Two properties of versitygw shape its use: its POSIX backend changes the
// process's working directory to the storage root (callers resolve their
// paths to absolute ones first; StartS3 does so for its own, and Stop
// changes back to the directory it found), and only one
// gateway may run per process (StartS3 refuses a second).
//
// StartCluster starts a NATS cluster of three JetStream nodes, each its own
// process (the calling binary run again: its TestMain calls
// RunClusterNodeIfAsked first), so that a test can kill a node with
// SIGKILL and start it again on the same ports and store.
package devstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/embedgw"

	"github.com/policytext/policytext/pkg/store"
)

// S3Config configures the embedded S3 server.
type S3Config struct {
	Dir       string // storage: Dir/objects holds bucket/key files, Dir/meta their metadata
	Addr      string // listen address, default 127.0.0.1 on a free port
	AccessKey string // default "policytext"
	SecretKey string // default: random
}

// S3 is a running embedded S3 server.
type S3 struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	cancel    context.CancelFunc
	done      chan struct{} // closed when the gateway has returned runErr
	runErr    error
	workDir   string // the working directory before the gateway changed it
}

const healthPath = "/healthz"

// StartS3 starts the gateway and waits until it answers. versitygw runs
// once per process: a second StartS3 before the first one's Stop fails.
func StartS3(ctx context.Context, cfg S3Config) (*S3, error) {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	objects, metaDir := filepath.Join(dir, "objects"), filepath.Join(dir, "meta")
	for _, d := range []string{objects, metaDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("devstack: s3 storage: %w", err)
		}
	}
	if cfg.Addr == "" || strings.HasSuffix(cfg.Addr, ":0") {
		// the gateway cannot tell which port it got: choose one for it
		if cfg.Addr, err = freeAddr(); err != nil {
			return nil, err
		}
	} else if err := portFree(cfg.Addr); err != nil {
		// else the health check below would find whoever has the port
		// (another instance) and every request would be refused later
		return nil, fmt.Errorf("devstack: s3: %w", err)
	}
	if cfg.AccessKey == "" {
		cfg.AccessKey = "policytext"
	}
	if cfg.SecretKey == "" {
		b := make([]byte, 16)
		rand.Read(b)
		cfg.SecretKey = hex.EncodeToString(b)
	}
	// Object metadata in extended attributes where the filesystem has them
	// (one syscall per attribute); otherwise in sidecar files, which cost a
	// temporary file and a rename per attribute and dominate a PUT.
	var store meta.MetadataStorer = meta.XattrMeta{}
	sidecarDir := ""
	if err := (meta.XattrMeta{}).Test(objects); err != nil {
		sc, err := meta.NewSideCar(metaDir)
		if err != nil {
			return nil, fmt.Errorf("devstack: s3 metadata: %w", err)
		}
		store, sidecarDir = sc, metaDir
	}
	workDir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("devstack: s3: %w", err)
	}
	be, err := posix.New(objects, store, posix.PosixOpts{
		SideCarDir:          sidecarDir,
		Concurrency:         5000,
		CopyObjectThreshold: 5 << 30,
		IOBufferSize:        1 << 20,
		NewDirPerm:          0o700, // the data is its user's alone
		// one gateway per data directory (the all-in-one locks it): the
		// lock file that makes conditional writes atomic across gateways
		// would cost a lock and an unlock per PUT for nothing
		ForceNoObjLockFile: true,
		// An unnamed temporary file (O_TMPFILE) per PUT goes through the
		// filesystem's orphan list, one lock for the whole filesystem on
		// ext4: with keep-alive and a dozen writers, opening it was half of
		// the time of a PUT. A named temporary file and a rename cost less
		// (10,000 attachments: 81 CPU-s instead of 93, BENCHMARKS.md).
		ForceNoTmpFile: true,
	})
	if err != nil {
		os.Chdir(workDir)
		return nil, fmt.Errorf("devstack: s3 backend: %w", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	s := &S3{Endpoint: cfg.Addr, AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey,
		cancel: cancel, done: make(chan struct{}), workDir: workDir}
	gw := &embedgw.Config{
		RootUserAccess: cfg.AccessKey, RootUserSecret: cfg.SecretKey,
		Ports: []string{cfg.Addr}, MaxConnections: 1000, MaxRequests: 1000, MultipartMaxParts: 10000,
		HealthPath: healthPath, Quiet: true,
		// versitygw closes every connection after one request unless told
		// otherwise: a dial, an accept and a close per object were 8 % of
		// the CPU of an all-in-one run
		KeepAlive: true,
	}
	go func() {
		s.runErr = embedgw.RunVersityGW(runCtx, be, gw)
		close(s.done)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + cfg.Addr + healthPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.done:
			cancel()
			os.Chdir(workDir)
			return nil, fmt.Errorf("devstack: s3 gateway stopped: %w", s.runErr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, errors.New("devstack: s3 gateway did not become healthy in 20s")
		}
	}
}

// StoreConfig is the store configuration for a bucket on this server.
func (s *S3) StoreConfig(bucket string) store.Config {
	return store.Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Bucket: bucket}
}

// Stop shuts the gateway down, waits for it and changes back to the
// working directory StartS3 found (the gateway's backend resolves its
// paths against the one it set, so not before it has stopped: after 10 s
// without an answer Stop gives up waiting and leaves it).
func (s *S3) Stop() {
	s.cancel()
	select {
	case <-s.done:
		os.Chdir(s.workDir)
	case <-time.After(10 * time.Second):
	}
}

// freeAddr finds a free port on the loopback interface.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("devstack: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// RunTestsWithS3 is the body of a TestMain for a package whose tests share
// the process's one S3 server: it starts the server over a temporary
// directory, sets *s3, runs the tests, stops the server and returns the
// exit code for os.Exit.
func RunTestsWithS3(m interface{ Run() int }, s3 **S3) int {
	dir, err := os.MkdirTemp("", "devstack-s3-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if *s3, err = StartS3(context.Background(), S3Config{Dir: dir}); err != nil {
		panic(err)
	}
	defer (*s3).Stop()
	return m.Run()
}
