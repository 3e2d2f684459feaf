package msdoc

import "sort"

const (
	fcPlcfBteChpx  = 12
	sprmCFRMarkDel = 0x0800 // tracked deletion
)

// fcRange is a half-open range of WordDocument byte offsets.
type fcRange struct{ a, b uint32 }

// parseDeletions returns the character runs that carry a tracked deletion
// (sprmCFRMarkDel), from PlcfBteChpx and its CHPX FKP pages. Deleted text
// is still in the text stream; dropping it gives the text as accepted,
// the same rule the .docx extractor applies to w:del.
func parseDeletions(wd, plc []byte) []fcRange {
	if len(plc) < 8 {
		return nil
	}
	n := (len(plc) - 4) / 8
	var out []fcRange
	seen := make(map[uint32]bool, n)
	for i := 0; i < n; i++ {
		pn, _ := u32(plc, 4*(n+1)+4*i)
		pn &= 0x3FFFFF
		off := int64(pn) * fkpSize
		if seen[pn] || off+fkpSize > int64(len(wd)) {
			continue
		}
		seen[pn] = true
		page := wd[off : off+fkpSize]
		crun := int(page[fkpSize-1])
		if 4*(crun+1)+crun > fkpSize-1 {
			continue
		}
		for j := 0; j < crun; j++ {
			bOff := 2 * int(page[4*(crun+1)+j])
			if bOff == 0 || bOff >= fkpSize-1 {
				continue
			}
			cb := int(page[bOff])
			if bOff+1+cb > fkpSize {
				continue
			}
			deleted := false
			walkSprms(page[bOff+1:bOff+1+cb], func(op uint16, arg []byte) {
				if op == sprmCFRMarkDel {
					deleted = arg[0] != 0
				}
			})
			if deleted {
				a, _ := u32(page, 4*j)
				b, _ := u32(page, 4*j+4)
				if b > a {
					out = append(out, fcRange{a, b})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].a < out[j].a })
	return out
}

// isDeleted reports whether the character at cp is a tracked deletion.
func (p *parser) isDeleted(cp uint32) bool {
	if len(p.deletions) == 0 {
		return false
	}
	fc, ok := fcOf(p.pieces, cp)
	if !ok {
		return false
	}
	i := sort.Search(len(p.deletions), func(i int) bool { return p.deletions[i].b > fc })
	return i < len(p.deletions) && p.deletions[i].a <= fc
}
