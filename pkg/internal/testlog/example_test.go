package testlog_test

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/policytext/policytext/pkg/internal/testlog"
)

func Example() {
	var logs testlog.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	log.Info("extracted", "file", "1")
	fmt.Println(strings.Contains(logs.String(), "msg=extracted file=1"))
	// Output: true
}
