package msdoc

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

// noteDoc builds the structures readNotes reads: a FIB fc/lcb table at the
// start of WordDocument, the PLCs and Dop in the table stream, and SEPXs
// after the FIB table.
type noteDoc struct {
	wd, tbl []byte
}

func newNoteDoc() *noteDoc { return &noteDoc{wd: make([]byte, 8*93)} }

func (d *noteDoc) put(index int, data []byte) {
	binary.LittleEndian.PutUint32(d.wd[8*index:], uint32(len(d.tbl)))
	binary.LittleEndian.PutUint32(d.wd[8*index+4:], uint32(len(data)))
	d.tbl = append(d.tbl, data...)
}

func le(vals ...any) []byte {
	var b []byte
	for _, v := range vals {
		switch v := v.(type) {
		case uint32:
			b = binary.LittleEndian.AppendUint32(b, v)
		case uint16:
			b = binary.LittleEndian.AppendUint16(b, v)
		case []byte:
			b = append(b, v...)
		}
	}
	return b
}

// sepx appends a SEPX holding grpprl to WordDocument and returns its fc.
func (d *noteDoc) sepx(grpprl []byte) uint32 {
	fc := uint32(len(d.wd))
	d.wd = append(d.wd, le(uint16(len(grpprl)), grpprl)...)
	return fc
}

func (d *noteDoc) parser() *parser {
	return &parser{fib: &fib{numPairs: 93}, wd: d.wd, tbl: d.tbl}
}

func TestNoteNumbering(t *testing.T) {
	// Footnote references at CPs 5 (auto), 10 (custom mark), 20 and 30
	// (auto); two sections, the second from CP 15.
	refs := le(uint32(5), uint32(10), uint32(20), uint32(30), uint32(100), uint16(1), uint16(0), uint16(2), uint16(3))
	dop := func(w2, w54 uint16, nfc97 uint16) []byte {
		b := make([]byte, 500)
		binary.LittleEndian.PutUint16(b[2:], w2)
		binary.LittleEndian.PutUint16(b[54:], w54)
		binary.LittleEndian.PutUint16(b[492:], nfc97)
		return b
	}
	cases := []struct {
		name    string
		dop     []byte
		section []byte // grpprl of the second section
		want    string
	}{
		{name: "Word's defaults without a Dop", want: "1||2|3"},
		{name: "start and format from the Dop", dop: dop(5<<2, 0, 1), want: "V||VI|VII"},
		{name: "chicago marks", dop: dop(1<<2, 0, 9), want: "*||†|‡"},
		{name: "restart at each section", dop: dop(1<<2|rncSection, 0, 0), want: "1||1|2"},
		{name: "a page restart counts on", dop: dop(1<<2|rncPage, 0, 0), want: "1||2|3"},
		{name: "the section's own settings", dop: dop(1<<2, 0, 0),
			section: le(uint16(sprmSRncFtn), []byte{rncSection}, uint16(sprmSNFtn), uint16(7), uint16(sprmSNfcFtnRef), uint16(4)),
			want:    "1||g|h"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newNoteDoc()
			d.put(fcPlcffndRef, refs)
			d.put(fcPlcffndTxt, le(uint32(0), uint32(4), uint32(8), uint32(12), uint32(16), uint32(17)))
			if c.dop != nil {
				d.put(fcDop, c.dop)
			}
			fc1, fc2 := d.sepx(nil), d.sepx(c.section)
			sed := le(uint32(0), uint32(15), uint32(100),
				uint16(0), fc1, uint16(0), uint32(0), uint16(0), fc2, uint16(0), uint32(0))
			d.put(fcPlcfSed, sed)
			n := d.parser().readNotes([]uint32{0, 15})
			if n == nil {
				t.Fatal("no notes")
			}
			if got := strings.Join(n.foot.labels, "|"); got != c.want {
				t.Errorf("labels %s, want %s", got, c.want)
			}
			// The body shows the mark at its reference, the note story at
			// the start of the note's text; a custom mark is ordinary text.
			if m, _ := n.noteMark(text.Main, 0, 20); m != strings.Split(c.want, "|")[2] {
				t.Errorf("body mark at CP 20: %q", m)
			}
			if m, opens := n.noteMark(text.Footnote, 1000, 1008); m != strings.Split(c.want, "|")[2] || !opens {
				t.Errorf("note mark of the third note: %q %v", m, opens)
			}
			if m, _ := n.noteMark(text.Main, 0, 10); m != "" {
				t.Errorf("custom mark got %q", m)
			}
		})
	}
}

// TestNoteMarkText: in a note story the automatic mark is followed by
// exactly one space whatever the file has there; in the body it sits
// against the text; a 0x02 that is not a note's mark shows nothing.
func TestNoteMarkText(t *testing.T) {
	n := &notes{
		foot:       noteKind{refCPs: []uint32{3}, labels: []string{"7"}, txtCPs: []uint32{0, 10}},
		bodyLabels: map[uint32]string{3: "7"},
	}
	p := &parser{papx: &papxTable{}, notes: n}
	run := func(kind text.StoryKind, base uint32, s string) string {
		b := newStoryBuilder(p, kind, base)
		for i, r := range []rune(s) {
			b.char(r, base+uint32(i))
		}
		return text.Story{Blocks: b.finish()}.Text()
	}
	cases := []struct {
		kind text.StoryKind
		base uint32
		in   string
		want string
	}{
		{text.Footnote, 500, "\x02\t  Note\r", "7 Note\n"},
		{text.Footnote, 500, "\x02Note\r", "7 Note\n"},
		{text.Footnote, 500, "\x02\x1fNote\r", "7 Note\n"}, // a soft hyphen writes nothing
		{text.Main, 0, "abc\x02 d\x02\r", "abc7 d\n"},
		{text.Header, 0, "abc\x02\r", "abc\n"},
	}
	for _, c := range cases {
		if got := run(c.kind, c.base, c.in); got != c.want {
			t.Errorf("%v %q: %q, want %q", c.kind, c.in, got, c.want)
		}
	}
}
