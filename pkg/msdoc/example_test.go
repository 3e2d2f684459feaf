package msdoc_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/policytext/policytext/pkg/msdoc"
	"github.com/policytext/policytext/pkg/text"
)

func ExampleExtract() {
	b, _ := os.ReadFile("testdata/golden/lo-1775446429602316288.doc")
	doc, err := msdoc.Extract(bytes.NewReader(b), int64(len(b)), msdoc.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	first, _, _ := strings.Cut(doc.PlainText(text.RenderOptions{}), "\n")
	fmt.Println(doc.Version)
	fmt.Println(first)

	_, err = msdoc.Extract(bytes.NewReader([]byte("<!DOCTYPE html><html>")), 21, msdoc.Options{})
	fmt.Println(errors.Is(err, msdoc.ErrNotWord))
	// Output:
	// Word 97-2003 (nFib 0x0101)
	// 各区县(自治县)人民政府,市政府有关部门,有关单位:
	// true
}

// A file whose table stream's sector chain loops: the text its sectors
// still hold comes back, with the damage in Warnings.
func ExampleExtract_damaged() {
	b, _ := os.ReadFile("testdata/gaps/wv-footnote6.doc")
	doc, err := msdoc.Extract(bytes.NewReader(b), int64(len(b)), msdoc.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	first, _, _ := strings.Cut(doc.PlainText(text.RenderOptions{}), "\n")
	fmt.Println(first)
	for _, w := range doc.Warnings {
		fmt.Println("warning:", w)
	}
	// Output:
	// Footnote Tests
	// warning: stream 1Table: its sector chain has a cycle (the sector at file offset 5632 comes back after 1536 bytes); kept the first 1536 of 4096 bytes
	// warning: piece table (fc 1666) lost with the table stream: text read as one run from fcMin 1024
}
