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
