package msdoc

import (
	"strings"
	"unicode/utf8"

	"github.com/policytext/policytext/pkg/text"
)

// Word's special characters in the text stream ([MS-DOC] 2.8.x).
const (
	chPicture      = 0x01
	chFootnoteRef  = 0x02
	chAnnotation   = 0x05
	chCellMark     = 0x07
	chDrawnObject  = 0x08
	chTab          = 0x09
	chLineFeed     = 0x0A // not Word's; see storyBuilder.char
	chLineBreak    = 0x0B
	chPageBreak    = 0x0C // also the section mark
	chParaMark     = 0x0D
	chColumnBreak  = 0x0E
	chFieldBegin   = 0x13
	chFieldSep     = 0x14
	chFieldEnd     = 0x15
	chNonBreakHyph = 0x1E
	chSoftHyphen   = 0x1F
	chZeroWidthBOM = 0xFEFF // WPS Office sprinkles these
)

// storyBuilder turns the characters of one story into blocks. Fields are a
// stack: a character is text only when every open field is past its
// separator (field results are kept, instructions dropped, nesting honoured).
type storyBuilder struct {
	p      *parser
	kind   text.StoryKind
	base   uint32 // CP where the story starts
	out    text.Builder
	para   []byte // the paragraph being read; reused across paragraphs
	fields []openField
	hidden int // open fields still in their instruction
	// prevCellEnd: the previous mark ended a cell; used by the mark-based
	// fallback when a file has no paragraph properties (Word 6/95).
	prevCellEnd bool
	// afterNoteMark: a note's own mark was just written; the note's text
	// follows it after exactly one space.
	afterNoteMark bool
}

type openField struct {
	inResult bool   // the separator was seen
	instr    []rune // the instruction, kept only while short
}

const maxInstr = 512

func newStoryBuilder(p *parser, kind text.StoryKind, base uint32) *storyBuilder {
	return &storyBuilder{p: p, kind: kind, base: base}
}

func (b *storyBuilder) char(r rune, cp uint32) {
	if b.p.isDeleted(cp) {
		// A deleted paragraph mark joins its paragraph to the next one;
		// cell and row marks keep the table's shape.
		if r != chCellMark {
			return
		}
	}
	switch r {
	case chFieldBegin:
		b.fields = append(b.fields, openField{})
		b.hidden++
		return
	case chFieldSep:
		if n := len(b.fields); n > 0 && !b.fields[n-1].inResult {
			b.fields[n-1].inResult = true
			b.hidden--
		}
		return
	case chFieldEnd:
		if n := len(b.fields); n > 0 {
			f := b.fields[n-1]
			b.fields = b.fields[:n-1]
			if !f.inResult {
				b.hidden--
				// A field without a result shows nothing, except a
				// phonetic guide (EQ \o\ad), whose base text is visible.
				if base := rubyBase(f.instr); base != "" && b.hidden == 0 {
					b.para = append(b.para, base...)
				}
			}
		}
		return
	case chParaMark, chCellMark:
		b.endParagraph(r, cp)
		return
	case chPageBreak:
		if b.p.sectionEnds[cp] {
			b.endParagraph(r, cp)
		}
		return
	case chLineFeed:
		// Word never writes a line feed, but some converters put one where
		// the paragraph mark belongs; when the paragraph properties end
		// their run right after it, it is that mark. Elsewhere it shows
		// nothing, as in LibreOffice.
		if b.p.endsParagraphRun(cp) {
			b.endParagraph(chParaMark, cp)
		}
		return
	}
	if b.hidden > 0 {
		if f := &b.fields[len(b.fields)-1]; !f.inResult && len(f.instr) < maxInstr {
			f.instr = append(f.instr, r)
		}
		return
	}
	if r == chFootnoteRef {
		// An automatic note mark: the note's number (text package doc,
		// "Note reference marks").
		if mark, opens := b.p.notes.noteMark(b.kind, b.base, cp); mark != "" && b.noteGap(r) {
			b.para = append(b.para, mark...)
			b.afterNoteMark = opens
		}
		return
	}
	switch {
	case r == chTab:
		if b.noteGap(r) {
			b.para = append(b.para, '\t')
		}
	case r == chLineBreak:
		if b.noteGap(r) {
			b.para = append(b.para, '\n')
		}
	case r == chNonBreakHyph:
		if b.noteGap(r) {
			b.para = utf8.AppendRune(b.para, '\u2011')
		}
	case r < 0x20, r == chSoftHyphen, r == chZeroWidthBOM:
		// pictures, object anchors, comment references, separators,
		// column breaks, soft hyphens: nothing to read
	default:
		if b.noteGap(r) {
			b.para = utf8.AppendRune(b.para, b.p.symbolChar(r, cp))
		}
	}
}

// noteGap is called before the character r adds text to the paragraph; it
// reports whether r is still to be written. Right after a note's own mark,
// white space is replaced by exactly one space.
func (b *storyBuilder) noteGap(r rune) bool {
	if !b.afterNoteMark {
		return true
	}
	if r == ' ' || r == chTab {
		return false
	}
	b.afterNoteMark = false
	b.para = append(b.para, ' ')
	return true
}

// endParagraph places the finished paragraph according to the properties of
// its mark: outside tables, in a cell, ending a cell, or ending a row.
func (b *storyBuilder) endParagraph(mark rune, cp uint32) {
	b.afterNoteMark = false
	s := string(b.para)
	b.para = b.para[:0]
	props, known := paraProps{}, false
	if fc, ok := fcOf(b.p.pieces, cp); ok {
		props, known = b.p.papx.lookup(fc)
	}
	depth := props.depth()
	var cellEnd, rowEnd bool
	switch {
	case !known && len(b.p.papx.runs) == 0:
		// No paragraph properties at all: a cell mark right after a cell
		// end, with nothing in between, ends the row.
		if mark == chCellMark {
			depth = max(b.out.Depth(), 1)
			rowEnd = b.prevCellEnd && s == ""
			cellEnd = !rowEnd
		} else {
			depth = b.out.Depth()
			if depth > 0 && b.prevCellEnd {
				depth = 0 // a plain paragraph after a row: the table is over
			}
		}
	case depth <= 1:
		if mark == chCellMark {
			depth = 1
			rowEnd = props.ttp
			cellEnd = !rowEnd
		}
	default:
		rowEnd = props.innerTtp
		cellEnd = props.innerCell && !rowEnd
	}
	b.prevCellEnd = cellEnd || rowEnd
	if b.p.lists != nil && !rowEnd {
		if l := b.p.lists.label(props); l != "" {
			s = l + s
		}
	}
	switch {
	case depth == 0:
		b.out.Paragraph(0, s)
	case rowEnd:
		b.out.EndRow(depth, func(r text.Row) text.Row { return applyMerges(r, props.merged) })
	case cellEnd:
		b.out.EndCell(depth, s)
	default:
		b.out.Paragraph(depth, s)
	}
}

// applyMerges drops the cells that old-style horizontal merging folded into
// the cell before them: a merged cell counts once.
func applyMerges(row text.Row, m []cellMerge) text.Row {
	if len(m) == 0 {
		return row
	}
	out := row[:0]
	for i, c := range row {
		if i < len(m) && m[i].merged && !m[i].first && i > 0 && len(c.Blocks) <= 1 && c.Text() == "" {
			continue
		}
		out = append(out, c)
	}
	return out
}

func (b *storyBuilder) finish() []text.Block {
	if len(b.para) > 0 {
		b.endParagraph(chParaMark, ^uint32(0))
	}
	return b.out.Blocks()
}

// rubyBase returns the base text of a phonetic-guide field,
// `EQ \* jc2 \* "Font:MS Mincho" \* hps10 \o\ad(\s\up 9(とうきょう),東京)`,
// which has no result: Word draws the ruby over the base text.
func rubyBase(instr []rune) string {
	s := strings.TrimSpace(string(instr))
	if !strings.HasPrefix(strings.ToUpper(s), "EQ") {
		return ""
	}
	i := strings.Index(s, `\o`)
	if i < 0 || !strings.HasSuffix(s, ")") {
		return ""
	}
	s = s[:len(s)-1]
	j := strings.LastIndex(s, ",")
	if j < i {
		return ""
	}
	return s[j+1:]
}
