package msdoc

import (
	"sort"

	"github.com/policytext/policytext/pkg/text"
)

// Footnote and endnote reference marks ([MS-DOC] 2.8.x PlcffndRef,
// PlcffndTxt, FRD; 2.7.x Dop; 2.6.4 section sprms). Word does not store the
// number of an automatically numbered note: the text has a 0x02 character
// at the reference in the body and another at the start of the note's own
// text, and Word numbers the notes in document order from the document's
// (or the section's) settings. A note with a custom mark stores the mark's
// characters instead, and takes no number.

const (
	fcPlcffndRef = 2
	fcPlcffndTxt = 3
	fcDop        = 31
	fcPlcfendRef = 46
	fcPlcfendTxt = 47

	// Section sprms that override the document's note numbering (Word
	// 2002 and later write them).
	sprmSRncFtn    = 0x303C
	sprmSNFtn      = 0x503F
	sprmSNfcFtnRef = 0x5040
	sprmSRncEdn    = 0x303E
	sprmSNEdn      = 0x5041
	sprmSNfcEdnRef = 0x5042

	// Restart codes (rnc).
	rncContinue = 0
	rncSection  = 1
	rncPage     = 2

	// maxNotes bounds the notes numbered per kind; a PLC cannot hold more
	// than its bytes allow anyway.
	maxNotes = 1 << 20
)

// noteNumbering is how one kind of note is numbered: restart code, first
// number and number format (an nfc code).
type noteNumbering struct {
	rnc, start int
	nfc        byte
}

// noteKind holds the marks of one kind of note.
type noteKind struct {
	// refCPs are the CPs of the references in the main text, labels their
	// marks ("" for a custom mark, which is ordinary text).
	refCPs []uint32
	labels []string
	// txtCPs start each note's text, relative to the start of the note
	// story (one more entry than notes: the end of the last note).
	txtCPs []uint32
}

// notes numbers both kinds of note.
type notes struct {
	foot, end noteKind
	// bodyLabels maps the CP of a 0x02 in the main text to its mark.
	bodyLabels map[uint32]string
}

// readNotes numbers the notes of a document. sections are the CPs where
// sections start (first 0).
func (p *parser) readNotes(sections []uint32) *notes {
	ftn, edn := p.noteDefaults()
	n := &notes{bodyLabels: map[uint32]string{}}
	n.foot = p.readNoteKind(fcPlcffndRef, fcPlcffndTxt, ftn, sections, func(s *noteNumbering, op uint16, arg []byte) {
		switch op {
		case sprmSRncFtn:
			s.rnc = int(arg[0])
		case sprmSNFtn:
			s.start = int(uint16(arg[0]) | uint16(arg[1])<<8)
		case sprmSNfcFtnRef:
			s.nfc = arg[0]
		}
	})
	n.end = p.readNoteKind(fcPlcfendRef, fcPlcfendTxt, edn, sections, func(s *noteNumbering, op uint16, arg []byte) {
		switch op {
		case sprmSRncEdn:
			s.rnc = int(arg[0])
		case sprmSNEdn:
			s.start = int(uint16(arg[0]) | uint16(arg[1])<<8)
		case sprmSNfcEdnRef:
			s.nfc = arg[0]
		}
	})
	for _, k := range []*noteKind{&n.foot, &n.end} {
		for i, cp := range k.refCPs {
			if k.labels[i] != "" {
				n.bodyLabels[cp] = k.labels[i]
			}
		}
	}
	if len(n.bodyLabels) == 0 {
		return nil
	}
	return n
}

// noteDefaults reads the document's note numbering from the Dop; without
// one, Word's defaults: footnotes 1, 2, 3, endnotes i, ii, iii, never
// restarting.
func (p *parser) noteDefaults() (ftn, edn noteNumbering) {
	ftn = noteNumbering{rnc: rncContinue, start: 1, nfc: 0}
	edn = noteNumbering{rnc: rncContinue, start: 1, nfc: 2}
	dop := p.plc(fcDop)
	if len(dop) < 56 {
		return ftn, edn
	}
	w2, _ := u16(dop, 2)
	w52, _ := u16(dop, 52)
	w54, _ := u16(dop, 54)
	ftn = noteNumbering{rnc: int(w2 & 3), start: int(w2 >> 2), nfc: byte(w54 >> 2 & 0x0F)}
	edn = noteNumbering{rnc: int(w52 & 3), start: int(w52 >> 2), nfc: byte(w54 >> 6 & 0x0F)}
	// The Word 97 Dop repeats both formats in full width at 492 and 494;
	// writers keep the 4-bit copies only loosely in step, so the full ones
	// win where present.
	if !p.fib.word6 && len(dop) >= 496 {
		f, _ := u16(dop, 492)
		e, _ := u16(dop, 494)
		ftn.nfc, edn.nfc = byte(f), byte(e)
	}
	return ftn, edn
}

// readNoteKind reads one kind's references and note starts and numbers the
// automatic ones. sectionSprm applies a section's overriding sprm.
func (p *parser) readNoteKind(refIndex, txtIndex int, doc noteNumbering, sections []uint32,
	sectionSprm func(*noteNumbering, uint16, []byte)) noteKind {
	var k noteKind
	ref := p.plc(refIndex)
	const frdSize = 2
	n := (len(ref) - 4) / (4 + frdSize)
	if n <= 0 || n > maxNotes {
		return k
	}
	k.refCPs = make([]uint32, n)
	k.labels = make([]string, n)
	auto := make([]bool, n)
	for i := 0; i < n; i++ {
		k.refCPs[i], _ = u32(ref, 4*i)
		frd, _ := u16(ref, 4*(n+1)+frdSize*i)
		auto[i] = int16(frd) != 0 // nAuto: 0 for a custom mark
	}
	if txt := p.plc(txtIndex); len(txt) >= 8 {
		m := min(len(txt)/4, n+1)
		k.txtCPs = make([]uint32, m)
		for i := range k.txtCPs {
			k.txtCPs[i], _ = u32(txt, 4*i)
		}
	}
	perSection := p.sectionNoteNumbering(doc, len(sections), sectionSprm)
	number, sec := 0, -1
	for i, cp := range k.refCPs {
		s := sort.Search(len(sections), func(j int) bool { return sections[j] > cp }) - 1
		num := perSection[max(s, 0)]
		if s != sec {
			// Page restarts need a layout this reader does not make; such
			// notes are numbered as if they never restarted.
			if sec < 0 || num.rnc == rncSection {
				number = num.start
			}
			sec = s
		}
		if !auto[i] {
			continue
		}
		k.labels[i] = text.FormatNumber(number, nfcName(num.nfc))
		number++
	}
	return k
}

// sectionNoteNumbering returns each section's numbering: the document's,
// changed by the section's own sprms (Word 97 sections only; Word 6 sprms
// have another encoding, and Word 6 had no per-section numbering).
func (p *parser) sectionNoteNumbering(doc noteNumbering, count int, apply func(*noteNumbering, uint16, []byte)) []noteNumbering {
	out := make([]noteNumbering, max(count, 1))
	for i := range out {
		out[i] = doc
	}
	sed := p.plc(fcPlcfSed)
	if p.fib.word6 || len(sed) < 4 {
		return out
	}
	n := (len(sed) - 4) / (4 + 12)
	for i := 0; i < n && i < len(out); i++ {
		fcSepx, _ := u32(sed, 4*(n+1)+12*i+2)
		cb, ok := u16(p.wd, int(fcSepx))
		if fcSepx == 0xFFFFFFFF || !ok || int(fcSepx)+2+int(cb) > len(p.wd) {
			continue
		}
		walkSprms(p.wd[fcSepx+2:int(fcSepx)+2+int(cb)], func(op uint16, arg []byte) {
			apply(&out[i], op, arg)
		})
	}
	return out
}

// noteMark returns the mark of the 0x02 at cp in a story of the given kind
// that starts at base: in the main text the reference's, in a note story
// the note's own (opens is true when the mark opens the note's text). ""
// when cp is no automatic note mark.
func (n *notes) noteMark(kind text.StoryKind, base, cp uint32) (mark string, opens bool) {
	if n == nil {
		return "", false
	}
	var k *noteKind
	switch kind {
	case text.Main:
		return n.bodyLabels[cp], false
	case text.Footnote:
		k = &n.foot
	case text.Endnote:
		k = &n.end
	default:
		return "", false
	}
	rel := cp - base
	i := sort.Search(len(k.txtCPs), func(i int) bool { return k.txtCPs[i] > rel }) - 1
	if i < 0 || i >= len(k.labels) {
		return "", false
	}
	return k.labels[i], rel == k.txtCPs[i]
}
