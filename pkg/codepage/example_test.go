package codepage_test

import (
	"fmt"

	"github.com/policytext/policytext/pkg/codepage"
)

// A font's charset names its code page: GB2312 (134) is read as GBK (936).
func ExampleNew() {
	cp := codepage.FromCharset(134)
	dec := codepage.New(cp)
	fmt.Println(cp, dec.String([]byte{0xD6, 0xD0, 0xCE, 0xC4}))
	// Output: 936 中文
}
