package htmltext_test

import (
	"fmt"

	"github.com/policytext/policytext/pkg/htmltext"
)

// The portal's policyText HTML becomes one string per paragraph; a table row
// becomes its cells joined by tabs.
func ExampleParagraphs() {
	paras := htmltext.Paragraphs(`<p>第一条</p><p><br></p><table><tr><td>A</td><td>B</td></tr></table>`)
	fmt.Printf("%q\n", paras)
	// Output: ["第一条" "" "A\tB"]
}
