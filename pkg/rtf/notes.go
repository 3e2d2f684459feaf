package rtf

import "github.com/policytext/policytext/pkg/text"

// noteNumbers numbers automatic note marks (\chftn) in the formats the
// document sets (\ftnnar ... \ftnnchi for footnotes, \aftnn... for
// endnotes, \ftnstartN/\aftnstartN); Word's defaults are 1, 2, 3 and
// i, ii, iii. Numbering that restarts per section or page is numbered as
// continuous.
type noteNumbers struct {
	format  [2]string
	next    [2]int
	current string // the mark of the last note referred to
}

func newNoteNumbers() noteNumbers {
	return noteNumbers{format: [2]string{"decimal", "lowerRoman"}, next: [2]int{1, 1}}
}

var noteFormats = map[string]string{"nar": "decimal", "nalc": "lowerLetter", "nauc": "upperLetter",
	"nrlc": "lowerRoman", "nruc": "upperRoman", "nchi": "chicago"}

// setFormat reads \ftnnXX or \aftnnXX.
func (n *noteNumbers) setFormat(word string) {
	kind := 0
	if word[0] == 'a' {
		kind, word = 1, word[1:]
	}
	if f, ok := noteFormats[word[len("ftn"):]]; ok {
		n.format[kind] = f
	}
}

func (n *noteNumbers) setStart(kind, start int) {
	if start >= 0 && start < 1<<20 {
		n.next[kind] = start
	}
}

// number numbers the next note of a kind (0 footnotes, 1 endnotes).
func (n *noteNumbers) number(kind int) string {
	n.current = text.FormatNumber(n.next[kind], n.format[kind])
	n.next[kind]++
	return n.current
}
