package devstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"testing"

	"github.com/policytext/policytext/pkg/store"
)

// The gateway changes the working directory and allows one instance per
// process: one server for the whole test binary.
var testS3 *S3

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "devstack-s3-")
	if err != nil {
		panic(err)
	}
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
	key, _ := store.OriginalKey("1778690715361914880", "1778690679265722368", "doc")
	if err := st.Put(ctx, key, "application/msword", big, map[string]string{"original-name": "10 关于印发重庆英才服务管理办法(试行)的通知.doc"}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, key, 32<<20)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("round trip: %v, equal %v", err, bytes.Equal(got, big))
	}
	meta, err := st.Stat(ctx, key)
	if err != nil || meta["original-name"] != "10 关于印发重庆英才服务管理办法(试行)的通知.doc" {
		t.Errorf("metadata: %v %v", meta, err)
	}
	if _, err := st.Get(ctx, key+".missing", 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}
	keys, err := st.List(ctx, store.Prefix, true)
	if err != nil || len(keys) != 1 || keys[0] != key {
		t.Errorf("list: %v %v", keys, err)
	}

	cfg := testS3.StoreConfig("roundtrip")
	cfg.SecretKey = "wrong-secret"
	bad, _ := store.New(cfg)
	if _, err := bad.Get(ctx, key, 10); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("a wrong secret must be refused, got %v", err)
	} else {
		t.Logf("wrong secret: %v", err)
	}
}
