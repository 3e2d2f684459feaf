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
	// HasRestartLimit and RestartLimit narrow when the level restarts
	// (.doc LVLF fNoRestart/ilvlRestartLim, .docx w:lvlRestart): only when
	// a level numbered below RestartLimit (0-based) advances; 0 means never.
	// Without a limit, any higher level restarts it.
	HasRestartLimit bool
	RestartLimit    int
}

// ListCounters numbers list paragraphs in document order. Counters are kept
// per key: the caller passes the list identity (a .doc lsid, a .docx
// abstractNum), or the instance when it restarts numbering.
type ListCounters struct {
	counters map[int64]*listCounter
}

// listCounter is the current number of each level; a level that has not
// been used since it last restarted is unset (its number may be 0, so
// "unset" cannot be a value).
type listCounter struct {
	n   [MaxListLevels]int
	set [MaxListLevels]bool
}

// Label advances the counter of level ilvl of the list and returns the
// paragraph's label ("" when the level's pattern renders to nothing).
// starts overrides the start of levels (nil for none).
//
// Word's rules: the first paragraph of a level takes the level's start,
// each further one the next number; a paragraph restarts the deeper levels
// (those without a restart limit, or whose limit is above its level). A
// paragraph counts as a use of every higher level not used yet, at its
// start: "2", then a level-3 item "2.a.I", then a level-2 item is "2.b".
// A bullet level shows no number inside another level's pattern.
func (lc *ListCounters) Label(key int64, levels []ListLevel, ilvl int, starts map[int]int) string {
	if len(levels) == 0 || ilvl < 0 {
		return ""
	}
	ilvl = min(ilvl, len(levels)-1, MaxListLevels-1)
	if lc.counters == nil {
		lc.counters = map[int64]*listCounter{}
	}
	c := lc.counters[key]
	if c == nil {
		c = new(listCounter)
		lc.counters[key] = c
	}
	start := func(l int) int {
		if s, ok := starts[l]; ok {
			return s
		}
		return levels[l].Start
	}
	if c.set[ilvl] {
		c.n[ilvl]++
	} else {
		c.n[ilvl], c.set[ilvl] = start(ilvl), true
	}
	for l := 0; l < ilvl; l++ {
		if !c.set[l] {
			c.n[l], c.set[l] = start(l), true
		}
	}
	for l := ilvl + 1; l < len(levels) && l < MaxListLevels; l++ {
		if !levels[l].HasRestartLimit || ilvl < levels[l].RestartLimit {
			c.set[l] = false
		}
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
		if !c.set[l] { // a deeper level in the pattern: its start
			b.WriteString(FormatNumber(start(l), levels[l].Format))
			continue
		}
		format := levels[l].Format
		switch {
		case l != ilvl && format == "bullet":
			continue
		case lvl.Legal:
			format = "decimal"
		}
		b.WriteString(FormatNumber(c.n[l], format))
	}
	if b.Len() == 0 {
		return ""
	}
	return b.String() + lvl.Follow
}
