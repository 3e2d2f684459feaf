package reconcile

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Profile names the normalisation below; reports carry it so that a
// change of the rules is visible in stored results.
const Profile = "zh-policy-v1"

// foldRune maps characters NFKC leaves alone but web copies change:
// document number brackets, curly quotes, dash variants, middle dots.
func foldRune(r rune) rune {
	if r < 0x2010 && r != '[' && r != ']' && r != 0xB7 {
		return r
	}
	switch r {
	case '〔', '〕', '【', '】', '［', '］', '[', ']', '〖', '〗', '﹝', '﹞':
		switch r {
		case '〔', '【', '［', '[', '〖', '﹝':
			return '('
		}
		return ')'
	case '“', '”', '„', '‟', '″', '〝', '〞':
		return '"'
	case '‘', '’', '‚', '‛', '′':
		return '\''
	case '—', '―', '─', '–', '‐', '‑', '‒', '－', '﹣':
		return '-'
	case '・', '•', '‧', '∙', '⋅':
		return '·'
	}
	return r
}

// invisible are characters that carry no text and are dropped like white
// space.
func invisible(r rune) bool {
	if r > ' ' && r < 0x7F {
		return false
	}
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD':
		return true
	}
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

// normalized is one line of text after normalisation: runes, and for each
// the rune offset of its origin in the original text.
type normalized struct {
	runes  []rune
	origin []int
}

// normalizeLine appends the normalised form of line, whose first rune is
// at offset base of the original text. NFKC works on segments (a starter
// and its combining marks), so every output rune of a segment points to
// the segment's first input rune.
func normalizeLine(line string, base int, out *normalized) { normalizeWith(line, base, out, true) }

// normalizeWith is normalizeLine with or without its shortcuts for ASCII
// and CJK ideographs (without: what the tests check them against).
func normalizeWith(line string, base int, out *normalized, shortcuts bool) {
	var it norm.Iter
	pos, runeIdx := 0, base
	for pos < len(line) {
		// ASCII and the CJK ideographs (U+4000-U+9FFF, lead bytes E4-E9)
		// are most of a line, and NFKC leaves them alone: when the next
		// character is one of them too (or the line ends), none can be
		// part of a longer segment (a combining mark after them would
		// be: e + U+0301), so each is taken as it is. NFKC's quick check
		// cost more than the rest of the comparison.
		if r, n := inertRune(line[pos:]); shortcuts && n > 0 && (pos+n == len(line) || startsInert(line[pos+n])) {
			if r = foldRune(r); !invisible(r) {
				if 'A' <= r && r <= 'Z' {
					r += 'a' - 'A'
				}
				out.runes = append(out.runes, r)
				out.origin = append(out.origin, runeIdx)
			}
			runeIdx++
			pos += n
			continue
		}
		// The rest is mostly in NFKC too (full-width punctuation is not):
		// take that part rune by rune, and only the rest segment by
		// segment. The check looks only as far as the next ASCII or CJK
		// ideograph, before which there is always a segment boundary (the
		// fast path takes over there).
		end := pos + 1
		for end < len(line) && !startsInert(line[end]) {
			end++
		}
		if !shortcuts || !utf8.ValidString(line[pos:end]) {
			end = len(line) // the check takes invalid bytes differently at the end of its input
		}
		if n := norm.NFKC.QuickSpanString(line[pos:end]); n > 0 {
			for _, r := range line[pos : pos+n] {
				if r = foldRune(r); !invisible(r) {
					out.runes = append(out.runes, unicode.ToLower(r))
					out.origin = append(out.origin, runeIdx)
				}
				runeIdx++
			}
			pos += n
			continue
		}
		// One segment may come out over several calls of Next (a long
		// decomposition such as U+33F7 emits in pieces while Pos stays
		// put): read until the input position moves.
		it.InitString(norm.NFKC, line[pos:])
		for {
			seg := it.Next()
			for len(seg) > 0 {
				r, n := utf8.DecodeRune(seg)
				seg = seg[n:]
				if r = foldRune(r); !invisible(r) {
					out.runes = append(out.runes, unicode.ToLower(r))
					out.origin = append(out.origin, runeIdx)
				}
			}
			if it.Pos() > 0 || it.Done() {
				break
			}
		}
		next := pos + it.Pos()
		if it.Pos() == 0 { // cannot happen with a finished iterator; never loop
			_, n := utf8.DecodeRuneInString(line[pos:])
			next = pos + n
		}
		runeIdx += utf8.RuneCountInString(line[pos:next])
		pos = next
	}
}

// inertRune decodes an ASCII character or a CJK ideograph at the start of
// s (n is 0 for anything else).
func inertRune(s string) (r rune, n int) {
	switch c := s[0]; {
	case c < utf8.RuneSelf:
		return rune(c), 1
	case startsInert(c):
		if r, n := utf8.DecodeRuneInString(s); n == 3 {
			return r, 3
		}
	}
	return 0, 0
}

// startsInert: the byte begins an ASCII character or (lead byte E4-E9)
// a character of U+4000-U+9FFF, which NFKC neither changes nor composes
// with what comes before it.
func startsInert(c byte) bool { return c < utf8.RuneSelf || c >= 0xE4 && c <= 0xE9 }
