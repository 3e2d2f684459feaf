// Package cli implements policyctl, the command-line tool of the project.
// services/policyctl/main.go only calls Run; tests call it the same way.
package cli

import (
	"fmt"
	"io"
)

const usage = `policyctl: work with policy attachments

Usage:
  policyctl extract [--stories all] [--out DIR] [--verbose] FILE...
  policyctl compare --html FILE --text FILE [--id ID] [--json]
  policyctl queue [--nats-url URL] [--no-wait] [--wait 5m] ID...
  policyctl status [--nats-url URL] [--json] [--watch]
  policyctl health URL

Commands:
  extract   print the text of Word files (.doc, .docx, RTF, Word 2003 XML,
            recognised by content, not name) for one FILE, or write
            DIR/<base name>.txt for each FILE with --out
  compare   reconcile a policy's web text (HTML, or policy JSON) with its
            attachment (text, or the Word file); the exit status is 0
            whatever the verdict
  queue     ask the fetcher to reprocess these policies
  status    depths of the job, event and dead-letter queues
  health    exit 0 when URL (a /healthz) answers 200; for container healthchecks
`

// Run executes one policyctl command and returns the process exit status:
// 0 on success, 1 when some input failed, 2 on a usage error.
func Run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "extract":
		return runExtract(args[1:], stdout, stderr)
	case "compare":
		return runCompare(args[1:], stdout, stderr)
	case "queue":
		return runQueue(args[1:], stdout, stderr)
	case "status":
		return runStatus(args[1:], stdout, stderr)
	case "health":
		return runHealth(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "policyctl: unknown command %q\n\n%s", args[0], usage)
	return 2
}
