package docx

import (
	"bytes"
	"io"
)

// lenientReader repairs two slips some writers make in otherwise
// well-formed parts, as pandoc and docx2txt read them, before
// encoding/xml sees the bytes (package doc, "Malformed XML"):
//
//   - white space between the "/" and ">" of an empty-element tag
//     (`<w:i/ >` is `<w:i/>`);
//   - an "&" that starts no character or entity reference (`R&D`, `& `)
//     is a literal ampersand, written "&amp;"; so is a "<" inside an
//     attribute value, written "&lt;".
//
// Nothing else changes: comments, CDATA sections, processing instructions
// and declarations pass through untouched, line breaks stay where they
// were (error messages keep their line numbers), and anything still broken
// (a mismatched or unclosed tag, a truncated part, an undefined entity)
// is left for the decoder to refuse. Lookahead is bounded (an entity name
// of at most maxRefLen bytes, at most maxSlashSpace blanks after "/"), so
// memory stays at one read buffer.
type lenientReader struct {
	r     io.Reader
	in    []byte // unread input
	out   []byte // repaired output not yet returned
	obuf  []byte // out's storage, reused
	buf   []byte
	err   error // from r, returned once in is drained
	state int
	quote byte   // the quote of the attribute value being read
	end   string // the end of the comment, CDATA, PI or declaration
	empty int    // reads in a row that returned nothing
}

const (
	stText = iota
	stTag
	stAttr
	stSpecial // comment, CDATA, processing instruction, declaration
)

const (
	maxRefLen     = 40
	maxSlashSpace = 16
	lookahead     = 64
)

func newLenientReader(r io.Reader) *lenientReader {
	return &lenientReader{r: r, buf: make([]byte, 4<<10)}
}

func (l *lenientReader) Read(p []byte) (int, error) {
	for len(l.out) == 0 {
		if l.err != nil && len(l.in) == 0 {
			return 0, l.err
		}
		if l.err == nil && len(l.in) < lookahead {
			n, err := l.r.Read(l.buf)
			l.in = append(l.in, l.buf[:n]...)
			if err != nil {
				l.err = err
			}
			if n == 0 && err == nil {
				// a reader that keeps returning nothing (bufio gives up
				// the same way)
				l.empty++
				if l.empty >= 100 {
					l.err = io.ErrNoProgress
				}
				continue
			}
			l.empty = 0
		}
		l.process()
	}
	n := copy(p, l.out)
	l.out = l.out[n:]
	return n, nil
}

// process repairs as much of in as it can decide on; it leaves a tail
// whose meaning depends on bytes not read yet.
func (l *lenientReader) process() {
	in, final := l.in, l.err != nil
	out := l.obuf[:0]
	i := 0
loop:
	for i < len(in) {
		c := in[i]
		switch l.state {
		case stText, stAttr:
			switch {
			case c == '&':
				ok, known := refAt(in[i:], final)
				if !known {
					break loop
				}
				if !ok {
					out = append(out, "&amp;"...)
					i++
					continue
				}
			case l.state == stAttr && c == l.quote:
				l.state = stTag
			case l.state == stAttr && c == '<':
				out = append(out, "&lt;"...)
				i++
				continue
			case l.state == stText && c == '<':
				if len(in)-i < 9 && !final {
					break loop
				}
				rest := in[i:]
				switch {
				case bytes.HasPrefix(rest, []byte("<!--")):
					l.state, l.end = stSpecial, "-->"
					out = append(out, "<!--"...)
					i += 4
					continue
				case bytes.HasPrefix(rest, []byte("<![CDATA[")):
					l.state, l.end = stSpecial, "]]>"
					out = append(out, "<![CDATA["...)
					i += 9
					continue
				case bytes.HasPrefix(rest, []byte("<?")):
					l.state, l.end = stSpecial, "?>"
					out = append(out, "<?"...)
					i += 2
					continue
				case bytes.HasPrefix(rest, []byte("<!")):
					l.state, l.end = stSpecial, ">"
					out = append(out, "<!"...)
					i += 2
					continue
				}
				l.state = stTag
			}
		case stTag:
			switch c {
			case '"', '\'':
				l.state, l.quote = stAttr, c
			case '>':
				l.state = stText
			case '/':
				j := i + 1
				for j < len(in) && j-i <= maxSlashSpace && isBlank(in[j]) {
					j++
				}
				if j == len(in) && !final && j-i <= maxSlashSpace {
					break loop
				}
				if j > i+1 && j < len(in) && in[j] == '>' {
					out = append(out, "/>"...)
					i = j + 1
					l.state = stText
					continue
				}
			}
		case stSpecial:
			if len(in)-i < len(l.end) && !final {
				break loop
			}
			if bytes.HasPrefix(in[i:], []byte(l.end)) {
				out = append(out, l.end...)
				i += len(l.end)
				l.state = stText
				continue
			}
		}
		out = append(out, c)
		i++
	}
	l.out, l.obuf = out, out
	l.in = append(l.in[:0], in[i:]...)
}

// refAt reports whether b, which starts with "&", starts with a character
// or entity reference; known is false when the answer needs more bytes
// than b holds and more may come.
func refAt(b []byte, final bool) (ok, known bool) {
	j := 1
	num := j < len(b) && b[j] == '#'
	if num {
		j++
		if j < len(b) && b[j] == 'x' {
			j++
		}
	}
	start := j
	for ; j < len(b) && j <= maxRefLen; j++ {
		c := b[j]
		switch {
		case c == ';':
			return j > start, true
		case num && (c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
		case !num && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80 ||
			j > start && (c >= '0' && c <= '9' || c == '-' || c == '.')):
		default:
			return false, true
		}
	}
	if j > maxRefLen {
		return false, true
	}
	return false, final
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
