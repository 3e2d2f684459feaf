// Package extract is the one entry point for turning any attachment into
// text: it sniffs the real format from the bytes (never from the name),
// dispatches to the format's parser, and applies limits of size and time.
// Portal attachments named .doc are often .docx, RTF, Word 2003 XML, Word 2
// or an HTML error page; each ends as text or as a typed error.
package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/policytext/policytext/pkg/docx"
	"github.com/policytext/policytext/pkg/msdoc"
	"github.com/policytext/policytext/pkg/rtf"
	"github.com/policytext/policytext/pkg/sniff"
	"github.com/policytext/policytext/pkg/text"
)

// Sentinel errors. An error from Extract wraps one of these and, where a
// parser produced it, the parser's own sentinel as well.
var (
	ErrEmpty             = errors.New("extract: empty file")
	ErrUnsupportedFormat = errors.New("extract: unsupported format")
	ErrEncrypted         = errors.New("extract: document is encrypted")
	ErrTruncated         = errors.New("extract: file is truncated")
	ErrCorrupt           = errors.New("extract: corrupt document")
	ErrTooLarge          = errors.New("extract: too large")
	ErrTimeout           = errors.New("extract: time limit exceeded")
)

// Kind names an extraction failure for records and metrics ("encrypted",
// "corrupt", ...), or "" when err is none of this package's.
func Kind(err error) string {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return ""
}

var kinds = []struct {
	err  error
	name string
}{{ErrEmpty, "empty"}, {ErrUnsupportedFormat, "unsupported_format"}, {ErrEncrypted, "encrypted"},
	{ErrTruncated, "truncated"}, {ErrTooLarge, "too_large"}, {ErrTimeout, "timeout"}, {ErrCorrupt, "corrupt"}}

// Format names what was found in the bytes.
type Format string

// Formats Extract reads.
const (
	FormatDoc    Format = "doc"    // Word 97-2003, Word 6/95 (OLE2)
	FormatDocx   Format = "docx"   // Office Open XML
	FormatRTF    Format = "rtf"    // Rich Text Format
	FormatWordML Format = "wordml" // Word 2003 XML
)

// Options are the limits of one extraction; zero values mean the defaults.
type Options struct {
	MaxInputBytes int64         // default 64 MiB
	MaxTextRunes  int64         // characters of all stories, default 32 Mi
	MaxPartBytes  int64         // .docx: inflated size of one part, default 64 MiB
	MaxTotalBytes int64         // .docx: inflated size of all parts read, default 256 MiB
	Timeout       time.Duration // default 30 s
}

// WithDefaults returns the options with every zero limit set to its
// default, so that callers can see the limits in force.
func (o Options) WithDefaults() Options {
	if o.MaxInputBytes <= 0 {
		o.MaxInputBytes = 64 << 20
	}
	if o.MaxTextRunes <= 0 {
		o.MaxTextRunes = 32 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	return o
}

// Result is a successful extraction.
type Result struct {
	Format Format
	Doc    *text.Document
}

// Bytes extracts from an in-memory file.
func Bytes(ctx context.Context, b []byte, opt Options) (*Result, error) {
	return Extract(ctx, bytes.NewReader(b), int64(len(b)), opt)
}

// Extract sniffs and extracts the file of the given size. Parsing runs in a
// goroutine so that the time limit (and ctx) bound the caller's wait; the
// parsers themselves are linear in the input, which the size limit bounds,
// so an abandoned parse ends soon after.
func Extract(ctx context.Context, r io.ReaderAt, size int64, opt Options) (*Result, error) {
	opt = opt.WithDefaults()
	switch {
	case size <= 0:
		return nil, ErrEmpty
	case size > opt.MaxInputBytes:
		return nil, fmt.Errorf("%w: file is %d bytes, limit %d", ErrTooLarge, size, opt.MaxInputBytes)
	}
	head := make([]byte, min(size, sniff.HeadSize))
	if n, err := r.ReadAt(head, 0); n < len(head) {
		return nil, fmt.Errorf("extract: read: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := dispatch(sniff.Detect(head), head, r, size, opt)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: no result after %v", ErrTimeout, opt.Timeout)
		}
		return nil, ctx.Err()
	}
}

// FormatInfo is one entry of the format table: what a sniffed format is
// called, the extension and content type its original is stored and
// offered under, and its parser. Adding a format is adding an entry.
type FormatInfo struct {
	Format      Format
	Sniffed     sniff.Format
	Ext         string // of the stored original
	ContentType string
	parse       func(r io.ReaderAt, size int64, opt Options) (*text.Document, error)
}

// table lists the formats Extract reads.
var table = []FormatInfo{
	{FormatDoc, sniff.OLE, "doc", "application/msword", func(r io.ReaderAt, size int64, opt Options) (*text.Document, error) {
		return msdoc.Extract(r, size, msdoc.Options{MaxInputBytes: opt.MaxInputBytes, MaxTextRunes: opt.MaxTextRunes})
	}},
	{FormatDocx, sniff.Zip, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		func(r io.ReaderAt, size int64, opt Options) (*text.Document, error) {
			return docx.Extract(r, size, opt.docx())
		}},
	{FormatRTF, sniff.RTF, "rtf", "application/rtf", func(r io.ReaderAt, size int64, opt Options) (*text.Document, error) {
		return rtf.Extract(r, size, rtf.Options{MaxInputBytes: opt.MaxInputBytes, MaxTextRunes: opt.MaxTextRunes})
	}},
	// Word 2003 XML is offered as a download only (XML may carry XHTML
	// script that a browser would run).
	{FormatWordML, sniff.WordXML, "xml", "application/octet-stream",
		func(r io.ReaderAt, size int64, opt Options) (*text.Document, error) {
			return docx.ExtractWordML(r, size, opt.docx())
		}},
}

// Unknown is the table entry of a file that is none of the formats: its
// original is kept as opaque bytes.
var Unknown = FormatInfo{Ext: "bin", ContentType: "application/octet-stream"}

// Identify returns the table entry of a file from its first bytes
// (sniff.HeadSize of them), or Unknown.
func Identify(head []byte) FormatInfo {
	return lookup(sniff.Detect(head))
}

func lookup(f sniff.Format) FormatInfo {
	for _, fi := range table {
		if fi.Sniffed == f {
			return fi
		}
	}
	return Unknown
}

func dispatch(f sniff.Format, head []byte, r io.ReaderAt, size int64, opt Options) (*Result, error) {
	if fi := lookup(f); fi.parse != nil {
		doc, err := fi.parse(r, size, opt)
		if err != nil {
			return nil, classify(err)
		}
		return &Result{Format: fi.Format, Doc: doc}, nil
	}
	switch f {
	case sniff.Empty:
		return nil, ErrEmpty
	case sniff.Word2:
		return nil, fmt.Errorf("%w: Word 2.0 document (DB A5), older than Word 6", ErrUnsupportedFormat)
	case sniff.HTML:
		return nil, fmt.Errorf("%w: an HTML page, not a Word document (often a file server's error page)", ErrUnsupportedFormat)
	case sniff.XML:
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedFormat, describeXML(head))
	default:
		return nil, fmt.Errorf("%w: %s, not a Word document", ErrUnsupportedFormat, f)
	}
}

func (o Options) docx() docx.Options {
	return docx.Options{MaxPartBytes: o.MaxPartBytes, MaxTotalBytes: o.MaxTotalBytes, MaxTextRunes: o.MaxTextRunes}
}

var s3Code = regexp.MustCompile(`<Code>([A-Za-z]{1,64})</Code>`)

// describeXML names an XML body that is not Word 2003 XML, typically an
// object store's error document.
func describeXML(head []byte) string {
	if m := s3Code.FindSubmatch(head); m != nil {
		return fmt.Sprintf("an XML error document (code %s) from the file server, not a Word document", m[1])
	}
	return "an XML document, not a Word document"
}

// classify adds this package's sentinel to a parser's error.
func classify(err error) error {
	var kind error
	switch {
	case errors.Is(err, msdoc.ErrEmpty), errors.Is(err, docx.ErrEmpty), errors.Is(err, rtf.ErrEmpty):
		kind = ErrEmpty
	case errors.Is(err, msdoc.ErrEncrypted):
		kind = ErrEncrypted
	case errors.Is(err, msdoc.ErrTooLarge), errors.Is(err, docx.ErrTooLarge), errors.Is(err, rtf.ErrTooLarge):
		kind = ErrTooLarge
	case errors.Is(err, msdoc.ErrTruncated), errors.Is(err, docx.ErrNotZip):
		kind = ErrTruncated
	case errors.Is(err, msdoc.ErrNotWord), errors.Is(err, msdoc.ErrUnsupportedVersion), errors.Is(err, docx.ErrNotWord),
		errors.Is(err, rtf.ErrNotRTF):
		kind = ErrUnsupportedFormat
	default:
		kind = ErrCorrupt
	}
	return &kindError{kind: kind, err: err}
}

// kindError carries this package's sentinel and the parser's error; its
// message is the parser's, which already says what is wrong.
type kindError struct{ kind, err error }

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }
