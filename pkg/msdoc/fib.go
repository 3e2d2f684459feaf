package msdoc

import (
	"fmt"
)

// FIB facts; offsets and masks are those of [MS-DOC] 2.5 as read by POI's
// FibBase and antiword's wordole.c (see the package doc).
const (
	identWord97 = 0xA5EC
	identWord6  = 0xA5DC

	fibFlags        = 0x0A
	flagComplex     = 0x0004
	flagEncrypted   = 0x0100
	flagWhichTblStm = 0x0200
	flagExtChar     = 0x1000
	flagObfuscated  = 0x8000
	fibLid          = 0x06
	fibFcMin        = 0x18
	fibFcMac        = 0x1C
	// fibChse: Word 6/95 "character set of the text", 0 for Windows ANSI,
	// 256 for the Macintosh character set (overridden per run by the CHP,
	// which Word for the Macintosh does not do in practice).
	fibChse    = 0x14
	chseMacRom = 256

	nFibWord6First = 101
	nFibWord6Last  = 105

	// Word 6/95 has no csw/cslw/cbRgFcLcb: ccpText sits at 0x34 and the
	// fc/lcb pairs start at 0x58, in the same order as Word 97's FibRgFcLcb.
	word6Ccp      = 0x34
	word6FcLcb    = 0x58
	word6NumPairs = 74
)

// Indexes into FibRgFcLcb97 (POI FIBFieldHandler).
const (
	fcPlcfSed     = 6
	fcPlcfHdd     = 11
	fcPlcfBtePapx = 13
	fcSttbfFfn    = 15
	fcClx         = 33
)

// Indexes of the character counts, in CP order of the stories (FibRgLw97
// from ccpText on; Word 6 uses the same order).
const (
	ccpText = iota
	ccpFtn
	ccpHdd
	ccpMcr
	ccpAtn
	ccpEdn
	ccpTxbx
	ccpHdrTxbx
	numCcp
)

type fib struct {
	nFib      uint16
	word6     bool
	flags     uint16
	lid       uint16
	chse      uint16
	fcMin     uint32
	fcMac     uint32
	ccp       [numCcp]uint32
	fcLcbBase int // offset of the first fc/lcb pair in WordDocument
	numPairs  int
}

func parseFIB(wd []byte) (*fib, error) {
	if len(wd) < 0x20 {
		return nil, fmt.Errorf("%w: WordDocument stream is %d bytes, shorter than a FIB", ErrCorrupt, len(wd))
	}
	f := &fib{}
	ident, _ := u16(wd, 0)
	f.nFib, _ = u16(wd, 2)
	f.lid, _ = u16(wd, fibLid)
	f.flags, _ = u16(wd, fibFlags)
	f.fcMin, _ = u32(wd, fibFcMin)
	f.fcMac, _ = u32(wd, fibFcMac)
	f.chse, _ = u16(wd, fibChse)
	switch {
	case f.nFib < nFibWord6First:
		return nil, fmt.Errorf("%w: Word 2.x or older (nFib %d)", ErrUnsupportedVersion, f.nFib)
	case f.nFib <= nFibWord6Last:
		f.word6 = true
	case ident != identWord97 && ident != identWord6:
		// Far-East Word 6/7 builds use other wIdent values; the nFib is what
		// decides the layout, so only note a clearly foreign signature.
		if f.nFib < 0xC1 {
			return nil, fmt.Errorf("%w: unknown FIB (wIdent 0x%04X, nFib 0x%04X)", ErrUnsupportedVersion, ident, f.nFib)
		}
	}
	if f.flags&flagEncrypted != 0 {
		if f.flags&flagObfuscated != 0 || f.word6 {
			return nil, fmt.Errorf("%w: XOR-obfuscated with a password", ErrEncrypted)
		}
		return nil, fmt.Errorf("%w: RC4-encrypted with a password", ErrEncrypted)
	}
	if f.word6 {
		for i := range f.ccp {
			f.ccp[i], _ = u32(wd, word6Ccp+4*i)
		}
		f.fcLcbBase = word6FcLcb
		f.numPairs = word6NumPairs
		return f, nil
	}
	// Word 97+: step over the variable-length parts instead of trusting the
	// usual offsets (they are fixed in every known writer, but the counts
	// are what the format defines).
	csw, ok := u16(wd, 0x20)
	pos := 0x22 + 2*int(csw)
	cslw, ok2 := u16(wd, pos)
	if !ok || !ok2 || cslw < 11 {
		return nil, fmt.Errorf("%w: FIB too short (csw %d, cslw %d)", ErrCorrupt, csw, cslw)
	}
	lw := pos + 2
	for i := range f.ccp {
		f.ccp[i], _ = u32(wd, lw+4*(3+i)) // FibRgLw97: cbMac, 2 reserved, then ccpText...
	}
	pos = lw + 4*int(cslw)
	cb, ok := u16(wd, pos)
	if !ok || pos+2+8*int(cb) > len(wd) {
		return nil, fmt.Errorf("%w: FIB fc/lcb table runs past the WordDocument stream", ErrCorrupt)
	}
	f.fcLcbBase = pos + 2
	f.numPairs = int(cb)
	return f, nil
}

// word6Gap: the Word 6/95 FIB puts five 16-bit fields (wSpare4Fib,
// pnChpFirst, pnPapFirst, cpnBteChp, cpnBtePap) after its 38th fc/lcb pair,
// so later pairs (the endnote PLCs among them) sit 10 bytes further.
const (
	word6GapAfter = 38
	word6GapSize  = 10
)

// fcLcb returns the fc/lcb pair with the given index, (0, 0) when absent.
func (f *fib) fcLcb(wd []byte, i int) (fc, lcb uint32) {
	if i >= f.numPairs {
		return 0, 0
	}
	off := f.fcLcbBase + 8*i
	if f.word6 && i >= word6GapAfter {
		off += word6GapSize
	}
	fc, _ = u32(wd, off)
	lcb, _ = u32(wd, off+4)
	return fc, lcb
}

func (f *fib) version() string {
	switch {
	case f.word6 && f.nFib <= 102:
		return fmt.Sprintf("Word 6 (nFib %d)", f.nFib)
	case f.word6:
		return fmt.Sprintf("Word 95 (nFib %d)", f.nFib)
	}
	return fmt.Sprintf("Word 97-2003 (nFib 0x%04X)", f.nFib)
}
