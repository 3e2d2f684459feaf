package msdoc

import "errors"

// Sentinel errors. Every error returned by Extract wraps exactly one of them,
// so callers decide with errors.Is whether a failure is permanent (all of
// these are: retrying the same bytes gives the same answer).
var (
	// ErrEmpty: the input has no bytes.
	ErrEmpty = errors.New("msdoc: empty file")
	// ErrNotWord: the input is not a Word binary document (another format,
	// or a compound file without a WordDocument stream).
	ErrNotWord = errors.New("msdoc: not a Word 97-2003 document")
	// ErrEncrypted: the document is password-protected (RC4, CryptoAPI or
	// XOR obfuscation), or it is an encrypted OOXML package.
	ErrEncrypted = errors.New("msdoc: document is encrypted")
	// ErrUnsupportedVersion: a Word version this package does not read
	// (Word 2.0 and older).
	ErrUnsupportedVersion = errors.New("msdoc: unsupported Word version")
	// ErrTruncated: the file ends before the data its headers point to.
	ErrTruncated = errors.New("msdoc: file is truncated")
	// ErrCorrupt: the compound file or the Word structures inside it are
	// inconsistent.
	ErrCorrupt = errors.New("msdoc: corrupt document")
	// ErrTooLarge: the input or the text exceeds a limit in Options.
	ErrTooLarge = errors.New("msdoc: too large")
)
