package devstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/policytext/policytext/pkg/store"
)

// The gateway changes the working directory and allows one instance per
// process: one server for the whole test binary.
var (
	testS3    *S3
	testS3Dir string
	startDir  string // the working directory before any gateway ran
)

func TestMain(m *testing.M) {
	var err error
	if startDir, err = os.Getwd(); err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "devstack-s3-")
	if err != nil {
		panic(err)
	}
	testS3Dir = dir
	testS3, err = StartS3(context.Background(), S3Config{Dir: dir})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	testS3.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestS3RoundTripAndAuth(t *testing.T) {
	ctx := context.Background()
	st, err := store.New(testS3.StoreConfig("roundtrip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Ensure(ctx); err != nil {
		t.Fatalf("Ensure is idempotent: %v", err)
	}
	big := make([]byte, 17<<20) // over 16 MiB: minio-go uploads it in parts
	rand.Read(big)
	rec := store.Record{PolicyID: "1778690715361914880", FileID: "1778690679265722368", FileName: "10 关于印发重庆英才服务管理办法(试行)的通知.doc"}
	if err := st.PutOriginal(ctx, &rec, "doc", "application/msword", bytes.NewReader(big), int64(len(big))); err != nil {
		t.Fatal(err)
	}
	if err := st.PutResult(ctx, rec, ""); err != nil {
		t.Fatal(err)
	}
	body, orig, err := st.OpenOriginal(ctx, rec.PolicyID, rec.FileID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(body)
	body.Close()
	if err != nil || !bytes.Equal(got, big) || orig.Size != int64(len(big)) || orig.ContentType != "application/msword" {
		t.Fatalf("round trip: %v, equal %v, %+v", err, bytes.Equal(got, big), orig)
	}
	meta, err := st.OriginalMeta(ctx, rec.PolicyID, rec.FileID)
	if err != nil || meta["original-name"] != rec.FileName {
		t.Errorf("metadata: %v %v", meta, err)
	}
	if _, err := st.Record(ctx, rec.PolicyID, "1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing record: %v", err)
	}

	cfg := testS3.StoreConfig("roundtrip")
	cfg.SecretKey = "wrong-secret"
	bad, _ := store.New(cfg)
	if _, err := bad.Record(ctx, rec.PolicyID, rec.FileID); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("a wrong secret must be refused, got %v", err)
	} else {
		t.Logf("wrong secret: %v", err)
	}
}

// TestStopRestoresTheWorkingDirectory: the gateway works in its storage
// root; once it has stopped, the process is back where it was (a test run
// with -count=2 found relative testdata paths gone after the first round).
func TestStopRestoresTheWorkingDirectory(t *testing.T) {
	if wd, _ := os.Getwd(); wd == startDir {
		t.Fatalf("a running gateway works in its storage root, not in %s", wd)
	}
	addr, key, secret := testS3.Endpoint, testS3.AccessKey, testS3.SecretKey
	testS3.Stop()
	testS3.Stop() // a second Stop returns at once
	if wd, err := os.Getwd(); err != nil || wd != startDir {
		t.Errorf("working directory after Stop: %q %v, want %q", wd, err, startDir)
	}
	var err error
	testS3, err = StartS3(context.Background(), S3Config{Dir: testS3Dir, Addr: addr, AccessKey: key, SecretKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.New(testS3.StoreConfig("roundtrip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Ensure(context.Background()); err != nil {
		t.Errorf("the gateway started again over the same storage: %v", err)
	}
}
