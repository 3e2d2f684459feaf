package rtf_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/policytext/policytext/pkg/rtf"
	"github.com/policytext/policytext/pkg/text"
)

func ExampleExtract() {
	src := `{\rtf1\ansi\ansicpg936{\fonttbl{\f0\fcharset134 SimSun;}{\f1\fcharset2 Symbol;}}` +
		`{\f1 \'b7}\tab \f0 \'d6\'d0\'ce\'c4{\super\chftn}{\footnote\pard{\super\chftn} note\par}\par}`
	doc, err := rtf.Extract(strings.NewReader(src), int64(len(src)), rtf.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(doc.PlainText(text.RenderOptions{AllStories: true}))

	_, err = rtf.Extract(strings.NewReader("<html>"), 6, rtf.Options{})
	fmt.Println(errors.Is(err, rtf.ErrNotRTF))
	// Output:
	// •	中文1
	// === footnote ===
	// 1 note
	// true
}
