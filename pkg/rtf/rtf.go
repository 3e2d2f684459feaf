// Package rtf extracts the text of RTF documents, which portals often serve
// under a .doc name (AbiWord and WPS Office write them too), into the
// shared document model with the same conventions as the Word extractors.
//
// It handles code pages (\ansicpg, font \fcharset and \cpg, with GBK and
// other double-byte pages decoded as pairs), \uN with \ucN fallback
// skipping, ignorable (\*) and non-text destinations (font and colour
// tables, stylesheet, info, pictures, objects, field instructions), field
// results, tables (\cell, \row, \nestcell, \nestrow, \intbl, \itap), list
// labels (\listtext), tracked deletions (\deleted), and headers, footers,
// footnotes, endnotes (\ftnalt) and comments as separate stories.
//
// Note reference marks follow the text package doc ("Note reference
// marks"): an automatic mark (\chftn) in the text is the next note's
// number, in the format the document sets (\ftnnar ... \ftnnchi,
// \aftnnar ... for endnotes, \ftnstartN; Word's defaults 1, 2, 3 and i,
// ii, iii), and inside the note it is that note's number followed by
// exactly one space; a custom mark is ordinary text. Whether a note is an
// endnote is read from the control words right after its \footnote (Word
// writes "{\footnote \ftnalt ...}"). A note, header, footer or comment
// group ends its last paragraph when it closes, \par or not (Word ends a
// note's text with its group).
//
// Symbol fonts: characters in a font whose font-table name is Symbol or
// Wingdings (plain bytes, \'hh escapes and \uN in the U+F020-U+F0FF
// range) are codes in that font and mapped to Unicode with
// codepage.SymbolRune ("\'b7" in Symbol is "•").
//
// Fields show their result (\fldrslt); a field whose result shows nothing
// shows nothing, except MACROBUTTON, which shows its display text (the
// instruction after the macro's name: template placeholders such as
// "[Click here]"), as package docx does.
//
// See the package example for a complete call.
package rtf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/policytext/policytext/pkg/codepage"
	"github.com/policytext/policytext/pkg/text"
)

// Sentinel errors; every error from Extract wraps one of them.
var (
	ErrEmpty     = errors.New("rtf: empty file")
	ErrNotRTF    = errors.New(`rtf: not an RTF document (no "{\rtf" header)`)
	ErrMalformed = errors.New("rtf: malformed document")
	ErrTooLarge  = errors.New("rtf: too large")
)

// Options bound the work on one document; zero values mean the defaults.
type Options struct {
	MaxInputBytes int64 // default 64 MiB
	MaxTextRunes  int64 // default 32 Mi
	MaxDepth      int   // group nesting, default 512
}

func (o Options) withDefaults() Options {
	if o.MaxInputBytes <= 0 {
		o.MaxInputBytes = 64 << 20
	}
	if o.MaxTextRunes <= 0 {
		o.MaxTextRunes = 32 << 20
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 512
	}
	return o
}

// dest is where the text of a group goes.
type dest int

const (
	destSkip dest = iota
	destMain
	destHeader
	destFooter
	destFootnote
	destEndnote
	destComment
	destFontTable
)

// state is the part of the reader's state that groups save and restore.
type state struct {
	dest      dest
	uc        int // \ucN: fallback characters after \uN
	cp        *codepage.Decoder
	deleted   bool
	inTable   bool
	itap      int
	font      int
	fontEntry int // in the font table: the font being defined
	// symFont is the current font's name when it is a symbol font
	// (Symbol, Wingdings): its characters are codes in that font.
	symFont string
	// inNote: inside a \footnote group (its \chftn is the note's own mark)
	inNote bool
	// field is the number of \field groups open around this one (an index
	// into reader.fields plus one), inInstr: inside a field's \fldinst.
	field   int
	inInstr bool
}

// field is an open \field group: its instruction (kept while short) and
// whether its result showed anything.
type field struct {
	instr     []byte
	hadResult bool
}

// maxInstr bounds the instruction text kept per field.
const maxInstr = 1024

type reader struct {
	opt   Options
	data  []byte
	pos   int
	st    state
	stack []state
	ansi  *codepage.Decoder
	fonts map[int]*codepage.Decoder
	// symFonts names the fonts of the font table that are symbol fonts.
	symFonts map[int]string
	fontName []byte // the name of the font table entry being read
	stories  map[dest]*builder
	order    []dest
	pending  []byte // \'hh bytes not decoded yet (a double-byte pair may be split over two escapes)
	skip     int    // fallback characters still to skip after \uN
	runes    int64
	// starDest: the previous token was \* (ignorable destination)
	starDest bool
	notes    noteNumbers
	fields   []field
	// afterNoteMark: a note's own mark was just written; its text follows
	// after exactly one space.
	afterNoteMark bool
}

// Extract reads an RTF document of the given size from r.
func Extract(r io.ReaderAt, size int64, opt Options) (doc *text.Document, err error) {
	opt = opt.withDefaults()
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, fmt.Errorf("%w: internal parser failure: %v", ErrMalformed, p)
		}
	}()
	switch {
	case size <= 0:
		return nil, ErrEmpty
	case size > opt.MaxInputBytes:
		return nil, fmt.Errorf("%w: file is %d bytes, limit %d", ErrTooLarge, size, opt.MaxInputBytes)
	}
	data := make([]byte, size)
	if n, err := r.ReadAt(data, 0); n < len(data) {
		return nil, fmt.Errorf("rtf: read: %w", err)
	}
	rd := &reader{opt: opt, data: data, ansi: codepage.CP1252(), fonts: map[int]*codepage.Decoder{},
		symFonts: map[int]string{}, stories: map[dest]*builder{}, notes: newNoteNumbers()}
	if err := rd.run(); err != nil {
		return nil, err
	}
	return rd.document(), nil
}

func (rd *reader) run() error {
	head := bytes.TrimLeft(bytes.TrimPrefix(rd.data, []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	if !bytes.HasPrefix(head, []byte(`{\rtf`)) {
		return ErrNotRTF
	}
	rd.pos = len(rd.data) - len(head)
	rd.st = state{dest: destMain, uc: 1, cp: rd.ansi, font: -1}
	started := false
	for rd.pos < len(rd.data) {
		c := rd.data[rd.pos]
		switch c {
		case '{':
			rd.flush()
			if len(rd.stack) >= rd.opt.MaxDepth {
				return fmt.Errorf("%w: groups nested deeper than %d", ErrMalformed, rd.opt.MaxDepth)
			}
			rd.stack = append(rd.stack, rd.st)
			rd.pos++
			rd.skip = 0
			started = true
		case '}':
			rd.flush()
			if len(rd.stack) == 0 {
				return fmt.Errorf("%w: unbalanced '}' at byte %d", ErrMalformed, rd.pos)
			}
			outer := rd.stack[len(rd.stack)-1]
			rd.endStory(outer)
			done := rd.st.field > outer.field
			rd.st = outer
			if done {
				rd.endField()
			}
			rd.stack = rd.stack[:len(rd.stack)-1]
			rd.pos++
			rd.skip = 0
			if len(rd.stack) == 0 && started {
				return nil // the document group is closed; trailing bytes are ignored
			}
		case '\\':
			if err := rd.control(); err != nil {
				return err
			}
		case '\r', '\n':
			rd.pos++
		default:
			rd.flush()
			rd.pos++
			if rd.skip > 0 {
				rd.skip--
				continue
			}
			if c < 0x80 {
				rd.emit(rune(c))
			} else {
				rd.pending = append(rd.pending, c)
				rd.flush()
			}
		}
		if rd.runes > rd.opt.MaxTextRunes {
			return fmt.Errorf("%w: more than %d characters of text", ErrTooLarge, rd.opt.MaxTextRunes)
		}
	}
	return fmt.Errorf("%w: file ends inside %d open groups (truncated?)", ErrMalformed, len(rd.stack))
}

// flush decodes pending \'hh bytes with the current code page.
func (rd *reader) flush() {
	if len(rd.pending) == 0 {
		return
	}
	p := rd.pending
	rd.pending = rd.pending[:0]
	if rd.st.symFont != "" {
		for _, c := range p {
			rd.emit(rune(c))
		}
		return
	}
	rd.st.cp.Each(p, func(r rune, _ int) { rd.emit(r) })
}

func (rd *reader) control() error {
	d := rd.data
	i := rd.pos + 1
	if i >= len(d) {
		return fmt.Errorf("%w: file ends after a backslash", ErrMalformed)
	}
	c := d[i]
	if !isLetter(c) {
		rd.pos = i + 1
		switch c {
		case '\'':
			if i+2 >= len(d) {
				return fmt.Errorf("%w: file ends inside a \\' escape", ErrMalformed)
			}
			v, err := strconv.ParseUint(string(d[i+1:i+3]), 16, 8)
			rd.pos = i + 3
			if err != nil {
				return nil // tolerate a bad escape like most readers
			}
			if rd.skip > 0 {
				rd.skip--
				return nil
			}
			rd.pending = append(rd.pending, byte(v))
			// a double-byte pair needs its second escape before decoding
			if len(rd.pending) == 1 && rd.st.symFont == "" && rd.st.cp.IsDoubleByte(byte(v)) {
				return nil
			}
			rd.flush()
		case '*':
			rd.starDest = true
		case '\\', '{', '}':
			rd.flush()
			rd.emitSkippable(rune(c))
		case '~':
			rd.flush()
			rd.emitSkippable('\u00A0')
		case '_':
			rd.flush()
			rd.emitSkippable('\u2011')
		case '-', ':', '|':
			// soft hyphen, index subentry, formula: nothing to read
		case '\r', '\n':
			rd.flush()
			rd.word("par", 0, false)
		}
		return nil
	}
	rd.flush()
	j := i
	for j < len(d) && isLetter(d[j]) {
		j++
	}
	name := string(d[i:j])
	param, hasParam := 0, false
	k := j
	if k < len(d) && (d[k] == '-' || isDigit(d[k])) {
		k++
		for k < len(d) && isDigit(d[k]) && k-j < 12 {
			k++
		}
		if v, err := strconv.Atoi(string(d[j:k])); err == nil {
			param, hasParam = v, true
		}
	}
	if k < len(d) && d[k] == ' ' {
		k++ // the delimiter space belongs to the control word
	}
	rd.pos = k
	if name == "bin" && hasParam {
		// binary data: skip it whole
		rd.pos = min(len(d), rd.pos+max(param, 0))
		return nil
	}
	star := rd.starDest
	rd.starDest = false
	rd.word(name, param, hasParam)
	if star && rd.st.dest != destSkip && !keepStarred[name] {
		rd.st.dest = destSkip
	}
	return nil
}

// keepStarred are \* destinations whose text is visible.
var keepStarred = map[string]bool{}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// skipDests are destinations whose content is not document text.
var skipDests = map[string]bool{
	"colortbl": true, "stylesheet": true, "info": true, "pict": true, "object": true, "fldinst": true,
	"xe": true, "tc": true, "bkmkstart": true, "bkmkend": true, "listtable": true, "listoverridetable": true,
	"revtbl": true, "rsidtbl": true, "generator": true, "themedata": true, "colorschememapping": true,
	"datastore": true, "latentstyles": true, "pgdsctbl": true, "mmathPr": true, "xmlnstbl": true,
	"nonshppict": true, "sp": true, "sn": true, "sv": true, "filetbl": true, "operator": true,
	"atnid": true, "atnauthor": true, "atndate": true, "atnref": true, "template": true, "docvar": true,
	"falt": true, "panose": true, "fname": true, "userprops": true, "wgrffmtfilter": true, "ftnsep": true,
	"ftnsepc": true, "ftncn": true, "aftnsep": true, "aftnsepc": true, "aftncn": true, "fldtype": true,
	"datafield": true, "formfield": true, "nonesttables": true, "blipuid": true, "passwordhash": true, "protusertbl": true,
}

func (rd *reader) setDest(d dest) {
	if rd.st.dest != destSkip && rd.st.dest != destFontTable {
		rd.st.dest = d
	}
}

// word handles one control word.
func (rd *reader) word(name string, param int, hasParam bool) {
	if name == "fldinst" && rd.st.field > 0 {
		rd.st.inInstr = true
	}
	if skipDests[name] {
		rd.st.dest = destSkip
		return
	}
	switch name {
	case "fonttbl":
		rd.st.dest = destFontTable
	case "field":
		parent := 0
		if len(rd.stack) > 0 {
			parent = rd.stack[len(rd.stack)-1].field
		}
		if rd.st.field == parent { // one field per group
			rd.fields = append(rd.fields, field{})
			rd.st.field = len(rd.fields)
		}
	case "f":
		if rd.st.dest == destFontTable {
			rd.st.fontEntry = param
			rd.fontName = rd.fontName[:0]
			return
		}
		rd.st.font = param
		rd.st.symFont = rd.symFonts[param]
		if cp, ok := rd.fonts[param]; ok {
			rd.st.cp = cp
		} else {
			rd.st.cp = rd.ansi
		}
	case "fcharset":
		if rd.st.dest == destFontTable {
			if cp := codepage.FromCharset(param); cp != 0 {
				rd.fonts[rd.st.fontEntry] = codepage.New(cp)
			}
		}
	case "cpg":
		if rd.st.dest == destFontTable && param > 0 {
			rd.fonts[rd.st.fontEntry] = codepage.New(param)
		}
	case "ansicpg":
		rd.ansi = codepage.New(param)
		rd.st.cp = rd.ansi
	case "uc":
		rd.st.uc = min(max(param, 0), 16)
	case "u":
		if hasParam {
			r := rune(param)
			if r < 0 {
				r += 0x10000
			}
			rd.emitRune(r)
			rd.skip = rd.st.uc
		}
	case "header", "headerl", "headerr", "headerf":
		rd.setDest(destHeader)
	case "footer", "footerl", "footerr", "footerf":
		rd.setDest(destFooter)
	case "footnote":
		rd.setDest(destFootnote)
		rd.st.inNote = true
	case "ftnalt":
		// this \footnote is an endnote
		if rd.st.dest == destFootnote {
			rd.st.dest = destEndnote
		}
	case "chftn":
		rd.chftn()
	case "ftnnar", "ftnnalc", "ftnnauc", "ftnnrlc", "ftnnruc", "ftnnchi",
		"aftnnar", "aftnnalc", "aftnnauc", "aftnnrlc", "aftnnruc", "aftnnchi":
		rd.notes.setFormat(name)
	case "ftnstart":
		rd.notes.setStart(0, param)
	case "aftnstart":
		rd.notes.setStart(1, param)
	case "annotation":
		rd.setDest(destComment)
	case "deleted":
		rd.st.deleted = !hasParam || param != 0
	case "plain":
		rd.st.deleted = false
	case "pard":
		rd.st.inTable, rd.st.itap = false, 0
	case "intbl":
		rd.st.inTable = true
	case "itap":
		// Word nests tables at most 64 deep; a larger value is hostile
		// (it would open that many tables).
		rd.st.itap = min(max(param, 0), text.MaxTableDepth)
	case "par":
		rd.afterNoteMark = false
		rd.b().endParagraph(rd.depth())
	case "sect", "page", "column":
		// breaks produce nothing
	case "line":
		rd.emitSkippable('\n')
	case "tab":
		rd.emitSkippable('\t')
	case "cell":
		rd.b().endCell(max(rd.depth(), 1))
	case "nestcell":
		rd.b().endCell(max(rd.depth(), 2))
	case "row":
		rd.b().endRow(1)
	case "nestrow":
		rd.b().endRow(max(rd.depth(), 2))
	case "emdash":
		rd.emitSkippable('—')
	case "endash":
		rd.emitSkippable('–')
	case "lquote":
		rd.emitSkippable('‘')
	case "rquote":
		rd.emitSkippable('’')
	case "ldblquote":
		rd.emitSkippable('“')
	case "rdblquote":
		rd.emitSkippable('”')
	case "bullet":
		rd.emitSkippable('•')
	case "emspace":
		rd.emitSkippable('\u2003')
	case "enspace":
		rd.emitSkippable('\u2002')
	case "qmspace":
		rd.emitSkippable('\u2005')
	case "zwj":
		rd.emitSkippable('\u200D')
	case "zwnj":
		rd.emitSkippable('\u200C')
	}
}

func (rd *reader) depth() int {
	switch {
	case rd.st.itap > 0:
		return rd.st.itap
	case rd.st.inTable:
		return 1
	}
	return 0
}

// b returns the builder of the current destination's story.
func (rd *reader) b() *builder {
	d := rd.st.dest
	if d == destSkip || d == destFontTable {
		return &discard
	}
	bl, ok := rd.stories[d]
	if !ok {
		bl = &builder{}
		rd.stories[d] = bl
		rd.order = append(rd.order, d)
	}
	return bl
}

var discard builder

// emitSkippable emits a character produced by a control symbol; it counts
// as a fallback character after \uN like any other.
func (rd *reader) emitSkippable(r rune) {
	if rd.skip > 0 {
		rd.skip--
		return
	}
	rd.emitRune(r)
}

func (rd *reader) emit(r rune) { rd.emitRune(r) }

func (rd *reader) emitRune(r rune) {
	if rd.st.inInstr {
		if f := &rd.fields[rd.st.field-1]; len(f.instr) < maxInstr {
			f.instr = utf8.AppendRune(f.instr, r)
		}
		return
	}
	if rd.st.dest == destFontTable {
		rd.fontText(r)
		return
	}
	if rd.st.deleted || rd.st.dest == destSkip {
		return
	}
	if r == 0 || (r < 0x20 && r != '\t' && r != '\n') || !utf8.ValidRune(r) {
		return
	}
	if rd.st.symFont != "" {
		if m, ok := codepage.SymbolRune(rd.st.symFont, r); ok && m != 0 {
			r = m
		}
	}
	bl := rd.b()
	if rd.afterNoteMark {
		// right after a note's own mark: exactly one space before the
		// note's text
		if r == ' ' || r == '\t' {
			return
		}
		rd.afterNoteMark = false
		bl.para = append(bl.para, ' ')
	}
	rd.runes++
	bl.para = utf8.AppendRune(bl.para, r)
	if rd.st.field > 0 {
		rd.fields[rd.st.field-1].hadResult = true
	}
}

// endField closes the innermost \field group. A field whose result showed
// nothing shows nothing, except MACROBUTTON, which shows its display text,
// the instruction after the macro name (template placeholders such as
// "[Click here]"), as in package docx.
func (rd *reader) endField() {
	n := len(rd.fields)
	f := rd.fields[n-1]
	rd.fields = rd.fields[:n-1]
	if f.hadResult {
		if rd.st.field > 0 { // the enclosing field's result holds it
			rd.fields[rd.st.field-1].hadResult = true
		}
		return
	}
	for _, r := range macroButtonText(string(f.instr)) {
		rd.emitRune(r)
	}
}

// macroButtonText is the display text of a MACROBUTTON instruction
// ("MACROBUTTON Name Display text"), "" for any other field.
func macroButtonText(instr string) string {
	const blank = " \t\r\n"
	rest := strings.TrimLeft(instr, blank)
	i := strings.IndexAny(rest, blank)
	if i < 0 || !strings.EqualFold(rest[:i], "MACROBUTTON") {
		return ""
	}
	rest = strings.TrimLeft(rest[i:], blank)
	i = strings.IndexAny(rest, blank) // after the macro's name
	if i < 0 {
		return ""
	}
	return strings.TrimLeft(rest[i:], blank)
}

// endStory is called when a group closes, before outer is restored: a
// header, footer, note or comment group ends its last paragraph even
// without a \par (Word ends a note's text with the group), so that the
// next note starts a paragraph of its own.
func (rd *reader) endStory(outer state) {
	d := rd.st.dest
	if d == outer.dest || d == destMain || d == destSkip || d == destFontTable {
		return
	}
	rd.afterNoteMark = false
	if bl := rd.stories[d]; bl != nil && len(bl.para) > 0 {
		bl.endParagraph(rd.depth())
	}
}

// fontText collects the name of a font table entry; the ";" ends it.
func (rd *reader) fontText(r rune) {
	if r != ';' {
		if len(rd.fontName) < 256 {
			rd.fontName = utf8.AppendRune(rd.fontName, r)
		}
		return
	}
	if name := string(bytes.TrimSpace(rd.fontName)); codepage.IsSymbolFont(name) {
		rd.symFonts[rd.st.fontEntry] = name
	}
	rd.fontName = rd.fontName[:0]
}

// chftn is an automatic note mark (text package doc, "Note reference
// marks"): in the text, the next note's number; inside the note, the
// number of the note it opens, followed by exactly one space.
func (rd *reader) chftn() {
	if rd.st.dest == destSkip || rd.st.deleted {
		return
	}
	if rd.st.inNote {
		mark := rd.notes.current
		if mark == "" {
			return
		}
		bl := rd.b()
		bl.para = append(bl.para, mark...)
		rd.runes += int64(utf8.RuneCountInString(mark))
		rd.afterNoteMark = true
		return
	}
	kind := 0
	if rd.nextNoteIsEndnote() {
		kind = 1
	}
	mark := rd.notes.number(kind)
	bl := rd.b()
	bl.para = append(bl.para, mark...)
	rd.runes += int64(utf8.RuneCountInString(mark))
}

// nextNoteIsEndnote looks ahead for the \footnote group that follows a
// mark in the text: Word writes "{\footnote \ftnalt ...}" for an
// endnote, its kind named at its start.
func (rd *reader) nextNoteIsEndnote() bool {
	ahead := rd.data[rd.pos:min(len(rd.data), rd.pos+512)]
	i := bytes.Index(ahead, []byte(`\footnote`))
	if i < 0 {
		return false
	}
	// the control words right after \footnote, up to the first group or
	// text
	ahead = ahead[i+len(`\footnote`):]
	for len(ahead) > 0 {
		switch c := ahead[0]; {
		case c == ' ' || c == '\r' || c == '\n':
			ahead = ahead[1:]
		case c == '\\' && len(ahead) > 1 && isLetter(ahead[1]):
			j := 1
			for j < len(ahead) && (isLetter(ahead[j]) || isDigit(ahead[j]) || ahead[j] == '-') {
				j++
			}
			if string(ahead[1:j]) == "ftnalt" {
				return true
			}
			ahead = ahead[j:]
		default:
			return false
		}
	}
	return false
}

func (rd *reader) document() *text.Document {
	doc := &text.Document{Format: "rtf", Version: "RTF"}
	kinds := map[dest]text.StoryKind{destMain: text.Main, destHeader: text.Header, destFooter: text.Footer,
		destFootnote: text.Footnote, destEndnote: text.Endnote, destComment: text.Comment}
	main := rd.stories[destMain]
	if main == nil {
		main = &builder{}
	}
	doc.Stories = append(doc.Stories, text.Story{Kind: text.Main, Blocks: main.finish()})
	for _, d := range rd.order {
		if d == destMain {
			continue
		}
		if blocks := rd.stories[d].finish(); len(blocks) > 0 {
			doc.Stories = append(doc.Stories, text.Story{Kind: kinds[d], Blocks: blocks})
		}
	}
	return doc
}
