package docx

import (
	"fmt"
	"io"

	"github.com/policytext/policytext/pkg/text"
)

// Extract reads a WordprocessingML package (.docx, .docm, .dotx) of the
// given size from r. It does no other I/O, never panics, and inflates at
// most Options.MaxTotalBytes. Errors wrap one of the package's sentinels.
func Extract(r io.ReaderAt, size int64, opt Options) (doc *text.Document, err error) {
	opt = opt.withDefaults()
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, fmt.Errorf("%w: internal parser failure: %v", ErrCorrupt, p)
		}
	}()
	if size <= 0 {
		return nil, ErrEmpty
	}
	p, err := openPackage(r, size, opt)
	if err != nil {
		return nil, err
	}
	main, err := p.mainPart()
	if err != nil {
		return nil, err
	}
	rels, err := p.rels(main)
	if err != nil {
		return nil, err
	}
	target := func(kind string) string {
		for _, r := range rels {
			if relType(r.typ, kind) && !r.external && p.files[r.target] != nil {
				return r.target
			}
		}
		return ""
	}
	num, err := p.readNumbering(target("numbering"), target("styles"))
	if err != nil {
		return nil, err
	}

	notes := newNotes()
	if part := target("settings"); part != "" {
		rc, err := p.open(part)
		if err != nil {
			return nil, err
		}
		err = notes.readSettings(rc, part)
		rc.Close()
		if err != nil {
			return nil, err
		}
	}

	var runes int64
	content, err := p.mainContent(main)
	if err != nil {
		return nil, err
	}
	w := newWalker(content, main, num, &runes, opt.MaxTextRunes)
	w.root = "document"
	w.notes = notes
	body, err := w.document()
	content.Close()
	if err != nil {
		return nil, err
	}
	doc = &text.Document{Format: "docx", Version: "Office Open XML", Stories: []text.Story{{Kind: text.Main, Blocks: body}}}

	// Headers and footers in the order the sections name them, each part
	// once.
	byID := map[string]string{}
	for _, r := range rels {
		byID[r.id] = r.target
	}
	seen := map[string]bool{}
	for _, ref := range w.hdrRefs {
		part := byID[ref.id]
		if part == "" || seen[part] || p.files[part] == nil {
			continue
		}
		seen[part] = true
		kind := text.Header
		if ref.footer {
			kind = text.Footer
		}
		if err := p.addStory(doc, kind, part, num, notes, &runes); err != nil {
			return nil, err
		}
	}
	for _, s := range []struct {
		kind text.StoryKind
		rel  string
	}{{text.Footnote, "footnotes"}, {text.Endnote, "endnotes"}, {text.Comment, "comments"}} {
		if part := target(s.rel); part != "" {
			if err := p.addStory(doc, s.kind, part, num, notes, &runes); err != nil {
				return nil, err
			}
		}
	}
	if len(w.textbox) > 0 {
		doc.Stories = append(doc.Stories, text.Story{Kind: text.TextBox, Blocks: w.textbox})
	}
	return doc, nil
}

// addStory walks a header, footer, notes or comments part. Notes parts
// hold separator notes (w:type="separator", ...) that are not text.
func (p *pkg) addStory(doc *text.Document, kind text.StoryKind, part string, num *numbering, notes *notes, runes *int64) error {
	rc, err := p.open(part)
	if err != nil {
		return err
	}
	defer rc.Close()
	w := newWalker(rc, part, num, runes, p.opt.MaxTextRunes)
	w.skipSeparatorNotes = true
	w.notes = notes
	blocks, err := w.document()
	if err != nil {
		return err
	}
	// A text box in a header is header material (as in .doc, where header
	// text boxes have their own story range next to the headers').
	if text.HasText(blocks) {
		doc.Stories = append(doc.Stories, text.Story{Kind: kind, Blocks: blocks})
	}
	if text.HasText(w.textbox) {
		boxKind := text.TextBox
		if kind == text.Header || kind == text.Footer {
			boxKind = kind
		}
		doc.Stories = append(doc.Stories, text.Story{Kind: boxKind, Blocks: w.textbox})
	}
	return nil
}

func (p *pkg) readNumbering(numPart, stylesPart string) (*numbering, error) {
	var num, styles io.ReadCloser
	var err error
	if numPart != "" {
		if num, err = p.open(numPart); err != nil {
			return nil, err
		}
		defer num.Close()
	}
	if stylesPart != "" {
		if styles, err = p.open(stylesPart); err != nil {
			return nil, err
		}
		defer styles.Close()
	}
	var nr, sr io.Reader
	if num != nil {
		nr = num
	}
	if styles != nil {
		sr = styles
	}
	return readNumbering(nr, sr, numPart, stylesPart)
}

// ExtractWordML reads a Word 2003 XML document (the single-file
// <w:wordDocument> format; Word saves it with a .xml or .doc name). Its
// elements are those of .docx in another namespace; headers and footers sit
// inside w:sectPr. List labels are not rendered (its w:lists differ).
func ExtractWordML(r io.ReaderAt, size int64, opt Options) (doc *text.Document, err error) {
	opt = opt.withDefaults()
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, fmt.Errorf("%w: internal parser failure: %v", ErrCorrupt, p)
		}
	}()
	switch {
	case size <= 0:
		return nil, ErrEmpty
	case size > opt.MaxPartBytes:
		return nil, fmt.Errorf("%w: file is %d bytes, limit %d", ErrTooLarge, size, opt.MaxPartBytes)
	}
	var runes int64
	w := newWalker(io.NewSectionReader(r, 0, size), "Word 2003 XML", nil, &runes, opt.MaxTextRunes)
	w.root = "wordDocument"
	body, err := w.document()
	if err != nil {
		return nil, err
	}
	doc = &text.Document{Format: "wordml", Version: "Word 2003 XML", Stories: []text.Story{{Kind: text.Main, Blocks: body}}}
	doc.Stories = append(doc.Stories, w.inlineHF...)
	if len(w.textbox) > 0 {
		doc.Stories = append(doc.Stories, text.Story{Kind: text.TextBox, Blocks: w.textbox})
	}
	return doc, nil
}
