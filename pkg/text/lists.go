package text

import "strings"

// MaxListLevels is the number of levels a Word list has.
const MaxListLevels = 9

// ListLevel describes one level of an automatically numbered list, the
// same for .doc (LVL) and .docx (w:lvl).
type ListLevel struct {
	Start  int
	Format string // OOXML number format name, see FormatNumber
	// Pattern is the label; runes 0..8 stand for the current number of
	// that level ("%1." in .docx is {0, '.'}).
	Pattern []rune
	Follow  string // what separates the label from the text
	Legal   bool   // all numbers in decimal
}

// ListCounters numbers list paragraphs in document order. Counters are kept
// per key: the caller passes the list identity (a .doc lsid, a .docx
// abstractNum), or the instance when it restarts numbering.
type ListCounters struct {
	counters map[int64]*[MaxListLevels]int
}

// Label advances the counter of level ilvl of the list and returns the
// paragraph's label ("" when the level's pattern renders to nothing).
// starts overrides the start of levels (nil for none). Deeper levels
// restart.
func (lc *ListCounters) Label(key int64, levels []ListLevel, ilvl int, starts map[int]int) string {
	if len(levels) == 0 || ilvl < 0 {
		return ""
	}
	ilvl = min(ilvl, len(levels)-1, MaxListLevels-1)
	if lc.counters == nil {
		lc.counters = map[int64]*[MaxListLevels]int{}
	}
	c := lc.counters[key]
	if c == nil {
		c = new([MaxListLevels]int)
		lc.counters[key] = c
	}
	start := func(l int) int {
		if s, ok := starts[l]; ok {
			return s
		}
		return levels[l].Start
	}
	if c[ilvl] == 0 {
		c[ilvl] = start(ilvl)
	} else {
		c[ilvl]++
	}
	for l := ilvl + 1; l < MaxListLevels; l++ {
		c[l] = 0
	}
	lvl := levels[ilvl]
	var b strings.Builder
	for _, r := range lvl.Pattern {
		if r >= MaxListLevels {
			if r >= 0xF000 && r <= 0xF0FF { // Symbol/Wingdings bullet
				r = '•'
			}
			b.WriteRune(r)
			continue
		}
		l := int(r)
		if l >= len(levels) {
			continue
		}
		n := c[l]
		if n == 0 {
			n = start(l)
		}
		format := levels[l].Format
		if lvl.Legal {
			format = "decimal"
		}
		b.WriteString(FormatNumber(n, format))
	}
	if b.Len() == 0 {
		return ""
	}
	return b.String() + lvl.Follow
}
