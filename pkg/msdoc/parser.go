package msdoc

import (
	"cmp"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/policytext/policytext/pkg/codepage"

	"github.com/policytext/policytext/pkg/text"
)

type parser struct {
	opt    Options
	wd     []byte // WordDocument stream
	tbl    []byte // 0Table/1Table (Word 97) or WordDocument (Word 6/95)
	fib    *fib
	pieces []piece
	dec    textDecoder
	papx   *papxTable
	// sectionEnds holds the CPs of section marks: a 0x0C there ends a
	// paragraph, anywhere else it is a page break and produces nothing.
	sectionEnds map[uint32]bool
	chars       charRuns  // tracked deletions and symbol runs, by FC
	fonts       []string  // font names by ftc (SttbfFfn)
	lists       *listInfo // nil when the document has no lists
	notes       *notes    // nil when no note has an automatic mark
	runes       int64
	// warnings: damage recovered from (text.Document.Warnings); tblCut:
	// the table stream lost its tail to a broken sector chain.
	warnings []string
	tblCut   bool
}

func newParser(s *rootStreams, opt Options) (*parser, error) {
	f, err := parseFIB(s.wordDocument)
	if err != nil {
		return nil, err
	}
	p := &parser{opt: opt, wd: s.wordDocument, fib: f, dec: textDecoder{ansi: codepage.CP1252()}, papx: &papxTable{},
		warnings: append([]string(nil), s.damage...)}
	if f.word6 {
		p.tbl = s.wordDocument
		p.tblCut = s.truncated["worddocument"]
		p.dec = p.word6Decoder()
	} else {
		// fWhichTblStm picks the table stream; a file that lacks the named
		// one is corrupt (the other one, if any, is stale).
		want, has, name := s.table0, s.has0, "0Table"
		if f.flags&flagWhichTblStm != 0 {
			want, has, name = s.table1, s.has1, "1Table"
		}
		if !has {
			return nil, fmt.Errorf("%w: FIB names table stream %s, which is missing", ErrCorrupt, name)
		}
		p.tbl = want
		p.tblCut = s.truncated[strings.ToLower(name)]
	}
	if err := p.readPieces(); err != nil {
		return nil, err
	}
	if s.truncated["worddocument"] {
		if err := p.clipPieces(); err != nil {
			return nil, err
		}
	}
	if !f.word6 {
		p.papx = parsePapx(p.wd, p.plc(fcPlcfBtePapx))
		p.fonts = p.readFonts()
		p.chars = parseCharRuns(p.wd, p.plc(fcPlcfBteChpx), p.fonts)
		p.lists = p.readLists()
	}
	p.sectionEnds = map[uint32]bool{}
	sections := []uint32{0}
	if sed := p.plc(fcPlcfSed); len(sed) >= 4 {
		// PlcfSed: n+1 CPs then n 12-byte SEDs; a section's last CP holds
		// its mark.
		n := (len(sed) - 4) / (4 + 12)
		for i := 1; i <= n; i++ {
			if cp, ok := u32(sed, 4*i); ok && cp > 0 {
				p.sectionEnds[cp-1] = true
				if i < n && cp > sections[len(sections)-1] {
					sections = append(sections, cp)
				}
			}
		}
	}
	p.notes = p.readNotes(sections)
	return p, nil
}

// plc returns the bytes of a structure in the table stream, nil when absent
// or out of bounds (optional structures never fail a document).
func (p *parser) plc(index int) []byte {
	fc, lcb := p.fib.fcLcb(p.wd, index)
	if lcb == 0 || uint64(fc)+uint64(lcb) > uint64(len(p.tbl)) {
		return nil
	}
	return p.tbl[fc : fc+lcb]
}

func (p *parser) totalCP() uint64 {
	var n uint64
	for _, c := range p.fib.ccp {
		n += uint64(c)
	}
	return n
}

func (p *parser) readPieces() error {
	f := p.fib
	fc, lcb := f.fcLcb(p.wd, fcClx)
	useClx := lcb > 0 && (!f.word6 || f.flags&flagComplex != 0)
	var word6 *pieceEncoding
	enc := encANSI
	if f.word6 {
		// Word 6/95 marks no piece as 8- or 16-bit; the FIB's fExtChar
		// says it for the whole file (LibreOffice's WW8Cp2Fc, wv's
		// wvGetCLX do the same).
		if f.flags&flagExtChar != 0 {
			enc = encWide6
		}
		word6 = &enc
	}
	if useClx && uint64(fc)+uint64(lcb) > uint64(len(p.tbl)) && p.tblCut {
		// The piece table went with the lost part of a damaged table
		// stream. Read the text as Word stored it before any fast save, one
		// run from fcMin, as LibreOffice does for a file without a Clx;
		// fcMac says whether that run is 8- or 16-bit.
		total := p.totalCP()
		if uint64(f.fcMac) >= uint64(f.fcMin)+2*total && !f.word6 {
			enc = encUTF16
		}
		if total*uint64(enc.width()) > uint64(len(p.wd)) {
			return fmt.Errorf("%w: piece table lost and the text of %d characters does not fit the WordDocument stream", ErrCorrupt, total)
		}
		p.pieces = []piece{{cpStart: 0, cpEnd: uint32(total), fc: f.fcMin, enc: enc}}
		p.warnings = append(p.warnings, fmt.Sprintf("piece table (fc %d) lost with the table stream: text read as one run from fcMin %d", fc, f.fcMin))
		return nil
	}
	if useClx {
		if uint64(fc)+uint64(lcb) > uint64(len(p.tbl)) {
			return fmt.Errorf("%w: piece table (fc %d, lcb %d) lies outside the %d-byte table stream", ErrCorrupt, fc, lcb, len(p.tbl))
		}
		pieces, err := parsePieceTable(p.tbl[fc:fc+lcb], word6)
		if err != nil {
			return err
		}
		p.pieces = pieces
		return nil
	}
	// No piece table: the text is one run from fcMin (Word 6/95
	// non-complex files; LibreOffice does the same for Word 97, 8-bit).
	total := p.totalCP()
	if total*uint64(enc.width()) > uint64(len(p.wd)) {
		return fmt.Errorf("%w: text of %d characters does not fit the WordDocument stream", ErrCorrupt, total)
	}
	p.pieces = []piece{{cpStart: 0, cpEnd: uint32(total), fc: f.fcMin, enc: enc}}
	return nil
}

// clipPieces drops the text a damaged WordDocument stream no longer holds:
// each piece keeps the characters whose bytes are still there, and the CPs
// beyond read as nothing (LibreOffice swallows such ranges too). The
// stories keep their CP boundaries, so what survives stays in place. A
// stream that kept no text at all is an error.
func (p *parser) clipPieces() error {
	kept := p.pieces[:0]
	var lost uint64
	for _, pc := range p.pieces {
		w := uint64(pc.enc.width())
		avail := uint64(0)
		if uint64(pc.fc) < uint64(len(p.wd)) {
			avail = (uint64(len(p.wd)) - uint64(pc.fc)) / w
		}
		if n := uint64(pc.cpEnd - pc.cpStart); avail < n {
			lost += n - avail
			pc.cpEnd = pc.cpStart + uint32(avail)
		}
		if pc.cpEnd > pc.cpStart {
			kept = append(kept, pc)
		}
	}
	p.pieces = kept
	if len(kept) == 0 {
		return fmt.Errorf("%w: the text lies in the lost part of the WordDocument stream", ErrCorrupt)
	}
	if lost > 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("%d characters lie in the lost part of the WordDocument stream and are missing", lost))
	}
	return nil
}

// readFonts returns the font names of SttbfFfn, by ftc: an STTB (cData,
// cbExtra) of FFNs, each cbFfnM1 then 39 bytes of metrics and the UTF-16
// name (Word 97; Word 6/95 fonts are not read, their text has no symbol
// runs this package maps).
func (p *parser) readFonts() []string {
	b := p.plc(fcSttbfFfn)
	count, ok := u16(b, 0)
	if !ok || count > 0x7FFF {
		return nil
	}
	fonts := make([]string, 0, min(int(count), len(b)/40))
	for pos := 4; pos < len(b) && len(fonts) < int(count); {
		end := min(pos+int(b[pos])+1, len(b))
		ffn := b[pos:end]
		name := []uint16{}
		for i := 40; i+1 < len(ffn); i += 2 {
			c := uint16(ffn[i]) | uint16(ffn[i+1])<<8
			if c == 0 {
				break
			}
			name = append(name, c)
		}
		fonts = append(fonts, string(utf16.Decode(name)))
		pos = end
	}
	return fonts
}

// word6Decoder finds the code pages of a Word 6/95 document's 8-bit text.
// Runs name their font, and the font its charset; this reader keeps one
// code page per document, chosen from the file:
//
//   - ANSI text: the first font whose charset names a code page (as POI
//     does; Chinese Word 95 files name GB2312 there), the Macintosh
//     character set when a font says MAC_CHARSET or the FIB's chse says
//     256 (Word 6 for the Macintosh), else the FIB language.
//   - Files with fExtChar (16-bit pieces, Far East builds) keep their
//     double-byte characters as pairs in the first Far East charset of the
//     font table, so the single-byte text takes the first other charset,
//     else the FIB language when it is not a Far East one, else cp1252.
func (p *parser) word6Decoder() textDecoder {
	var first, farEast, single int
	if ffn := p.plc(fcSttbfFfn); len(ffn) > 2 {
		pos := 2 // u16 total size, then FFNs each prefixed with cbFfnM1
		for pos+5 <= len(ffn) {
			cp := charsetCodePage(ffn[pos+4])
			switch {
			case cp == 0:
			case codepage.IsDoubleByteCodePage(cp):
				farEast = cmp.Or(farEast, cp)
			default:
				single = cmp.Or(single, cp)
			}
			first = cmp.Or(first, cp)
			pos += int(ffn[pos]) + 1
		}
	}
	mac := 0
	if p.fib.chse == chseMacRom {
		mac = codepage.MacRoman
	}
	lid := codepage.FromLID(p.fib.lid)
	if p.fib.flags&flagExtChar == 0 {
		return textDecoder{ansi: codepage.New(cmp.Or(first, mac, lid))}
	}
	if codepage.IsDoubleByteCodePage(lid) {
		farEast = cmp.Or(farEast, lid)
		lid = 0
	}
	d := textDecoder{ansi: codepage.New(cmp.Or(single, mac, lid, 1252))}
	if farEast != 0 {
		d.farEast = codepage.New(farEast)
	}
	return d
}

// charsetCodePage maps an FFN charset to a code page, 0 when it names none
// (ANSI, DEFAULT, SYMBOL, OEM); MAC_CHARSET (77) is Mac Roman.
func charsetCodePage(chs byte) int {
	if chs == 77 {
		return codepage.MacRoman
	}
	return codepage.FromCharset(int(chs))
}

// document builds every story, main text first.
func (p *parser) document() (*text.Document, error) {
	doc := &text.Document{Format: "doc", Version: p.fib.version(), Warnings: p.warnings}
	c := p.fib.ccp
	var start [numCcp + 1]uint32
	for i := 0; i < numCcp; i++ {
		start[i+1] = start[i] + c[i]
	}
	last := uint32(0)
	if n := len(p.pieces); n > 0 {
		last = p.pieces[n-1].cpEnd
	}
	clamp := func(x uint32) uint32 { return min(x, last) }

	main, err := p.story(text.Main, 0, clamp(c[ccpText]))
	if err != nil {
		return nil, err
	}
	doc.Stories = append(doc.Stories, main)
	add := func(kind text.StoryKind, from, to uint32) error {
		from, to = clamp(from), clamp(to)
		if from >= to {
			return nil
		}
		s, err := p.story(kind, from, to)
		if err != nil {
			return err
		}
		if text.HasText(s.Blocks) {
			doc.Stories = append(doc.Stories, s)
		}
		return nil
	}
	if err := p.headerStories(start[ccpHdd], c[ccpHdd], add); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		kind text.StoryKind
		i    int
	}{{text.Footnote, ccpFtn}, {text.Endnote, ccpEdn}, {text.Comment, ccpAtn}, {text.TextBox, ccpTxbx}, {text.Header, ccpHdrTxbx}} {
		if err := add(s.kind, start[s.i], start[s.i+1]); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// headerStories splits the header story with PlcfHdd: six separator
// stories, then per section even/odd/first headers and footers.
func (p *parser) headerStories(base, length uint32, add func(text.StoryKind, uint32, uint32) error) error {
	if length == 0 {
		return nil
	}
	hdd := p.plc(fcPlcfHdd)
	n := len(hdd)/4 - 1
	if n < 1 {
		return add(text.Header, base, base+length)
	}
	for i := 6; i < n; i++ {
		a, _ := u32(hdd, 4*i)
		b, _ := u32(hdd, 4*i+4)
		if b <= a || b > length {
			continue
		}
		kind := text.Header
		switch (i - 6) % 6 {
		case 2, 3, 5:
			kind = text.Footer
		}
		if err := add(kind, base+a, base+b); err != nil {
			return err
		}
	}
	return nil
}

// story decodes CPs [from, to) and turns Word's marks into blocks.
func (p *parser) story(kind text.StoryKind, from, to uint32) (text.Story, error) {
	d := decoded{runes: make([]rune, 0, to-from), cps: make([]uint32, 0, to-from)}
	if err := decodeRange(p.wd, p.pieces, from, to, p.dec, &d); err != nil {
		return text.Story{}, err
	}
	p.runes += int64(len(d.runes))
	if p.runes > p.opt.MaxTextRunes {
		return text.Story{}, fmt.Errorf("%w: more than %d characters of text", ErrTooLarge, p.opt.MaxTextRunes)
	}
	b := newStoryBuilder(p, kind, from)
	for i, r := range d.runes {
		b.char(r, d.cps[i])
	}
	return text.Story{Kind: kind, Blocks: b.finish()}, nil
}
