package sniff_test

import (
	"fmt"

	"github.com/policytext/policytext/pkg/sniff"
)

// The first bytes of a file tell its container, whatever its name says.
func ExampleDetect() {
	ole := []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	fmt.Println(sniff.Detect(ole))
	fmt.Println(sniff.Detect([]byte(`{\rtf1\ansi hello}`)))
	fmt.Println(sniff.Detect([]byte("PK\x03\x04")))
	// Output:
	// OLE2 compound file
	// RTF
	// zip archive
}
