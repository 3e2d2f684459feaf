package allinone_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"

	"github.com/policytext/policytext/pkg/allinone"
)

// The whole pipeline in one process: embedded NATS and S3, the sample portal,
// a crawl, extraction and reconciliation, then the summary as the last line
// of stdout. (Compiled, not run here: TestOnceTwice runs it on the sample.)
func ExampleRun() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := allinone.Run(ctx, allinone.Config{Data: "./data", Once: true}, os.Stdout, os.Stderr, log); err != nil {
		log.Error("pipeline", "err", err)
		os.Exit(1)
	}
}
