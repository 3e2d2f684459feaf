package text

import "testing"

func TestBuilderNestedTables(t *testing.T) {
	var b Builder
	b.Paragraph(0, "before")
	b.EndCell(1, "A")
	b.Paragraph(1, "E")
	b.EndCell(2, "x")
	b.EndCell(2, "y")
	b.EndRow(2, nil)
	b.EndCell(1, "F")
	b.EndRow(1, func(r Row) Row { return r })
	b.EndCell(1, "lonely") // a table left open is closed by Blocks
	b.Paragraph(0, "after")
	doc := &Document{Stories: []Story{{Kind: Main, Blocks: b.Blocks()}}}
	want := "before\nA\tE\nx\ty\nF\nlonely\nafter\n"
	if got := doc.PlainText(RenderOptions{}); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var deep Builder
	deep.EndCell(1<<30, "x")
	if deep.Depth() != MaxTableDepth {
		t.Errorf("depth %d", deep.Depth())
	}
}
