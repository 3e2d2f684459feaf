package config

import (
	"flag"
	"testing"
	"time"
)

func TestFlagsWithEnvOverride(t *testing.T) {
	env := map[string]string{"NATS_URL": "nats://env:4222", "WORKERS": "8", "S3_BUCKET": "from-env", "INTERVAL": "bad"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	url := fs.String("nats-url", "nats://127.0.0.1:4222", "")
	workers := fs.Int("workers", 2, "")
	bucket := fs.String("s3-bucket", "policytext", "")
	other := fs.String("other", "default", "")
	if err := Parse(fs, []string{"--s3-bucket", "from-flag"}, lookup); err != nil {
		t.Fatal(err)
	}
	if *url != "nats://env:4222" || *workers != 8 || *bucket != "from-flag" || *other != "default" {
		t.Errorf("%s %d %s %s", *url, *workers, *bucket, *other)
	}
	fs2 := flag.NewFlagSet("y", flag.ContinueOnError)
	fs2.Duration("interval", time.Hour, "")
	if err := Parse(fs2, nil, lookup); err == nil {
		t.Error("a bad environment value must be an error")
	}
}
