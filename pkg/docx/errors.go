package docx

import "errors"

// Sentinel errors; every error from Extract wraps one of them.
var (
	ErrEmpty = errors.New("docx: empty file")
	// ErrNotZip: the input is not a zip archive at all (or is cut short
	// before its central directory).
	ErrNotZip = errors.New("docx: not a valid zip archive (truncated or not a .docx)")
	// ErrNotWord: a zip or XML file that is not a Word document (a
	// spreadsheet, a presentation, an OpenDocument file, ...).
	ErrNotWord = errors.New("docx: not a Word document")
	// ErrMissingPart: the package has no main document part.
	ErrMissingPart = errors.New("docx: main document part missing")
	// ErrMalformedXML: a part the text comes from is not well-formed XML.
	ErrMalformedXML = errors.New("docx: malformed XML")
	// ErrTooLarge: a limit of Options was exceeded (zip bombs end here).
	ErrTooLarge = errors.New("docx: too large")
	// ErrCorrupt: the zip is readable but a part cannot be inflated
	// (bad checksum, unsupported compression).
	ErrCorrupt = errors.New("docx: corrupt package")
)
