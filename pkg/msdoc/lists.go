package msdoc

import (
	"strings"
	"unicode/utf16"

	"github.com/policytext/policytext/pkg/codepage"

	"github.com/policytext/policytext/pkg/text"
)

// Automatic list numbering: Chinese documents often number their "一、"
// and "（一）" headings with Word lists, so the label is not in the text
// stream and must be generated from the list definitions, as LibreOffice
// does. Structures: [MS-DOC] 2.9.147 (LSTF), 2.9.150 (LVL/LVLF), 2.9.131
// (LFO), 2.9.271 (STSH).

const (
	fcStshf  = 1
	fcPlfLst = 73
	fcPlfLfo = 74

	lstfSize = 28
	lvlfSize = 28
	lfoSize  = 16
)

type listDef struct {
	levels []text.ListLevel // 1 (simple list) or 9
}

type lfoDef struct {
	lsid     int32
	startAts map[int]int // level → overriding start
	// levels replaces the list's levels where an LFOLVL carries its own LVL
	// (fFormatting); nil when the LFO only changes starts.
	levels []text.ListLevel
}

type listInfo struct {
	lists    map[int32]*listDef
	lfos     []lfoDef // ilfo is 1-based
	styles   []styleList
	counters text.ListCounters // key: lsid, or -ilfo when the LFO restarts
}

// styleList is what a paragraph style says about lists.
type styleList struct {
	base             int
	ilfo, ilvl       int
	hasIlfo, hasIlvl bool
}

// nfcNames maps the .doc number format codes to the OOXML names that
// text.FormatNumber knows ([MS-DOC] 2.9.173 is the same list).
var nfcNames = []string{"decimal", "upperRoman", "lowerRoman", "upperLetter", "lowerLetter", "ordinal",
	"cardinalText", "ordinalText", "hex", "chicago", "ideographDigital", "japaneseCounting", "aiueo", "iroha",
	"decimalFullWidth", "decimalHalfWidth", "japaneseLegal", "japaneseDigitalTenThousand", "decimalEnclosedCircle",
	"decimalFullWidth2", "aiueoFullWidth", "irohaFullWidth", "decimalZero", "bullet", "ganada", "chosung",
	"decimalEnclosedFullstop", "decimalEnclosedParen", "decimalEnclosedCircleChinese", "ideographEnclosedCircle",
	"ideographTraditional", "ideographZodiac", "ideographZodiacTraditional", "taiwaneseCounting",
	"ideographLegalTraditional", "taiwaneseCountingThousand", "taiwaneseDigital", "chineseCounting",
	"chineseLegalSimplified", "chineseCountingThousand"}

func nfcName(nfc byte) string {
	if int(nfc) < len(nfcNames) {
		return nfcNames[nfc]
	}
	if nfc == 255 {
		return "none"
	}
	return "decimal"
}

// parseLVL reads one LVL at b and returns it with its size (0 if b is too
// short to hold it). The characters of the label are drawn in the level's
// font (its grpprlChpx): a symbol font maps them to Unicode (Symbol's
// U+F0B7 is "•"), and Word's default second-level bullet, the letter "o"
// in Courier New, is the hollow bullet it looks like, "◦" (U+25E6), as
// LibreOffice renders it.
func parseLVL(b []byte, fonts []string) (text.ListLevel, int) {
	if len(b) < lvlfSize+2 {
		return text.ListLevel{}, 0
	}
	start, _ := u32(b, 0)
	lvl := text.ListLevel{Start: int(int32(start)), Format: nfcName(b[4]), Legal: b[5]&0x04 != 0}
	if b[5]&0x08 != 0 { // fNoRestart: restart only below ilvlRestartLim
		lvl.HasRestartLimit, lvl.RestartLimit = true, int(b[26])
	}
	switch b[15] { // ixchFollow: tab, space or nothing; a tab reads as a space
	case 0, 1:
		lvl.Follow = " "
	}
	chpx := lvlfSize + int(b[25]) // after grpprlPapx comes grpprlChpx
	pos := chpx + int(b[24])
	cch, ok := u16(b, pos)
	if !ok || pos+2+2*int(cch) > len(b) {
		return text.ListLevel{}, 0
	}
	units := make([]uint16, cch)
	for i := range units {
		units[i], _ = u16(b, pos+2+2*i)
	}
	lvl.Pattern = utf16.Decode(units)
	font := grpprlFont(b[chpx:pos], fonts)
	for i, r := range lvl.Pattern {
		if r < text.MaxListLevels {
			continue
		}
		if m, ok := codepage.SymbolRune(font, r); ok && m != 0 {
			lvl.Pattern[i] = m
		}
	}
	if lvl.Format == "bullet" && string(lvl.Pattern) == "o" && strings.EqualFold(font, "Courier New") {
		lvl.Pattern = []rune{'◦'}
	}
	return lvl, pos + 2 + 2*int(cch)
}

// grpprlFont returns the name of the font a CHPX grpprl sets for
// non-East-Asian text (sprmCRgFtc2, else sprmCRgFtc0), "" when none.
func grpprlFont(g []byte, fonts []string) string {
	ftc := -1
	walkSprms(g, func(op uint16, arg []byte) {
		switch {
		case op == sprmCRgFtc2, op == sprmCRgFtc0 && ftc < 0:
			ftc = int(uint16(arg[0]) | uint16(arg[1])<<8)
		}
	})
	if ftc >= 0 && ftc < len(fonts) {
		return fonts[ftc]
	}
	return ""
}

func (p *parser) readLists() *listInfo {
	li := &listInfo{lists: map[int32]*listDef{}}
	fc, lcb := p.fib.fcLcb(p.wd, fcPlfLst)
	if lcb < 2 || uint64(fc)+uint64(lcb) > uint64(len(p.tbl)) {
		return nil
	}
	// The LVLs follow the PlfLst and are not counted in lcbPlfLst.
	b := p.tbl[fc:]
	cLst, _ := u16(b, 0)
	n := int(int16(cLst))
	if n <= 0 || 2+lstfSize*n > int(lcb) {
		return nil
	}
	pos := 2 + lstfSize*n
	for i := 0; i < n; i++ {
		lstf := b[2+lstfSize*i:]
		lsid, _ := u32(lstf, 0)
		count := text.MaxListLevels
		if lstf[26]&0x01 != 0 { // fSimpleList
			count = 1
		}
		def := &listDef{}
		for l := 0; l < count; l++ {
			lvl, size := parseLVL(b[pos:], p.fonts)
			if size == 0 {
				return li.finish(p)
			}
			def.levels = append(def.levels, lvl)
			pos += size
		}
		li.lists[int32(lsid)] = def
	}
	return li.finish(p)
}

// finish reads the LFOs (which list an ilfo means) and the styles' list
// properties.
func (li *listInfo) finish(p *parser) *listInfo {
	fc, lcb := p.fib.fcLcb(p.wd, fcPlfLfo)
	if lcb >= 4 && uint64(fc)+uint64(lcb) <= uint64(len(p.tbl)) {
		b := p.tbl[fc : fc+lcb]
		mac, _ := u32(b, 0)
		if n := int(mac); n > 0 && 4+lfoSize*n <= len(b) {
			li.lfos = make([]lfoDef, n)
			data := 4 + lfoSize*n
			for i := 0; i < n; i++ {
				lsid, _ := u32(b, 4+lfoSize*i)
				li.lfos[i].lsid = int32(lsid)
				clfolvl := int(b[4+lfoSize*i+12])
				data += 4 // cp
				for j := 0; j < clfolvl && data+8 <= len(b); j++ {
					start, _ := u32(b, data)
					flags, _ := u32(b, data+4)
					data += 8
					ilvl := int(flags & 0x0F)
					if flags&0x10 != 0 && ilvl < text.MaxListLevels { // fStartAt
						if li.lfos[i].startAts == nil {
							li.lfos[i].startAts = map[int]int{}
						}
						li.lfos[i].startAts[ilvl] = int(int32(start))
					}
					if flags&0x20 != 0 { // fFormatting: the level's own LVL follows
						lvl, size := parseLVL(b[data:], p.fonts)
						if size == 0 {
							break
						}
						data += size
						li.lfos[i].override(ilvl, lvl, li.lists[li.lfos[i].lsid])
					}
				}
			}
		}
	}
	li.styles = p.readStyleLists()
	return li
}

// override replaces level ilvl of the LFO's list by lvl. The other levels
// stay the list's; a replaced level keeps its own start unless an fStartAt
// of the same LFOLVL says otherwise (that start is in startAts).
func (lfo *lfoDef) override(ilvl int, lvl text.ListLevel, def *listDef) {
	if def == nil || ilvl >= len(def.levels) {
		return
	}
	if lfo.levels == nil {
		lfo.levels = append([]text.ListLevel(nil), def.levels...)
	}
	lfo.levels[ilvl] = lvl
}

// readStyleLists reads, for every paragraph style, its base style and its
// list properties (the PAPX UPX of the STD).
func (p *parser) readStyleLists() []styleList {
	b := p.plc(fcStshf)
	cbStshi, ok := u16(b, 0)
	if !ok || 2+int(cbStshi) > len(b) || cbStshi < 4 {
		return nil
	}
	cstd, _ := u16(b, 2)
	cbBase, _ := u16(b, 4)
	if cstd > 4096 || cbBase < 10 {
		return nil
	}
	styles := make([]styleList, 0, cstd)
	pos := 2 + int(cbStshi)
	for i := 0; i < int(cstd) && pos+2 <= len(b); i++ {
		cb, _ := u16(b, pos)
		std := b[pos+2 : min(pos+2+int(cb), len(b))]
		pos += 2 + int(cb)
		st := styleList{base: 0xFFF}
		if len(std) >= int(cbBase) {
			w, _ := u16(std, 2)
			st.base = int(w >> 4)
			if w&0x0F == 1 { // paragraph style: name, then the PAPX UPX
				name, _ := u16(std, int(cbBase))
				up := int(cbBase) + 2 + 2*int(name) + 2
				up += up & 1
				if cbUpx, ok := u16(std, up); ok && cbUpx >= 2 && up+2+int(cbUpx) <= len(std) {
					props := readParaSprms(std[up+4 : up+2+int(cbUpx)])
					st.ilfo, st.hasIlfo, st.ilvl, st.hasIlvl = props.ilfo, props.hasIlfo, props.ilvl, props.hasIlvl
				}
			}
		}
		styles = append(styles, st)
	}
	return styles
}

// label returns the list label of a paragraph ("一、 ", "(1) ", ...) and
// advances the list counters; "" when the paragraph is not numbered.
func (li *listInfo) label(props paraProps) string {
	ilfo, ilvl := props.ilfo, props.ilvl
	hasIlfo, hasIlvl := props.hasIlfo, props.hasIlvl
	for istd, depth := int(props.istd), 0; (!hasIlfo || !hasIlvl) && istd < len(li.styles) && depth < 16; depth++ {
		st := li.styles[istd]
		if !hasIlfo && st.hasIlfo {
			ilfo, hasIlfo = st.ilfo, true
		}
		if !hasIlvl && st.hasIlvl {
			ilvl, hasIlvl = st.ilvl, true
		}
		istd = st.base
	}
	if !hasIlfo || ilfo <= 0 || ilfo > len(li.lfos) || ilvl < 0 || ilvl >= text.MaxListLevels {
		return ""
	}
	lfo := li.lfos[ilfo-1]
	def := li.lists[lfo.lsid]
	if def == nil {
		return ""
	}
	// An LFO that restarts numbering counts on its own; one that only
	// changes formatting shares the list's counters (Word numbers such
	// paragraphs on from the list's).
	key := int64(lfo.lsid)
	if lfo.startAts != nil {
		key = -int64(ilfo)
	}
	levels := def.levels
	if lfo.levels != nil {
		levels = lfo.levels
	}
	return li.counters.Label(key, levels, ilvl, lfo.startAts)
}
