package store_test

import (
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// BenchmarkPutWire compares the two ways minio-go sends a PUT over http on
// this package's test S3 server (versitygw): the body in signed chunks
// (its default), and plain with a signed Content-MD5 (what Store.put uses
// for bodies it can read twice); and a GET. cpu-us/op is the CPU of the
// whole test process (client and server) per request:
//
//	go test -run '^$' -bench PutWire -benchtime 3000x -count 3 ./pkg/store
func BenchmarkPutWire(b *testing.B) {
	mc, err := minio.New(testS3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(testS3.AccessKey, testS3.SecretKey, "")})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := mc.MakeBucket(ctx, "bench-put-wire", minio.MakeBucketOptions{}); err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("关于印发重庆英才服务管理办法的通知\n"), 200) // 10 KB, a typical text
	meta := map[string]string{"record": "eyJwb2xpY3lJZCI6IjEifQ"}
	for _, c := range []struct {
		name string
		opts minio.PutObjectOptions
	}{
		{"chunked-signed", minio.PutObjectOptions{ContentType: "text/plain", UserMetadata: meta}},
		{"md5", minio.PutObjectOptions{ContentType: "text/plain", UserMetadata: meta, DisableContentSha256: true, SendContentMd5: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			defer reportCPU(b)()
			for i := range b.N {
				key := fmt.Sprintf("%s/%d/files/%d.txt", c.name, i, i)
				if _, err := mc.PutObject(ctx, "bench-put-wire", key, bytes.NewReader(body), int64(len(body)), c.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("get", func(b *testing.B) {
		defer reportCPU(b)()
		for i := range b.N {
			o, err := mc.GetObject(ctx, "bench-put-wire", fmt.Sprintf("md5/%d/files/%d.txt", i, i), minio.GetObjectOptions{})
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			_, err = buf.ReadFrom(o)
			o.Close()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU reports the process's CPU time (user and system) per op.
func reportCPU(b *testing.B) func() {
	var r0 syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r0); err != nil {
		b.Fatal(err)
	}
	return func() {
		var r1 syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r1); err != nil {
			b.Fatal(err)
		}
		d := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
		b.ReportMetric(float64(d.Microseconds())/float64(b.N), "cpu-us/op")
	}
}
