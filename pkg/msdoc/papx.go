package msdoc

import (
	"sort"
)

// paraProps are the paragraph properties that give a document its table
// structure. Only these are read; formatting is of no use for text.
type paraProps struct {
	inTable   bool // sprmPFInTable
	ttp       bool // sprmPFTtp: the mark ends a table row
	itap      int  // sprmPItap: table nesting depth (0: use inTable)
	innerCell bool // sprmPFInnerTableCell: ends a cell of a nested table
	innerTtp  bool // sprmPFInnerTtp: ends a row of a nested table
	merged    []cellMerge
	// List membership: istd is the paragraph style; ilfo/ilvl come from the
	// paragraph itself or, when it has none, from its style.
	istd             uint16
	ilfo, ilvl       int
	hasIlfo, hasIlvl bool
}

// cellMerge is the horizontal-merge state of one cell, from the TC80 array
// of sprmTDefTable on a row-end mark.
type cellMerge struct{ first, merged bool }

func (p paraProps) depth() int {
	switch {
	case p.itap > 0:
		return p.itap
	case p.inTable:
		return 1
	}
	return 0
}

// Word 97 sprm opcodes ([MS-DOC] 2.6.2, 2.6.3).
const (
	sprmPFInTable        = 0x2416
	sprmPFTtp            = 0x2417
	sprmPItap            = 0x6649
	sprmPDtap            = 0x664A
	sprmPFInnerTableCell = 0x244B
	sprmPFInnerTtp       = 0x244C
	sprmTDefTable        = 0xD608
	sprmPChgTabs         = 0xC615
	sprmPIlvl            = 0x260A
	sprmPIlfo            = 0x460B
)

// papxRun gives the properties of paragraphs whose mark lies in FCs [a, b).
type papxRun struct {
	a, b  uint32
	props paraProps
}

// papxTable answers "which properties has the paragraph whose mark is at
// this FC". Runs are sorted by FC; gaps mean default properties.
type papxTable struct {
	runs []papxRun
}

func (t *papxTable) lookup(fc uint32) (paraProps, bool) {
	i := sort.Search(len(t.runs), func(i int) bool { return t.runs[i].b > fc })
	if i < len(t.runs) && t.runs[i].a <= fc {
		return t.runs[i].props, true
	}
	return paraProps{}, false
}

// endsParagraphRun reports whether the character at cp is the last of a
// PAPX run, i.e. where a paragraph mark belongs.
func (p *parser) endsParagraphRun(cp uint32) bool {
	fc, ok := fcOf(p.pieces, cp)
	next, ok2 := fcOf(p.pieces, cp+1)
	if !ok || !ok2 {
		return false
	}
	i := sort.Search(len(p.papx.runs), func(i int) bool { return p.papx.runs[i].b > fc })
	return i < len(p.papx.runs) && p.papx.runs[i].a <= fc && p.papx.runs[i].b == next
}

const fkpSize = 512

// parsePapx reads PlcfBtePapx (from tbl) and the PAPX FKP pages it points to
// (in wd). Word 97 only: Word 6/95 sprms have a different encoding, and
// those files fall back to the mark-based table heuristic.
func parsePapx(wd, plc []byte) *papxTable {
	t := &papxTable{}
	if len(plc) < 8 {
		return t
	}
	n := (len(plc) - 4) / 8
	seen := make(map[uint32]bool, n)
	for i := 0; i < n; i++ {
		pn, _ := u32(plc, 4*(n+1)+4*i)
		pn &= 0x3FFFFF
		if seen[pn] {
			continue
		}
		seen[pn] = true
		off := int64(pn) * fkpSize
		if off+fkpSize > int64(len(wd)) {
			continue
		}
		t.addPage(wd[off : off+fkpSize])
	}
	sort.Slice(t.runs, func(i, j int) bool { return t.runs[i].a < t.runs[j].a })
	return t
}

func (t *papxTable) addPage(page []byte) {
	crun := int(page[fkpSize-1])
	const bxSize = 13 // BxPap: bOffset + 12-byte PHE
	if 4*(crun+1)+bxSize*crun > fkpSize-1 {
		return
	}
	for i := 0; i < crun; i++ {
		a, _ := u32(page, 4*i)
		b, _ := u32(page, 4*i+4)
		if b <= a {
			continue
		}
		run := papxRun{a: a, b: b}
		if bOff := int(page[4*(crun+1)+bxSize*i]) * 2; bOff > 0 && bOff < fkpSize-1 {
			if g, ok := papxGrpprl(page, bOff); ok && len(g) >= 2 {
				run.props = readParaSprms(g[2:])
				run.props.istd = uint16(g[0]) | uint16(g[1])<<8
			}
		}
		t.runs = append(t.runs, run)
	}
}

// papxGrpprl returns istd+grpprl of the PapxInFkp at off.
func papxGrpprl(page []byte, off int) ([]byte, bool) {
	cb := int(page[off])
	start, n := off+1, 2*cb-1
	if cb == 0 {
		if off+1 >= len(page) {
			return nil, false
		}
		start, n = off+2, 2*int(page[off+1])
	}
	if n < 0 || start+n > len(page) {
		return nil, false
	}
	return page[start : start+n], true
}

func readParaSprms(g []byte) paraProps {
	var p paraProps
	walkSprms(g, func(op uint16, arg []byte) {
		switch op {
		case sprmPFInTable:
			p.inTable = arg[0] != 0
		case sprmPFTtp:
			p.ttp = arg[0] != 0
		case sprmPItap:
			if v, ok := u32(arg, 0); ok && v < 64 {
				p.itap = int(v)
			}
		case sprmPDtap:
			if v, ok := u32(arg, 0); ok {
				if d := p.itap + int(int32(v)); d >= 0 && d < 64 {
					p.itap = d
				}
			}
		case sprmPFInnerTableCell:
			p.innerCell = arg[0] != 0
		case sprmPFInnerTtp:
			p.innerTtp = arg[0] != 0
		case sprmTDefTable:
			p.merged = readTDefTable(arg)
		case sprmPIlfo:
			p.ilfo, p.hasIlfo = int(int16(uint16(arg[0])|uint16(arg[1])<<8)), true
		case sprmPIlvl:
			p.ilvl, p.hasIlvl = int(arg[0]), true
		}
	})
	return p
}

// walkSprms calls fn for each sprm of a Word 97 grpprl with its operand;
// the operand size comes from the spra bits, with the two documented
// exceptions. A truncated sprm ends the walk.
func walkSprms(g []byte, fn func(op uint16, arg []byte)) {
	for len(g) >= 2 {
		op := uint16(g[0]) | uint16(g[1])<<8
		g = g[2:]
		var n int
		switch op >> 13 {
		case 0, 1:
			n = 1
		case 2, 4, 5:
			n = 2
		case 3:
			n = 4
		case 7:
			n = 3
		case 6:
			switch {
			case op == sprmTDefTable && len(g) >= 2:
				// cb counts the bytes after it, plus one.
				n = int(uint16(g[0])|uint16(g[1])<<8) + 1
			case op == sprmPChgTabs && len(g) >= 2 && g[0] == 255:
				del := int(g[1])
				n = 2 + 4*del
				if n < len(g) {
					n += 1 + 3*int(g[n])
				}
			case len(g) >= 1:
				n = 1 + int(g[0])
			default:
				return
			}
		}
		if n > len(g) {
			return
		}
		fn(op, g[:n])
		g = g[n:]
	}
}

// readTDefTable reads the horizontal-merge flags of each cell from a
// TDefTableOperand: cb(2), itcMac(1), rgdxaCenter[itcMac+1](2 each),
// rgTc80[itcMac](20 each; tcgrf bit 0 fFirstMerged, bit 1 fMerged).
func readTDefTable(arg []byte) []cellMerge {
	if len(arg) < 3 {
		return nil
	}
	itc := int(arg[2])
	tcs := 3 + 2*(itc+1)
	var m []cellMerge
	for i := 0; i < itc; i++ {
		off := tcs + 20*i
		if off+2 > len(arg) {
			break // writers may omit trailing TCs
		}
		flags := arg[off]
		m = append(m, cellMerge{first: flags&1 != 0, merged: flags&2 != 0})
	}
	return m
}
