package rtf

import "github.com/policytext/policytext/pkg/text"

// builder collects the blocks of one story. RTF marks structure with
// \par, \cell and \row; the nesting depth comes from \intbl and \itap.
type builder struct {
	blocks []text.Block
	para   []byte
	tables []*openTable
}

type openTable struct {
	t    text.Table
	row  text.Row
	cell text.Cell
}

func (b *builder) take() string {
	s := string(b.para)
	b.para = b.para[:0]
	return s
}

// setDepth opens or closes tables until depth are open.
func (b *builder) setDepth(depth int) {
	depth = min(depth, maxTableDepth)
	for len(b.tables) > depth {
		b.closeTable()
	}
	for len(b.tables) < depth {
		b.tables = append(b.tables, &openTable{})
	}
}

func (b *builder) endParagraph(depth int) {
	s := b.take()
	b.setDepth(depth)
	if depth == 0 {
		b.blocks = append(b.blocks, text.Para(s))
		return
	}
	top := b.tables[len(b.tables)-1]
	top.cell.Blocks = append(top.cell.Blocks, text.Para(s))
}

func (b *builder) endCell(depth int) {
	s := b.take()
	b.setDepth(depth)
	top := b.tables[len(b.tables)-1]
	top.cell.Blocks = append(top.cell.Blocks, text.Para(s))
	top.row = append(top.row, top.cell)
	top.cell = text.Cell{}
}

func (b *builder) endRow(depth int) {
	b.para = b.para[:0] // row-end marks carry no text
	b.setDepth(depth)
	top := b.tables[len(b.tables)-1]
	if len(top.cell.Blocks) > 0 {
		top.row = append(top.row, top.cell)
		top.cell = text.Cell{}
	}
	if len(top.row) > 0 {
		top.t.Rows = append(top.t.Rows, top.row)
	}
	top.row = nil
}

func (b *builder) closeTable() {
	top := b.tables[len(b.tables)-1]
	b.tables = b.tables[:len(b.tables)-1]
	if len(top.cell.Blocks) > 0 {
		top.row = append(top.row, top.cell)
	}
	if len(top.row) > 0 {
		top.t.Rows = append(top.t.Rows, top.row)
	}
	if len(top.t.Rows) == 0 {
		return
	}
	t := top.t
	block := text.Block{Table: &t}
	if n := len(b.tables); n > 0 {
		b.tables[n-1].cell.Blocks = append(b.tables[n-1].cell.Blocks, block)
		return
	}
	b.blocks = append(b.blocks, block)
}

// finish closes open tables and keeps a last paragraph without \par.
func (b *builder) finish() []text.Block {
	if len(b.para) > 0 {
		b.endParagraph(0)
	}
	b.setDepth(0)
	return b.blocks
}
