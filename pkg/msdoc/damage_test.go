package msdoc

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

// withFAT returns a copy of a compound file (one FAT sector, 512-byte
// sectors) whose FAT maps sector to next.
func withFAT(t *testing.T, b []byte, sector, next uint32) []byte {
	t.Helper()
	b = bytes.Clone(b)
	if binary.LittleEndian.Uint16(b[0x1E:]) != 9 || binary.LittleEndian.Uint32(b[0x2C:]) != 1 {
		t.Fatal("test file must have 512-byte sectors and one FAT sector")
	}
	fat := (int(binary.LittleEndian.Uint32(b[0x4C:])) + 1) * 512
	binary.LittleEndian.PutUint32(b[fat+4*int(sector):], next)
	return b
}

// TestDamagedChains: wv-footnote6.doc's 1Table chain runs 10, 11, 12 and
// back to 10 (sectors 13-17 hold the rest). Whatever the chain does, a
// stream keeps the sectors read before the damage, no sector twice, and
// the document says what it lost.
func TestDamagedChains(t *testing.T) {
	orig, err := os.ReadFile("testdata/gaps/wv-footnote6.doc")
	if err != nil {
		t.Fatal(err)
	}
	repaired := withFAT(t, orig, 12, 13)
	const endOfChain = 0xFFFFFFFE
	cases := []struct {
		name   string
		file   []byte
		warns  []string // excerpts, one per warning
		body   string   // excerpt of the main text
		failed string   // excerpt of the error, when the text is beyond reach
	}{
		{name: "sound chain", file: repaired, body: "I am a footnote on page 2 don’t restart t"},
		{name: "1Table cycle", file: orig, body: "I am a footnote on page 2 don’t restart t",
			warns: []string{"stream 1Table: its sector chain has a cycle (the sector at file offset 5632 comes back after 1536 bytes); kept the first 1536 of 4096 bytes", "piece table (fc 1666) lost"}},
		{name: "1Table chain ends early", file: withFAT(t, repaired, 12, endOfChain), body: "I am a footnote on page 2 don’t restart t",
			warns: []string{"stream 1Table: its sector chain breaks off", "piece table (fc 1666) lost"}},
		// WordDocument runs 0..9; a cycle 0..4, 2, ... keeps 2560 bytes,
		// which still hold the text (bytes 1024-1654) but not the FKP pages
		// (sectors 6 and 8), so paragraphs join where only the properties
		// said where they end.
		{name: "WordDocument cycle", file: withFAT(t, repaired, 4, 2), body: "Footnote Tests",
			warns: []string{"stream WordDocument: its sector chain has a cycle (the sector at file offset 1536 comes back after 2560 bytes); kept the first 2560 of 4668 bytes"}},
		// A chain that keeps only the FIB's sector: the text is gone.
		{name: "WordDocument cut before the text", file: withFAT(t, repaired, 1, 0), failed: "sector chain has a cycle"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := Extract(bytes.NewReader(c.file), int64(len(c.file)), Options{})
			if c.failed != "" {
				if !isSentinel(err) || !strings.Contains(err.Error(), c.failed) {
					t.Fatalf("got %v, want a typed error mentioning %q", err, c.failed)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := doc.PlainText(text.RenderOptions{}); !strings.Contains(got, c.body) {
				t.Errorf("main text lacks %q:\n%s", c.body, got)
			}
			if len(doc.Warnings) != len(c.warns) {
				t.Fatalf("warnings %q, want %d", doc.Warnings, len(c.warns))
			}
			for i, w := range c.warns {
				if !strings.Contains(doc.Warnings[i], w) {
					t.Errorf("warning %d: %q lacks %q", i, doc.Warnings[i], w)
				}
			}
		})
	}
}
