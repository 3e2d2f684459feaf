// Package text is the document model shared by every extractor: a document is
// a list of stories (the main body first, then headers, footers, notes,
// comments and text boxes), a story is a list of blocks, and a block is either
// a paragraph or a table whose cells hold blocks of their own.
//
// The plain-text rendering follows one set of conventions for every input
// format, so that a .doc, a .docx and an RTF file with the same content give
// byte-identical text:
//
//   - UTF-8, LF line ends; every paragraph is one line ending in "\n",
//     including the last one and including empty paragraphs.
//   - Characters are verbatim: U+00A0, U+3000, TABs, leading and trailing
//     spaces all stay.
//   - A manual line break inside a paragraph is a "\n".
//   - A table row is one line: its cells joined by one TAB, no leading or
//     trailing TAB. Paragraphs inside one cell are joined by "\n".
//   - Page and section breaks produce nothing; fields contribute their result
//     only.
//   - Only the main story is rendered by default; [RenderOptions.AllStories]
//     appends the other stories, each under a "=== kind ===" line.
//
// Note reference marks: an automatically numbered footnote or endnote
// shows, where it is anchored in the text, its number in the note's number
// format as plain characters with nothing around them ("a test1",
// "an endnotei"). Notes are numbered in document order from the
// document's settings, or its section's where a section sets its own:
// Word's defaults are 1, 2, 3 for footnotes and i, ii, iii for endnotes,
// never restarting (a restart on each page needs a layout and is numbered
// as if continuous). A note with a custom mark shows the mark's own
// characters, a symbol-font mark mapped through its font, and takes no
// number. In the footnote and endnote stories each note's text starts with
// its mark followed by exactly one space ("1 Text of the note"), whatever
// white space the file puts after an automatic mark; a custom mark is the
// note's own first characters and keeps what follows it.
package text

import (
	"strings"
	"unicode/utf8"
)

// StoryKind names a story of a document. The order of the constants is the
// order in which stories are rendered.
type StoryKind int

// The stories a Word document can have.
const (
	Main StoryKind = iota
	Header
	Footer
	Footnote
	Endnote
	Comment
	TextBox
)

var storyNames = [...]string{"main", "header", "footer", "footnote", "endnote", "comment", "textbox"}

// String returns the lowercase name used in renderings and JSON records.
func (k StoryKind) String() string {
	if k < 0 || int(k) >= len(storyNames) {
		return "unknown"
	}
	return storyNames[k]
}

// Document is the structured text of one file.
type Document struct {
	Format  string // "doc", "docx", "rtf", ...
	Version string // e.g. "Word 97-2003 (nFib 0x00C1)"
	Stories []Story
	// Warnings describe damage the parser recovered from: the text is what
	// the file still holds, and may be incomplete. Empty for a sound file.
	Warnings []string
}

// Story is one stream of text: the main body, one header, all footnotes, ...
type Story struct {
	Kind   StoryKind
	Blocks []Block
}

// Block is a paragraph (Table == nil) or a table.
type Block struct {
	Text  string // paragraph text; may contain "\t" and "\n" (manual line break)
	Table *Table
}

// Table is a list of rows.
type Table struct {
	Rows []Row
}

// Row is a list of cells; a horizontally merged cell counts once.
type Row []Cell

// Cell holds the blocks of one table cell (usually one paragraph; nested
// tables are blocks too).
type Cell struct {
	Blocks []Block
}

// Para returns a paragraph block.
func Para(s string) Block { return Block{Text: s} }

// TableBlock returns a table block made of the given rows.
func TableBlock(rows ...Row) Block { return Block{Table: &Table{Rows: rows}} }

// CellOf returns a cell holding one paragraph per argument.
func CellOf(paragraphs ...string) Cell {
	c := Cell{Blocks: make([]Block, len(paragraphs))}
	for i, p := range paragraphs {
		c.Blocks[i] = Para(p)
	}
	return c
}

// RenderOptions selects what PlainText includes.
type RenderOptions struct {
	// AllStories appends every non-main story after the main text.
	AllStories bool
}

// Main returns the main story, or an empty one when the document has none.
func (d *Document) Main() Story {
	for _, s := range d.Stories {
		if s.Kind == Main {
			return s
		}
	}
	return Story{Kind: Main}
}

// PlainText renders the document with the package conventions.
func (d *Document) PlainText(opt RenderOptions) string {
	var b strings.Builder
	for _, s := range d.Stories {
		if s.Kind == Main {
			writeBlocks(&b, s.Blocks)
		}
	}
	if !opt.AllStories {
		return b.String()
	}
	for k := Header; int(k) < len(storyNames); k++ {
		for _, s := range d.Stories {
			if s.Kind != k || !HasText(s.Blocks) {
				continue
			}
			b.WriteString("=== ")
			b.WriteString(k.String())
			b.WriteString(" ===\n")
			writeBlocks(&b, s.Blocks)
		}
	}
	return b.String()
}

// HasText reports whether blocks hold anything but white space (a table
// counts as text).
func HasText(blocks []Block) bool {
	for _, b := range blocks {
		if b.Table != nil || strings.TrimSpace(b.Text) != "" {
			return true
		}
	}
	return false
}

// Text renders one story's blocks with the package conventions.
func (s Story) Text() string {
	var b strings.Builder
	writeBlocks(&b, s.Blocks)
	return b.String()
}

func writeBlocks(b *strings.Builder, blocks []Block) {
	for _, bl := range blocks {
		if bl.Table == nil {
			b.WriteString(bl.Text)
			b.WriteByte('\n')
			continue
		}
		for _, row := range bl.Table.Rows {
			for i, c := range row {
				if i > 0 {
					b.WriteByte('\t')
				}
				b.WriteString(c.Text())
			}
			b.WriteByte('\n')
		}
	}
}

// Text renders a cell: its paragraphs joined by "\n" (nested table rows are
// lines of their own, cells joined by TAB).
func (c Cell) Text() string {
	var b strings.Builder
	writeBlocks(&b, c.Blocks)
	return strings.TrimSuffix(b.String(), "\n")
}

// Counts summarises a story for records and logs.
type Counts struct {
	Paragraphs int `json:"paragraphs"`
	Tables     int `json:"tables"`
	Rows       int `json:"rows"`
	Runes      int `json:"runes"`
}

// Count returns the paragraph, table, row and character counts of the blocks.
func Count(blocks []Block) Counts {
	var c Counts
	for _, bl := range blocks {
		if bl.Table == nil {
			c.Paragraphs++
			c.Runes += utf8.RuneCountInString(bl.Text)
			continue
		}
		c.Tables++
		for _, row := range bl.Table.Rows {
			c.Rows++
			for _, cell := range row {
				inner := Count(cell.Blocks)
				c.Paragraphs += inner.Paragraphs
				c.Tables += inner.Tables
				c.Rows += inner.Rows
				c.Runes += inner.Runes
			}
		}
	}
	return c
}
