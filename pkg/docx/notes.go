package docx

import (
	"encoding/xml"
	"io"
	"strconv"

	"github.com/policytext/policytext/pkg/text"
)

// noteRef names one footnote or endnote of the notes parts.
type noteRef struct {
	endnote bool
	id      string
}

// notes numbers footnote and endnote reference marks (text package doc,
// "Note reference marks"): each w:footnoteReference/w:endnoteReference of
// the body takes the next number of its kind, in the document's format
// from settings.xml (w:footnotePr/w:endnotePr: w:numFmt, w:numStart;
// Word's defaults are 1, 2, 3 and i, ii, iii). A reference with
// w:customMarkFollows takes no number: the run after it is the mark, and
// the note's own text starts with the same characters typed. The notes
// parts then print each note's number where its w:footnoteRef/w:endnoteRef
// stands. Numbering that restarts with each section (w:numRestart
// "eachSect", in settings.xml or in the section's own properties) starts
// again after each section break; numbering that restarts on each page
// needs a layout and is numbered as continuous. The section's own w:numFmt
// and w:numStart, which follow its text, are not read (in the public
// corpus they always repeat settings.xml's).
type notes struct {
	kinds [2]noteKind // footnotes, endnotes
	marks map[noteRef]string
}

type noteKind struct {
	format      string
	start, next int
	eachSect    bool // restart with each section (settings.xml)
}

func newNotes() *notes {
	return &notes{kinds: [2]noteKind{{format: "decimal", start: 1, next: 1}, {format: "lowerRoman", start: 1, next: 1}},
		marks: map[noteRef]string{}}
}

// maxNoteMarks bounds the marks remembered (one per reference).
const maxNoteMarks = 1 << 20

// reference returns the mark a w:footnoteReference/w:endnoteReference
// shows in the text, and remembers it for the note.
func (n *notes) reference(t xml.StartElement) string {
	if n == nil {
		return ""
	}
	ref := noteRef{endnote: t.Name.Local == "endnoteReference"}
	ref.id, _ = attr(t, "id")
	if v, ok := attr(t, "customMarkFollows"); ok && onOff(v) {
		n.marks[ref] = ""
		return ""
	}
	k := &n.kinds[0]
	if ref.endnote {
		k = &n.kinds[1]
	}
	mark := text.FormatNumber(k.next, k.format)
	k.next++
	if len(n.marks) < maxNoteMarks {
		n.marks[ref] = mark
	}
	return mark
}

// mark returns the number of a note as its reference showed it ("" for a
// custom mark or a note the text never refers to).
func (n *notes) mark(ref noteRef) string {
	if n == nil {
		return ""
	}
	return n.marks[ref]
}

// onOff reads an ST_OnOff value.
func onOff(v string) bool { return v != "0" && v != "false" && v != "off" }

// xmlSettings is what settings.xml says about note numbering.
type xmlSettings struct {
	Footnote *xmlNotePr `xml:"footnotePr"`
	Endnote  *xmlNotePr `xml:"endnotePr"`
}

type xmlNotePr struct {
	NumFmt     *xmlVal `xml:"numFmt"`
	NumStart   *xmlVal `xml:"numStart"`
	NumRestart *xmlVal `xml:"numRestart"`
}

// readSettings applies settings.xml (r may be nil) to the note numbering.
func (n *notes) readSettings(r io.Reader, name string) error {
	if r == nil {
		return nil
	}
	var x xmlSettings
	if err := decodePart(r, name, &x); err != nil {
		return err
	}
	for i, pr := range []*xmlNotePr{x.Footnote, x.Endnote} {
		if pr == nil {
			continue
		}
		if pr.NumFmt != nil && pr.NumFmt.Val != "" {
			n.kinds[i].format = pr.NumFmt.Val
		}
		if pr.NumStart != nil {
			if v, err := strconv.Atoi(pr.NumStart.Val); err == nil && v >= 0 && v < 1<<20 {
				n.kinds[i].start, n.kinds[i].next = v, v
			}
		}
		n.kinds[i].eachSect = pr.NumRestart != nil && pr.NumRestart.Val == "eachSect"
	}
	return nil
}

// endSection is called at each section break (w:sectPr); restart says
// which kinds the section itself restarts with each section.
func (n *notes) endSection(restart [2]bool) {
	if n == nil {
		return
	}
	for i := range n.kinds {
		if k := &n.kinds[i]; k.eachSect || restart[i] {
			k.next = k.start
		}
	}
}
