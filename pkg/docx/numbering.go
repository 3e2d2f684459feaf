package docx

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"

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

type xmlNumbering struct {
	Abstract []struct {
		ID     string `xml:"abstractNumId,attr"`
		Levels []struct {
			Ilvl    int     `xml:"ilvl,attr"`
			Start   *xmlVal `xml:"start"`
			NumFmt  *xmlVal `xml:"numFmt"`
			LvlText *xmlVal `xml:"lvlText"`
			Suff    *xmlVal `xml:"suff"`
			IsLgl   *xmlVal `xml:"isLgl"`
		} `xml:"lvl"`
	} `xml:"abstractNum"`
	Nums []struct {
		ID        int    `xml:"numId,attr"`
		Abstract  xmlVal `xml:"abstractNumId"`
		Overrides []struct {
			Ilvl  int     `xml:"ilvl,attr"`
			Start *xmlVal `xml:"startOverride"`
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
	if err := xml.NewDecoder(r).Decode(v); err != nil {
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
				lv := &levels[l.Ilvl]
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
				lv.Legal = l.IsLgl != nil && l.IsLgl.Val != "0" && l.IsLgl.Val != "false"
			}
			n.abstract[a.ID] = levels
		}
		for _, d := range x.Nums {
			def := numDef{abstractID: d.Abstract.Val}
			for _, o := range d.Overrides {
				if o.Start != nil {
					if def.starts == nil {
						def.starts = map[int]int{}
					}
					def.starts[o.Ilvl], _ = strconv.Atoi(o.Start.Val)
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
	if levels == nil || ilvl < 0 || ilvl >= len(levels) {
		return ""
	}
	key, err := strconv.ParseInt(def.abstractID, 10, 64)
	if err != nil || def.starts != nil {
		key = -int64(numID) - 1
	}
	return n.counters.Label(key, levels, ilvl, def.starts)
}
