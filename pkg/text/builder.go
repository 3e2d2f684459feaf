package text

// MaxTableDepth bounds table nesting: Word nests at most 64 deep, and a
// hostile file must not make a builder open millions of tables.
const MaxTableDepth = 64

// Builder assembles blocks from a stream of paragraphs that carry their
// table position, as Word's binary format and RTF deliver them: each
// paragraph says at which table depth it sits (0 for the body) and whether
// it ends a cell or a row. Tables open and close as the depth changes; a
// nested table becomes a block of the enclosing cell.
type Builder struct {
	blocks []Block
	tables []*openTable
}

type openTable struct {
	t    Table
	row  Row
	cell Cell
}

// Depth is the number of open tables.
func (b *Builder) Depth() int { return len(b.tables) }

func (b *Builder) setDepth(depth int) {
	depth = min(max(depth, 0), MaxTableDepth)
	for len(b.tables) > depth {
		b.closeTable()
	}
	for len(b.tables) < depth {
		b.tables = append(b.tables, &openTable{})
	}
}

// Paragraph adds a paragraph at depth: to the body, or to the open cell of
// the table at that depth.
func (b *Builder) Paragraph(depth int, s string) {
	b.setDepth(depth)
	if len(b.tables) == 0 {
		b.blocks = append(b.blocks, Para(s))
		return
	}
	top := b.tables[len(b.tables)-1]
	top.cell.Blocks = append(top.cell.Blocks, Para(s))
}

// EndCell adds the last paragraph of a cell and closes the cell.
func (b *Builder) EndCell(depth int, s string) {
	b.Paragraph(max(depth, 1), s)
	top := b.tables[len(b.tables)-1]
	top.row = append(top.row, top.cell)
	top.cell = Cell{}
}

// EndRow closes the row of the table at depth; fix, when given, may adjust
// the row's cells (merged cells) before it is added.
func (b *Builder) EndRow(depth int, fix func(Row) Row) {
	b.setDepth(max(depth, 1))
	top := b.tables[len(b.tables)-1]
	if len(top.cell.Blocks) > 0 {
		top.row = append(top.row, top.cell)
		top.cell = Cell{}
	}
	if fix != nil {
		top.row = fix(top.row)
	}
	if len(top.row) > 0 {
		top.t.Rows = append(top.t.Rows, top.row)
	}
	top.row = nil
}

func (b *Builder) closeTable() {
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
	block := Block{Table: &t}
	if n := len(b.tables); n > 0 {
		b.tables[n-1].cell.Blocks = append(b.tables[n-1].cell.Blocks, block)
		return
	}
	b.blocks = append(b.blocks, block)
}

// Blocks closes every open table and returns the blocks.
func (b *Builder) Blocks() []Block {
	b.setDepth(0)
	return b.blocks
}
