// Command policyctl extracts text from policy attachments. See pkg/cli.
package main

import (
	"os"

	"github.com/policytext/policytext/pkg/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr))
}
