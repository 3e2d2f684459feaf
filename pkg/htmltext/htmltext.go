// Package htmltext turns the HTML of a policy page (the portal's policyText)
// into paragraphs, the way a reader sees them: block elements start a new
// paragraph, <br> is a line break inside one, table cells of a row are
// joined by TAB, entities are decoded, and scripts and styles are dropped.
// A block that holds only a <br> (<p><br></p>) is an empty paragraph.
package htmltext

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Paragraphs parses s (a fragment or a whole page) and returns its
// paragraphs in document order.
func Paragraphs(s string) []string {
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		// x/net/html only fails on reader errors, which a string reader
		// cannot produce; keep the text rather than lose it.
		return []string{s}
	}
	w := &walker{}
	for _, n := range nodes {
		w.node(n)
	}
	w.flush()
	return w.out
}

type walker struct {
	out  []string
	cur  strings.Builder
	open bool // a paragraph has started (text or <br> seen)
	// cells of the table row being read; nil outside a row
	cells []string
	inRow int
}

// blocks are the elements that start and end a paragraph.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true,
	atom.H6: true, atom.Li: true, atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Blockquote: true, atom.Pre: true, atom.Section: true, atom.Article: true, atom.Header: true,
	atom.Footer: true, atom.Aside: true, atom.Nav: true, atom.Table: true, atom.Caption: true, atom.Tbody: true,
	atom.Thead: true, atom.Tfoot: true, atom.Hr: true, atom.Address: true, atom.Figure: true, atom.Figcaption: true,
	atom.Main: true, atom.Center: true, atom.Form: true, atom.Fieldset: true, atom.Body: true, atom.Html: true,
}

// skipped elements hold no readable text.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Head: true, atom.Noscript: true, atom.Template: true,
	atom.Title: true, atom.Iframe: true, atom.Object: true, atom.Svg: true, atom.Math: true,
}

func (w *walker) flush() {
	if !w.open {
		return
	}
	s := strings.TrimSuffix(w.cur.String(), "\n") // a <br> that ends a block adds no line
	w.cur.Reset()
	w.open = false
	if w.inRow > 0 {
		w.cells = append(w.cells, s)
		return
	}
	w.out = append(w.out, s)
}

func (w *walker) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.cur.WriteString(n.Data)
		w.open = true
		return
	case html.ElementNode:
	default:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			w.node(c)
		}
		return
	}
	if skipped[n.DataAtom] {
		return
	}
	switch n.DataAtom {
	case atom.Br:
		w.cur.WriteByte('\n')
		w.open = true
		return
	case atom.Tr:
		w.flush()
		w.inRow++
		saved := w.cells
		w.cells = nil
		w.children(n)
		w.flush()
		row := strings.Join(w.cells, "\t")
		w.cells = saved
		w.inRow--
		if w.inRow > 0 { // a row of a nested table: part of the outer cell
			w.cur.WriteString(row)
			w.open = true
			return
		}
		w.out = append(w.out, row)
		return
	case atom.Td, atom.Th:
		if w.inRow == 0 {
			break
		}
		w.flush()
		w.open = true // an empty cell still counts
		w.children(n)
		w.flush()
		return
	}
	block := blocks[n.DataAtom]
	if block {
		w.flush()
	}
	w.children(n)
	if block {
		w.flush()
	}
}

func (w *walker) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
}
