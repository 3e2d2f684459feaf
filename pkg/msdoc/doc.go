// Package msdoc extracts the text of Word 97-2003 binary documents (.doc),
// including those written by WPS Office, and of Word 6/95 documents, in
// pure Go on top of github.com/richardlehane/mscfb.
//
// It is a pure parser: it reads an io.ReaderAt of known size and does no
// other I/O. The result is a [text.Document]: the main body first, then
// headers, footers, footnotes, endnotes, comments and text boxes as separate
// stories, with tables as rows of cells. See package text for the plain-text
// conventions (one line per paragraph, table cells joined by TAB, a manual
// line break is "\n", page and section breaks produce nothing).
//
// How the text is found ([MS-DOC], checked against POI, LibreOffice and
// antiword):
//
//   - Only root-level streams are used (embedded documents in ObjectPool
//     have their own WordDocument), and stream names are compared without
//     regard to case.
//   - The FIB is read by stepping over csw/cslw/cbRgFcLcb; the table stream
//     is 0Table or 1Table as fWhichTblStm says. fComplex (fast save) is not
//     an error: WPS sets it on every save, and the piece table is always
//     used.
//   - The piece table (Clx) maps character positions to bytes: 8-bit pieces
//     are cp1252 (bit 30 of the offset), others UTF-16LE.
//   - Paragraph marks end paragraphs; cell marks and the PAPX properties
//     sprmPFInTable/sprmPFTtp/sprmPItap (from the FKP pages) give cells,
//     rows and nested tables; old-style horizontally merged cells count
//     once. Fields keep their result and drop their instructions, nested
//     ones too. Pictures, object anchors and comment references are
//     dropped; a non-breaking hyphen becomes U+2011, a soft hyphen
//     disappears. A
//     line feed (never Word's, but some converters write one for the
//     paragraph mark) ends a paragraph where the paragraph properties end
//     their run, and shows nothing elsewhere.
//   - Automatic footnote and endnote marks (0x02) are numbered as the text
//     package doc says ("Note reference marks"): from PlcffndRef/PlcfendRef
//     (FRD nAuto: automatic or custom), PlcffndTxt/PlcfendTxt (where each
//     note's text starts), the Dop (first number, restart, format; the
//     Word 97 Dop's full-width formats win over its 4-bit copies) and the
//     sections' own sprmSRncFtn/sprmSNFtn/sprmSNfcFtnRef and endnote
//     counterparts.
//   - Symbols: a character inserted as a symbol (sprmCSymbol) is its own
//     code in its font, and characters in a run whose direct formatting
//     names a symbol font (Symbol, Wingdings, ...) are mapped through that
//     font with codepage.SymbolRune; list labels likewise through the font
//     of their level. A font that only a style sets is not seen.
//   - Word 6/95 keeps its FIB, Clx and piece table in WordDocument
//     (fcClx at 0x160); its piece offsets are plain byte offsets. Text is
//     8-bit in the document's code page, found from the font charsets, the
//     FIB's chse (256: Word for the Macintosh, Mac Roman) and the FIB
//     language (GBK for Chinese), decoded with golang.org/x/text. Files
//     saved by the Far East builds with fExtChar hold 16-bit units
//     instead: a double-byte character of the Far East code page, or one
//     byte in the low half (the high half of those is stale and ignored).
//
// Damaged sector chains: a stream whose FAT chain comes back to a sector it
// has already given (a cycle) or ends before the stream's size keeps the
// bytes of the sectors read before the damage, no sector twice, and the
// document reports the damage in [text.Document.Warnings] instead of
// failing, as LibreOffice recovers such files:
//
//   - a damaged table stream that lost the piece table: the text is read
//     as Word stored it before any fast save, one run from fcMin (8-bit
//     unless fcMac leaves room for 16-bit); other structures it lost (list
//     definitions, note positions, fonts) are simply absent;
//   - a damaged WordDocument stream: the characters whose bytes are gone
//     read as nothing; when no text is left at all, Extract fails with
//     ErrCorrupt and says why.
//
// Memory stays bounded by the file size; the set of sectors seen is at most
// the number of sectors in the file.
//
// Errors wrap one of the sentinels (ErrEmpty, ErrNotWord, ErrEncrypted,
// ErrUnsupportedVersion, ErrTruncated, ErrCorrupt, ErrTooLarge). Every
// allocation is bounded by the input size (a stream cannot claim more bytes
// than the file has) and Options caps input and output.
package msdoc
