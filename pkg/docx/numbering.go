package docx

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/policytext/policytext/pkg/codepage"
	"github.com/policytext/policytext/pkg/text"
)

// numbering renders list labels from numbering.xml and the paragraph
// styles of styles.xml: w:numPr (numId, ilvl) → w:num → w:abstractNum →
// w:lvl (start, numFmt, lvlText "%1.", suff), with w:startOverride and
// style-inherited numbering. A nil *numbering renders no labels.
type numbering struct {
	abstract     map[string][]text.ListLevel
	nums         map[int]numDef
	styles       map[string]styleDef
	defaultStyle string
	counters     text.ListCounters
}

type numDef struct {
	abstractID string
	starts     map[int]int
	// levels replaces the abstract list's levels where a w:lvlOverride
	// carries its own w:lvl; nil when the instance only restarts levels.
	levels []text.ListLevel
}

// level reads one w:lvl. The label's characters are drawn in the level's
// font: a symbol font maps them to Unicode (Symbol's U+F0B7 is "•",
// Wingdings' U+F0A7 "▪"), and Word's default second-level bullet, the
// letter "o" in Courier New, is the hollow bullet it looks like, "◦"
// (U+25E6), as LibreOffice renders it (the same rule as package msdoc).
func (l xmlLvl) level() text.ListLevel {
	lv := text.ListLevel{Start: 1, Format: "decimal", Follow: " "}
	if l.Start != nil {
		lv.Start, _ = strconv.Atoi(l.Start.Val)
	}
	if l.NumFmt != nil {
		lv.Format = l.NumFmt.Val
	}
	if l.LvlText != nil {
		lv.Pattern = lvlPattern(l.LvlText.Val)
	}
	if l.Suff != nil && l.Suff.Val == "nothing" {
		lv.Follow = "" // "tab" (the default) and "space" read as a space
	}
	lv.Legal = l.IsLgl != nil && onOff(l.IsLgl.Val)
	if l.Restart != nil {
		if v, err := strconv.Atoi(l.Restart.Val); err == nil && v >= 0 {
			// w:lvlRestart is 1-based: restart after level v; 0: never
			lv.HasRestartLimit, lv.RestartLimit = true, v
		}
	}
	font := ""
	if l.Fonts != nil {
		font = cmp.Or(l.Fonts.ASCII, l.Fonts.HAnsi)
		if codepage.IsSymbolFont(l.Fonts.HAnsi) {
			font = l.Fonts.HAnsi
		}
	}
	for i, r := range lv.Pattern {
		if r < text.MaxListLevels {
			continue
		}
		if m, ok := codepage.SymbolRune(font, r); ok && m != 0 {
			lv.Pattern[i] = m
		}
	}
	if lv.Format == "bullet" && string(lv.Pattern) == "o" && strings.EqualFold(font, "Courier New") {
		lv.Pattern = []rune{'◦'}
	}
	return lv
}

type styleDef struct {
	basedOn         string
	numID, ilvl     int
	hasNum, hasIlvl bool
}

// xml shapes of the two parts; only what labels need.
type xmlVal struct {
	Val string `xml:"val,attr"`
}

type xmlLvl struct {
	Ilvl    int     `xml:"ilvl,attr"`
	Start   *xmlVal `xml:"start"`
	NumFmt  *xmlVal `xml:"numFmt"`
	LvlText *xmlVal `xml:"lvlText"`
	Suff    *xmlVal `xml:"suff"`
	IsLgl   *xmlVal `xml:"isLgl"`
	Restart *xmlVal `xml:"lvlRestart"`
	Fonts   *struct {
		ASCII string `xml:"ascii,attr"`
		HAnsi string `xml:"hAnsi,attr"`
	} `xml:"rPr>rFonts"`
}

type xmlNumbering struct {
	Abstract []struct {
		ID     string   `xml:"abstractNumId,attr"`
		Levels []xmlLvl `xml:"lvl"`
	} `xml:"abstractNum"`
	Nums []struct {
		ID        int    `xml:"numId,attr"`
		Abstract  xmlVal `xml:"abstractNumId"`
		Overrides []struct {
			Ilvl  int     `xml:"ilvl,attr"`
			Start *xmlVal `xml:"startOverride"`
			Lvl   *xmlLvl `xml:"lvl"`
		} `xml:"lvlOverride"`
	} `xml:"num"`
}

type xmlStyles struct {
	Styles []struct {
		Type    string  `xml:"type,attr"`
		ID      string  `xml:"styleId,attr"`
		Default string  `xml:"default,attr"`
		BasedOn *xmlVal `xml:"basedOn"`
		NumPr   *struct {
			NumID *xmlVal `xml:"numId"`
			Ilvl  *xmlVal `xml:"ilvl"`
		} `xml:"pPr>numPr"`
	} `xml:"style"`
}

func decodePart(r io.Reader, name string, v any) error {
	if err := xml.NewDecoder(newLenientReader(r)).Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformedXML, name, err)
	}
	return nil
}

// readNumbering reads numbering.xml and styles.xml (either may be nil).
func readNumbering(num, styles io.Reader, numName, stylesName string) (*numbering, error) {
	n := &numbering{abstract: map[string][]text.ListLevel{}, nums: map[int]numDef{}, styles: map[string]styleDef{}}
	if num != nil {
		var x xmlNumbering
		if err := decodePart(num, numName, &x); err != nil {
			return nil, err
		}
		for _, a := range x.Abstract {
			levels := make([]text.ListLevel, text.MaxListLevels)
			for i := range levels {
				levels[i] = text.ListLevel{Start: 1, Format: "decimal", Follow: " "}
			}
			for _, l := range a.Levels {
				if l.Ilvl < 0 || l.Ilvl >= text.MaxListLevels {
					continue
				}
				levels[l.Ilvl] = l.level()
			}
			n.abstract[a.ID] = levels
		}
		for _, d := range x.Nums {
			def := numDef{abstractID: d.Abstract.Val}
			for _, o := range d.Overrides {
				if o.Ilvl < 0 || o.Ilvl >= text.MaxListLevels {
					continue
				}
				if o.Start != nil {
					if def.starts == nil {
						def.starts = map[int]int{}
					}
					def.starts[o.Ilvl], _ = strconv.Atoi(o.Start.Val)
				}
				if o.Lvl != nil {
					// a replaced level: this instance's own definition
					// of the level, numbered with the list's counters
					if def.levels == nil {
						def.levels = make([]text.ListLevel, text.MaxListLevels)
						copy(def.levels, n.abstract[def.abstractID])
					}
					def.levels[o.Ilvl] = o.Lvl.level()
				}
			}
			n.nums[d.ID] = def
		}
	}
	if styles != nil {
		var x xmlStyles
		if err := decodePart(styles, stylesName, &x); err != nil {
			return nil, err
		}
		for _, s := range x.Styles {
			if s.Type != "paragraph" {
				continue
			}
			var d styleDef
			if s.BasedOn != nil {
				d.basedOn = s.BasedOn.Val
			}
			if s.NumPr != nil {
				if s.NumPr.NumID != nil {
					d.numID, _ = strconv.Atoi(s.NumPr.NumID.Val)
					d.hasNum = true
				}
				if s.NumPr.Ilvl != nil {
					d.ilvl, _ = strconv.Atoi(s.NumPr.Ilvl.Val)
					d.hasIlvl = true
				}
			}
			n.styles[s.ID] = d
			if s.Default == "1" || s.Default == "true" {
				n.defaultStyle = s.ID
			}
		}
	}
	return n, nil
}

// lvlPattern turns "%1.%2、" into the placeholder form of text.ListLevel.
func lvlPattern(s string) []rune {
	rs := []rune(s)
	out := make([]rune, 0, len(rs))
	for i := 0; i < len(rs); i++ {
		if rs[i] == '%' && i+1 < len(rs) && rs[i+1] >= '1' && rs[i+1] <= '9' {
			out = append(out, rs[i+1]-'1')
			i++
			continue
		}
		out = append(out, rs[i])
	}
	return out
}

func (n *numbering) label(p paraProps) string {
	if n == nil || len(n.nums) == 0 {
		return ""
	}
	numID, ilvl, hasNum, hasIlvl := p.numID, p.ilvl, p.hasNum, p.hasIlvl
	style := p.style
	if style == "" {
		style = n.defaultStyle
	}
	for depth := 0; (!hasNum || !hasIlvl) && style != "" && depth < 16; depth++ {
		s, ok := n.styles[style]
		if !ok {
			break
		}
		if !hasNum && s.hasNum {
			numID, hasNum = s.numID, true
		}
		if !hasIlvl && s.hasIlvl {
			ilvl, hasIlvl = s.ilvl, true
		}
		style = s.basedOn
	}
	if !hasNum || numID == 0 {
		return ""
	}
	def, ok := n.nums[numID]
	if !ok {
		return ""
	}
	levels := n.abstract[def.abstractID]
	if def.levels != nil {
		levels = def.levels
	}
	if levels == nil || ilvl < 0 || ilvl >= len(levels) {
		return ""
	}
	key, err := strconv.ParseInt(def.abstractID, 10, 64)
	if err != nil || def.starts != nil {
		key = -int64(numID) - 1
	}
	return n.counters.Label(key, levels, ilvl, def.starts)
}
