package rtf

import "github.com/policytext/policytext/pkg/text"

// builder collects the blocks of one story. RTF marks structure with
// \par, \cell and \row; the nesting depth comes from \intbl and \itap.
type builder struct {
	out  text.Builder
	para []byte
}

func (b *builder) take() string {
	s := string(b.para)
	b.para = b.para[:0]
	return s
}

func (b *builder) endParagraph(depth int) { b.out.Paragraph(depth, b.take()) }

func (b *builder) endCell(depth int) { b.out.EndCell(depth, b.take()) }

func (b *builder) endRow(depth int) {
	b.para = b.para[:0] // row-end marks carry no text
	b.out.EndRow(depth, nil)
}

// finish closes open tables and keeps a last paragraph without \par.
func (b *builder) finish() []text.Block {
	if len(b.para) > 0 {
		b.endParagraph(0)
	}
	return b.out.Blocks()
}
