package cli

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// runHealth checks a /healthz URL: the container images have no shell or
// wget, so compose healthchecks call `policyctl health URL`.
func runHealth(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "policyctl health: give one URL")
		return 2
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "policyctl health: %v\n", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "policyctl health: HTTP %d\n", resp.StatusCode)
		return 1
	}
	fmt.Fprintln(stdout, "ok")
	return 0
}
