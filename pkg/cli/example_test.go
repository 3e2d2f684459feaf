package cli_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/policytext/policytext/pkg/cli"
)

// policyctl's main is only cli.Run; here it reconciles a web text with an
// attachment's text, as `policyctl compare --html w.html --text a.txt`.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "cli-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	web, att := filepath.Join(dir, "w.html"), filepath.Join(dir, "a.txt")
	os.WriteFile(web, []byte("<p>第一条 补贴标准为2034年。</p>"), 0o600)
	os.WriteFile(att, []byte("第一条 补贴标准为2027年。\n"), 0o600)

	code := cli.Run([]string{"compare", "--html", web, "--text", att}, os.Stdout, os.Stderr)
	fmt.Println("exit", code)
	// Output:
	// verdict: differs
	// similarity: coverage 85.71%, precision 85.71%, paragraphs 0.00%
	// differences: 1 (1 numeric)
	//   1. changed [numeric] attachment 2027年, web 2034年  attachment 9-14, web 9-14
	//      attachment: …第一条 补贴标准为【2027年】。⏎…
	//      web:        …第一条 补贴标准为【2034年】。…
	// exit 0
}
