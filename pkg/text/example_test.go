package text_test

import (
	"fmt"

	"github.com/policytext/policytext/pkg/text"
)

// A document is stories of blocks; plain text puts one paragraph on a line
// and a table row on a line with its cells separated by tabs.
func ExampleDocument_PlainText() {
	doc := &text.Document{Stories: []text.Story{{Kind: text.Main, Blocks: []text.Block{
		text.Para("第一条"),
		text.TableBlock(text.Row{text.CellOf("序号"), text.CellOf("名称")}),
	}}}}
	fmt.Printf("%q\n", doc.PlainText(text.RenderOptions{}))
	// Output: "第一条\n序号\t名称\n"
}
