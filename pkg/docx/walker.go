package docx

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/policytext/policytext/pkg/codepage"
	"github.com/policytext/policytext/pkg/text"
)

// Namespaces are matched by URI, never by prefix: real files use w:, ns0:
// or none at all.
const (
	nsWTransitional = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	nsWStrict       = "http://purl.oclc.org/ooxml/wordprocessingml/main"
	nsW2003         = "http://schemas.microsoft.com/office/word/2003/wordml"
	nsMC            = "http://schemas.openxmlformats.org/markup-compatibility/2006"
)

func isW(n xml.Name) bool {
	return n.Space == nsWTransitional || n.Space == nsWStrict || n.Space == nsW2003
}

// attr returns the value of the attribute with the given local name in a
// WordprocessingML namespace (or none, as some writers omit it).
func attr(t xml.StartElement, local string) (string, bool) {
	for _, a := range t.Attr {
		if a.Name.Local == local && (a.Name.Space == "" || isW(a.Name)) {
			return a.Value, true
		}
	}
	return "", false
}

// maxDepth bounds the element nesting the walker follows; a document that
// nests deeper is hostile or broken.
const maxDepth = 256

// headerRef is a w:headerReference/w:footerReference of a section.
type headerRef struct {
	id     string
	footer bool
}

// walker turns the token stream of one part into blocks. Field state and
// text boxes are document-wide; paragraph text is gathered in para.
type walker struct {
	dec      *xml.Decoder
	part     string
	depth    int
	para     []byte
	carry    string // text of a paragraph whose mark was deleted
	fields   []field
	hidden   int // open fields still in their instruction
	textbox  []text.Block
	hdrRefs  []headerRef
	inlineHF []text.Story // Word 2003 XML keeps headers in w:sectPr
	num      *numbering
	// root, when set, is the local name the root element must have
	// ("document", "wordDocument").
	root string
	// skipSeparatorNotes drops w:footnote/w:endnote of the separator types.
	skipSeparatorNotes bool
	runes              *int64
	maxRunes           int64
	// notes numbers the note reference marks (nil: no marks, as in Word
	// 2003 XML, whose notes are inline).
	notes *notes
	// note is the footnote or endnote being read in a notes part.
	note noteRef
	// afterNoteMark: a note's own mark was just written; its text follows
	// after exactly one space.
	afterNoteMark bool
	// runFont is the run's fonts as its direct formatting names them
	// (w:rFonts ascii for U+0000-U+007F, hAnsi for the rest, the private-use
	// codes of symbol fonts included), each "" unless a symbol font.
	runFont runFonts
}

// runFonts are the symbol fonts of a run by character range.
type runFonts struct{ ascii, hAnsi string }

// field is an open complex field (w:fldChar begin ... end).
type field struct {
	inResult bool   // past "separate"
	instr    []byte // the instruction, kept while short
}

// maxInstr bounds the instruction text kept per field.
const maxInstr = 1024

func newWalker(r io.Reader, part string, num *numbering, runes *int64, maxRunes int64) *walker {
	return &walker{dec: xml.NewDecoder(newLenientReader(r)), part: part, num: num, runes: runes, maxRunes: maxRunes}
}

func (w *walker) token() (xml.Token, error) {
	tok, err := w.dec.Token()
	if err != nil {
		if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformedXML, w.part, err)
	}
	return tok, nil
}

func (w *walker) skip() error {
	if err := w.dec.Skip(); err != nil {
		if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrCorrupt) {
			return err
		}
		return fmt.Errorf("%w: %s: %v", ErrMalformedXML, w.part, err)
	}
	return nil
}

func (w *walker) enter() error {
	w.depth++
	if w.depth > maxDepth {
		return fmt.Errorf("%w: %s: elements nested deeper than %d", ErrMalformedXML, w.part, maxDepth)
	}
	return nil
}

// document reads a whole part: from its root element to the end.
func (w *walker) document() ([]text.Block, error) {
	var out []text.Block
	for {
		tok, err := w.dec.Token()
		if err == io.EOF {
			return nil, fmt.Errorf("%w: %s: no root element", ErrMalformedXML, w.part)
		}
		if err != nil {
			_, err = w.token() // classify the error the same way
			return nil, err
		}
		if t, ok := tok.(xml.StartElement); ok {
			if w.root != "" && !(isW(t.Name) && t.Name.Local == w.root) {
				return nil, fmt.Errorf("%w: %s has root element {%s}%s, not w:%s", ErrNotWord, w.part, t.Name.Space, t.Name.Local, w.root)
			}
			if err := w.block(t, &out); err != nil {
				return nil, err
			}
			// Anything after the root is a syntax error the decoder
			// reports; check it so a truncated file cannot pass.
			for {
				if _, err := w.dec.Token(); err == io.EOF {
					return out, nil
				} else if err != nil {
					_, err = w.token()
					return nil, err
				}
			}
		}
	}
}

// blockContent reads block-level children until the end of the current
// element.
func (w *walker) blockContent(out *[]text.Block) error {
	return w.children(func(t xml.StartElement) error { return w.block(t, out) })
}

// children calls handle for each child element of the current element
// until the element ends; handle reads its element to the end. Nesting is
// counted, so a hostile depth is an error, not a stack overflow.
func (w *walker) children(handle func(xml.StartElement) error) error {
	if err := w.enter(); err != nil {
		return err
	}
	defer func() { w.depth-- }()
	for {
		tok, err := w.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if err := handle(t); err != nil {
				return err
			}
		}
	}
}

func (w *walker) block(t xml.StartElement, out *[]text.Block) error {
	if isW(t.Name) {
		switch t.Name.Local {
		case "p":
			b, keep, err := w.paragraph()
			if err != nil {
				return err
			}
			if keep {
				*out = append(*out, b)
			}
			return nil
		case "tbl":
			tbl, err := w.table()
			if err != nil {
				return err
			}
			if len(tbl.Rows) > 0 {
				*out = append(*out, text.Block{Table: tbl})
			}
			return nil
		case "sectPr":
			return w.sectPr()
		case "footnote", "endnote":
			if typ, _ := attr(t, "type"); w.skipSeparatorNotes && typ != "" && typ != "normal" {
				return w.skip()
			}
			id, _ := attr(t, "id")
			w.note = noteRef{endnote: t.Name.Local == "endnote", id: id}
			err := w.blockContent(out)
			w.note = noteRef{}
			return err
		case "del", "moveFrom", "sdtPr", "sdtEndPr", "pPr", "rPr", "tblPr", "tblGrid", "trPr", "tcPr",
			"altChunk", "docPr", "fonts", "lists", "styles", "background", "fldData":
			return w.skip()
		}
	}
	if t.Name.Space == nsMC && t.Name.Local == "AlternateContent" {
		return w.alternate(func(c xml.StartElement) error { return w.blockContent(out) })
	}
	// w:body, w:sdt, w:sdtContent, w:customXml, w:ins, w:moveTo, Word 2003
	// wx:sect/wx:sub-section and the root itself: look inside.
	return w.blockContent(out)
}

// alternate reads mc:AlternateContent and follows exactly one branch, the
// first (mc:Choice); the others (mc:Fallback, usually VML copies of the
// same text box) are skipped so text is never doubled.
func (w *walker) alternate(follow func(xml.StartElement) error) error {
	taken := false
	return w.children(func(t xml.StartElement) error {
		if taken {
			return w.skip()
		}
		taken = true
		return follow(t)
	})
}

// paragraph reads a w:p. keep is false when its mark is a tracked deletion:
// its text then joins the next paragraph.
func (w *walker) paragraph() (text.Block, bool, error) {
	w.para = append(w.para[:0], w.carry...)
	w.carry = ""
	var props paraProps
	if err := w.inline(&props); err != nil {
		return text.Block{}, false, err
	}
	w.afterNoteMark = false
	s := string(w.para)
	if props.markDeleted {
		w.carry = s
		return text.Block{}, false, nil
	}
	if l := w.num.label(props); l != "" {
		s = l + s
	}
	*w.runes += int64(utf8.RuneCountInString(s))
	if *w.runes > w.maxRunes {
		return text.Block{}, false, fmt.Errorf("%w: more than %d characters of text", ErrTooLarge, w.maxRunes)
	}
	return text.Para(s), true, nil
}

// paraProps are the paragraph properties that matter for text.
type paraProps struct {
	style           string
	numID, ilvl     int
	hasNum, hasIlvl bool
	markDeleted     bool
}

func (w *walker) visible() bool { return w.hidden == 0 }

func (w *walker) add(s string) {
	if w.visible() && s != "" && w.noteGap(s) {
		w.para = append(w.para, s...)
	}
}

// noteGap is called before s is added to the paragraph and reports whether
// it is still to be added: right after a note's own mark, white space
// becomes exactly one space before the text.
func (w *walker) noteGap(s string) bool {
	if !w.afterNoteMark {
		return true
	}
	if strings.Trim(s, " \t") == "" {
		return false
	}
	w.afterNoteMark = false
	w.para = append(w.para, ' ')
	return true
}

// addText adds the characters of a w:t, through the run's symbol font.
func (w *walker) addText(s []byte) {
	if !w.visible() || len(s) == 0 {
		return
	}
	if w.runFont != (runFonts{}) {
		var b []byte
		for _, r := range string(s) {
			font := w.runFont.hAnsi
			if r < 0x80 {
				font = w.runFont.ascii
			}
			if m, ok := codepage.SymbolRune(font, r); ok && m != 0 {
				r = m
			}
			b = utf8.AppendRune(b, r)
		}
		s = b
	}
	if w.afterNoteMark {
		t := strings.TrimLeft(string(s), " \t")
		if t == "" {
			return
		}
		s = []byte(t)
	}
	w.add(string(s))
}

// inline reads the content of a paragraph (or of any element inside one)
// until the end of the current element.
func (w *walker) inline(props *paraProps) error {
	return w.children(func(t xml.StartElement) error {
		switch {
		case t.Name.Space == nsMC && t.Name.Local == "AlternateContent":
			return w.alternate(func(xml.StartElement) error { return w.inline(props) })
		case !isW(t.Name):
			// DrawingML, VML, wps: only a w:txbxContent inside matters.
			return w.inline(props)
		}
		return w.inlineW(t, props)
	})
}

func (w *walker) inlineW(t xml.StartElement, props *paraProps) error {
	switch t.Name.Local {
	case "t":
		return w.chars()
	case "tab", "ptab":
		w.add("\t")
	case "br":
		if typ, _ := attr(t, "type"); typ != "page" && typ != "column" {
			w.add("\n")
		}
	case "cr":
		w.add("\n")
	case "noBreakHyphen":
		w.add("\u2011")
	case "sym":
		// a symbol inserted from a font: its code in that font (F0B7 or
		// B7 in Symbol is "•")
		if c, ok := attr(t, "char"); ok {
			if v, err := strconv.ParseUint(c, 16, 32); err == nil && utf8.ValidRune(rune(v)) && v >= 0x20 {
				r := rune(v)
				font, _ := attr(t, "font")
				if m, ok := codepage.SymbolRune(font, r); ok && m != 0 {
					r = m
				}
				w.add(string(r))
			}
		}
	case "footnoteReference", "endnoteReference":
		w.add(w.notes.reference(t))
	case "footnoteRef", "endnoteRef":
		// the note's own mark, at the start of its text
		if mark := w.notes.mark(w.note); mark != "" {
			w.add(mark)
			w.afterNoteMark = true
		}
	case "r":
		saved := w.runFont
		w.runFont = runFonts{}
		err := w.inline(props)
		w.runFont = saved
		return err
	case "rPr":
		return w.rPr()
	case "instrText":
		return w.instrText()
	case "fldSimple":
		// a simple field: its runs are the result; without any, a
		// MACROBUTTON shows its display text
		before := len(w.para)
		if err := w.inline(props); err != nil {
			return err
		}
		if len(w.para) == before {
			instr, _ := attr(t, "instr")
			w.add(macroButtonText(instr))
		}
		return nil
	case "fldChar":
		switch typ, _ := attr(t, "fldCharType"); typ {
		case "begin":
			w.fields = append(w.fields, field{})
			w.hidden++
		case "separate":
			if n := len(w.fields); n > 0 && !w.fields[n-1].inResult {
				w.fields[n-1].inResult = true
				w.hidden--
			}
		case "end":
			if n := len(w.fields); n > 0 {
				f := w.fields[n-1]
				w.fields = w.fields[:n-1]
				if !f.inResult {
					w.hidden--
					w.add(macroButtonText(string(f.instr)))
				}
			}
		}
	case "pPr":
		return w.pPr(props)
	case "txbxContent":
		return w.textBox()
	case "p":
		// a paragraph inside a paragraph only occurs in broken files:
		// keep its text in line
		return w.inline(props)
	case "tbl":
		return w.skip()
	case "del", "moveFrom", "delText", "delInstrText", "rt", "sdtPr", "sdtEndPr",
		"fldData", "commentReference", "annotationRef",
		"separator", "continuationSeparator", "softHyphen", "lastRenderedPageBreak":
		return w.skip()
	default:
		// w:r, w:hyperlink, w:smartTag, w:customXml, w:ins, w:moveTo,
		// w:sdt, w:sdtContent, w:fldSimple (its runs are the result),
		// w:ruby/w:rubyBase, w:drawing, w:pict, w:object ...
		return w.inline(props)
	}
	return w.skip()
}

// chars appends the character data of a w:t.
func (w *walker) chars() error {
	for {
		tok, err := w.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.CharData:
			w.addText(t)
		case xml.StartElement:
			if err := w.skip(); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// instrText appends a w:instrText to the instruction of the innermost
// field while that field is still in its instruction.
func (w *walker) instrText() error {
	for {
		tok, err := w.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if n := len(w.fields); n > 0 && !w.fields[n-1].inResult && len(w.fields[n-1].instr)+len(t) <= maxInstr {
				w.fields[n-1].instr = append(w.fields[n-1].instr, t...)
			}
		case xml.StartElement:
			if err := w.skip(); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// macroButtonText is what Word shows for a field without a result: a
// MACROBUTTON field (template placeholders such as "[Click here]") shows
// its display text, the instruction after the macro name. Other fields
// without a result show nothing.
func macroButtonText(instr string) string {
	f := strings.TrimLeft(instr, " \t")
	name, rest, ok := cutWord(f)
	if !ok || !strings.EqualFold(name, "MACROBUTTON") {
		return ""
	}
	_, rest, ok = cutWord(strings.TrimLeft(rest, " \t"))
	if !ok {
		return ""
	}
	return strings.TrimLeft(rest, " \t")
}

// cutWord splits s at its first space or tab.
func cutWord(s string) (word, rest string, ok bool) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, "", s != ""
	}
	return s[:i], s[i:], true
}

// pPr reads the paragraph's style, numbering and a deleted mark.
func (w *walker) pPr(props *paraProps) error {
	depth := 0
	var inRPr bool
	for {
		tok, err := w.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if depth == 0 {
				return nil
			}
			depth--
			if isW(t.Name) && t.Name.Local == "rPr" {
				inRPr = false
			}
		case xml.StartElement:
			depth++
			if depth > maxDepth {
				return fmt.Errorf("%w: %s: elements nested deeper than %d", ErrMalformedXML, w.part, maxDepth)
			}
			if !isW(t.Name) {
				continue
			}
			v, _ := attr(t, "val")
			switch t.Name.Local {
			case "pStyle":
				props.style = v
			case "numId":
				props.numID, _ = strconv.Atoi(v)
				props.hasNum = true
			case "ilvl":
				props.ilvl, _ = strconv.Atoi(v)
				props.hasIlvl = true
			case "rPr":
				inRPr = true
			case "del":
				if inRPr {
					props.markDeleted = true
				}
			case "pPrChange", "rPrChange":
				// the properties before a tracked change: not current
				if err := w.skip(); err != nil {
					return err
				}
				depth--
			case "sectPr":
				// this paragraph ends a section: its headers, footers and
				// note numbering
				if err := w.sectPr(); err != nil {
					return err
				}
				depth--
			}
		}
	}
}

// rPr reads a run's properties: the fonts its direct formatting names, when
// they are symbol fonts (w:rFonts ascii and hAnsi; a font only a style sets
// is not seen, as in package msdoc). The properties before a tracked
// change (w:rPrChange) are not current.
func (w *walker) rPr() error {
	return w.children(func(t xml.StartElement) error {
		if isW(t.Name) && t.Name.Local == "rFonts" {
			ascii, _ := attr(t, "ascii")
			hAnsi, ok := attr(t, "hAnsi")
			if !ok {
				hAnsi = ascii // one font named for both, as some writers do
			}
			w.runFont = runFonts{}
			if codepage.IsSymbolFont(ascii) {
				w.runFont.ascii = ascii
			}
			if codepage.IsSymbolFont(hAnsi) {
				w.runFont.hAnsi = hAnsi
			}
		}
		return w.skip()
	})
}

// textBox reads a w:txbxContent into the text-box story, keeping the
// paragraph that anchors it intact.
func (w *walker) textBox() error {
	saved, carry := w.para, w.carry
	w.para, w.carry = nil, ""
	var blocks []text.Block
	err := w.blockContent(&blocks)
	w.para, w.carry = saved, carry
	w.textbox = append(w.textbox, blocks...)
	return err
}

func (w *walker) table() (*text.Table, error) {
	tbl := &text.Table{}
	err := w.tableContent(tbl)
	return tbl, err
}

// tableContent collects rows, also those wrapped in w:sdt or w:customXml.
func (w *walker) tableContent(tbl *text.Table) error {
	return w.children(func(t xml.StartElement) error {
		switch {
		case isW(t.Name) && t.Name.Local == "tr":
			row, deleted, err := w.row()
			if err != nil {
				return err
			}
			if len(row) > 0 && !deleted {
				tbl.Rows = append(tbl.Rows, row)
			}
			return nil
		case isW(t.Name) && (t.Name.Local == "sdt" || t.Name.Local == "sdtContent" || t.Name.Local == "customXml" ||
			t.Name.Local == "ins" || t.Name.Local == "moveTo"):
			return w.tableContent(tbl)
		}
		return w.skip()
	})
}

// row reads a w:tr; deleted reports a tracked row deletion.
func (w *walker) row() (text.Row, bool, error) {
	var row text.Row
	deleted := false
	var cells func(t xml.StartElement) error
	cells = func(t xml.StartElement) error {
		switch {
		case isW(t.Name) && t.Name.Local == "tc":
			var cell text.Cell
			if err := w.blockContent(&cell.Blocks); err != nil {
				return err
			}
			row = append(row, cell)
			return nil
		case isW(t.Name) && t.Name.Local == "trPr":
			d, err := w.containsDel()
			deleted = deleted || d
			return err
		case isW(t.Name) && (t.Name.Local == "sdt" || t.Name.Local == "sdtContent" || t.Name.Local == "customXml"):
			return w.children(cells)
		}
		return w.skip()
	}
	err := w.children(cells)
	return row, deleted, err
}

// containsDel reads an element and reports whether a w:del is a child.
func (w *walker) containsDel() (bool, error) {
	found := false
	depth := 0
	for {
		tok, err := w.token()
		if err != nil {
			return false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 && isW(t.Name) && t.Name.Local == "del" {
				found = true
			}
		case xml.EndElement:
			if depth == 0 {
				return found, nil
			}
			depth--
		}
	}
}

// sectPr notes the header and footer references of a section; Word 2003
// XML has the headers themselves inside.
func (w *walker) sectPr() error {
	var restart [2]bool
	err := w.children(func(t xml.StartElement) error {
		if !isW(t.Name) {
			return w.skip()
		}
		switch t.Name.Local {
		case "footnotePr", "endnotePr":
			kind := 0
			if t.Name.Local == "endnotePr" {
				kind = 1
			}
			return w.children(func(t xml.StartElement) error {
				if v, _ := attr(t, "val"); isW(t.Name) && t.Name.Local == "numRestart" && v == "eachSect" {
					restart[kind] = true
				}
				return w.skip()
			})
		case "headerReference", "footerReference":
			for _, a := range t.Attr {
				if a.Name.Local == "id" {
					w.hdrRefs = append(w.hdrRefs, headerRef{id: a.Value, footer: t.Name.Local == "footerReference"})
				}
			}
			return w.skip()
		case "hdr", "ftr":
			kind := text.Header
			if t.Name.Local == "ftr" {
				kind = text.Footer
			}
			var blocks []text.Block
			if err := w.blockContent(&blocks); err != nil {
				return err
			}
			w.inlineHF = append(w.inlineHF, text.Story{Kind: kind, Blocks: blocks})
			return nil
		}
		return w.skip()
	})
	w.notes.endSection(restart)
	return err
}
