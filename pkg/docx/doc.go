// Package docx extracts the text of WordprocessingML documents (.docx,
// .docm, .dotx, Strict and Transitional OOXML) and of Word 2003 XML files
// (ExtractWordML) into the shared document model, package text.
//
// It is a pure parser: it reads an io.ReaderAt of known size and does no
// other I/O. The package is opened with archive/zip, every part checked
// against Options before it is inflated (zip bombs, parts that lie about
// their size); the main part goes through github.com/nguyenthenguyen/docx
// when the package has the usual layout (its copy accepted only when size
// and CRC-32 match), and every part is then read by our own streaming walk
// over encoding/xml tokens, so memory stays bounded by the largest part.
// The result has the body first, then headers and footers in the order the
// sections name them, footnotes, endnotes, comments and text boxes as
// separate stories; see package text for the plain-text conventions.
//
// What the walk reads, as Word shows the document:
//
//   - Namespaces are matched by URI, never by prefix; only the first branch
//     of mc:AlternateContent is followed (text boxes are not doubled).
//   - Tracked changes: insertions kept, deletions (and a deleted paragraph
//     mark, which joins two paragraphs) dropped; moves kept where they go.
//   - Fields keep their result and drop their instructions. A field
//     without a result shows nothing, except MACROBUTTON, which shows its
//     display text (template placeholders such as "[Click here]").
//     Content controls (w:sdt) show their content, which is the
//     placeholder text Word displays while w:showingPlcHdr is set.
//   - List labels are generated from numbering.xml and the paragraph
//     styles: w:num → w:abstractNum → w:lvl (start, numFmt, lvlText, suff,
//     isLgl, lvlRestart), w:lvlOverride with w:startOverride (the instance
//     restarts and counts on its own) or its own w:lvl (a replaced level,
//     numbered with the list's counters).
//   - Symbols: a w:sym is its code in its font, and characters in a run
//     whose direct formatting names a symbol font for their range
//     (w:rFonts ascii for U+0000-U+007F, hAnsi for the rest, the private
//     use F0xx codes included) are codes in that font, both mapped to
//     Unicode with
//     codepage.SymbolRune (Symbol F0B7 is "•", Wingdings F0A7 "▪"); list
//     labels likewise through the font of their level, and Word's default
//     "o" bullet in Courier New is "◦". A font that only a style sets is
//     not seen (as in package msdoc).
//   - Note reference marks (text package doc): each w:footnoteReference
//     and w:endnoteReference shows the next number of its kind in the
//     format of settings.xml (w:footnotePr, w:endnotePr; Word's defaults
//     1, 2, 3 and i, ii, iii); one with w:customMarkFollows shows only the
//     mark typed after it. In the notes stories each note's w:footnoteRef
//     or w:endnoteRef shows the same number, followed by exactly one space.
//
// Malformed XML: a part that is not well-formed is refused with
// ErrMalformedXML, except for two slips with only one possible meaning,
// which are repaired while streaming, as pandoc and docx2txt read them:
// white space between "/" and ">" of an empty-element tag (`<w:i/ >`), and
// an "&" that starts no character or entity reference (a bare `R&D`, read
// as "&amp;"; likewise a "<" inside an attribute value). A mismatched or
// unclosed tag, a truncated part or an undefined entity is still an error.
//
// Errors wrap one of the sentinels (ErrEmpty, ErrNotZip, ErrNotWord,
// ErrMissingPart, ErrMalformedXML, ErrTooLarge, ErrCorrupt); a panic inside
// the parser is recovered and reported as ErrCorrupt.
package docx
