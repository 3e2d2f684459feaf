// Package sniff tells what a file really is from its first bytes, because
// portal attachments are routinely mislabelled: a ".doc" may be a .docx, RTF,
// Word 2003 XML, Word 2, or the HTML error page of a file server.
package sniff

import (
	"bytes"
)

// HeadSize is how many leading bytes Detect looks at at most.
const HeadSize = 512

// Format is a container or document format recognised by its magic bytes.
type Format int

// Formats Detect can report.
const (
	Unknown Format = iota
	Empty
	OLE     // compound file: Word 97-2003, encrypted OOXML, Excel, ...
	Zip     // zip container: .docx and other OOXML/ODF packages
	RTF     // {\rtf
	Word2   // Word for Windows 2.0 (DB A5)
	WordXML // Word 2003 XML (<?xml ... <w:wordDocument)
	XML     // other XML, e.g. an object-store error body
	HTML    // an HTML page, often a server's error page
	PDF
)

var names = [...]string{"unknown", "empty", "OLE2 compound file", "zip archive", "RTF", "Word 2.0", "Word 2003 XML",
	"XML document", "HTML page", "PDF"}

// String names the format for error messages.
func (f Format) String() string {
	if f < 0 || int(f) >= len(names) {
		return "unknown"
	}
	return names[f]
}

var (
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	zipMagic = []byte("PK\x03\x04")
	utf8BOM  = []byte{0xEF, 0xBB, 0xBF}
)

// Detect classifies head, the first bytes of a file (HeadSize is enough).
func Detect(head []byte) Format {
	if len(head) > HeadSize {
		head = head[:HeadSize]
	}
	switch {
	case len(head) == 0:
		return Empty
	case bytes.HasPrefix(head, oleMagic):
		return OLE
	case bytes.HasPrefix(head, zipMagic), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return Zip
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return PDF
	case len(head) >= 2 && head[0] == 0xDB && head[1] == 0xA5:
		return Word2
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	lower := bytes.ToLower(t)
	switch {
	case bytes.HasPrefix(t, []byte(`{\rtf`)):
		return RTF
	case bytes.HasPrefix(lower, []byte("<!doctype html")), bytes.HasPrefix(lower, []byte("<html")):
		return HTML
	case bytes.HasPrefix(t, []byte("<?xml")), bytes.HasPrefix(t, []byte("<")):
		switch {
		case bytes.Contains(head, []byte("wordDocument")), bytes.Contains(head, []byte("progid=\"Word.Document\"")):
			return WordXML
		case bytes.Contains(lower, []byte("<html")):
			return HTML
		}
		return XML
	}
	return Unknown
}
