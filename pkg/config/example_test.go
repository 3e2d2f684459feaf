package config_test

import (
	"flag"
	"fmt"

	"github.com/policytext/policytext/pkg/config"
)

// A flag given on the command line wins; a flag not given takes its
// environment variable (NATS_URL for --nats-url); otherwise its default.
func ExampleParse() {
	fs := flag.NewFlagSet("extractor", flag.ContinueOnError)
	natsURL := fs.String("nats-url", "nats://127.0.0.1:4222", "NATS server")
	workers := fs.Int("workers", 4, "concurrent jobs")
	env := map[string]string{"NATS_URL": "nats://nats:4222", "WORKERS": "16"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := config.Parse(fs, []string{"--workers", "8"}, lookup); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*natsURL, *workers)
	// Output: nats://nats:4222 8
}
