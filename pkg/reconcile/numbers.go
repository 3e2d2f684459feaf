package reconcile

// Numbers: a difference that cuts into a number is widened to the whole
// number on both sides, and only a difference that is itself numbers is
// tagged numeric (the package doc states the rules).

// maxNumberLen bounds a number (figures and unit): a longer run of figures
// is a code or a table of digits, not an amount, and the bound keeps every
// look-up O(1) however long the run.
const maxNumberLen = 40

// numeral reports whether r is a figure: an ASCII digit (full-width digits
// are ASCII after NFKC) or a Chinese numeral, financial forms included.
func numeral(r rune) bool {
	if r >= '0' && r <= '9' {
		return true
	}
	if r < 0x3007 {
		return false
	}
	switch r {
	case '〇', '零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '百', '千', '万', '亿', '两',
		'壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖', '拾', '佰', '仟':
		return true
	}
	return false
}

// unit reports whether r, right after a number's figures, belongs to the
// number: money, percentages, multiples and the parts of a date. 万 and 亿
// are figures already, so 万元 and 亿元 are figures plus 元.
func unit(r rune) bool {
	switch r {
	case '元', '%', '‰', '倍', '年', '月', '日':
		return true
	}
	return false
}

func (n *normalized) digit(i int) bool {
	return i >= 0 && i < len(n.runes) && n.runes[i] >= '0' && n.runes[i] <= '9'
}

// joined reports whether runes i-1 and i stand next to each other in the
// original text: no space, TAB or line break that normalisation dropped
// lies between them (a number is written in one piece).
func (n *normalized) joined(i int) bool {
	return i > 0 && i < len(n.runes) && n.origin[i]-n.origin[i-1] <= 1
}

// figure reports whether rune i is part of a number's figures: a numeral,
// a decimal point between two digits, or a thousands separator (',' and
// '，', which NFKC makes ',') between a digit and exactly three digits.
func (n *normalized) figure(i int) bool {
	switch r := n.runes[i]; {
	case numeral(r):
		return true
	case r == '.':
		return n.digit(i-1) && n.joined(i) && n.digit(i+1) && n.joined(i+1)
	case r == ',':
		if !n.digit(i-1) || !n.joined(i) {
			return false
		}
		for k := i + 1; k <= i+3; k++ {
			if !n.digit(k) || !n.joined(k) {
				return false
			}
		}
		return !n.digit(i+4) || !n.joined(i+4)
	}
	return false
}

// number returns the number rune i belongs to, as [start,end): its figures
// and the unit that directly follows them. ok is false when rune i is in no
// number, or in a run of figures longer than maxNumberLen.
func (n *normalized) number(i int) (start, end int, ok bool) {
	if i < 0 || i >= len(n.runes) {
		return 0, 0, false
	}
	end = -1
	switch {
	case unit(n.runes[i]):
		if !n.joined(i) || !n.figure(i-1) {
			return 0, 0, false
		}
		end = i + 1
		i--
	case !n.figure(i):
		return 0, 0, false
	}
	start = i
	for n.joined(start) && n.figure(start-1) {
		if start--; i-start >= maxNumberLen {
			return 0, 0, false
		}
	}
	if end < 0 {
		end = i + 1
		for end < len(n.runes) && n.joined(end) && n.figure(end) {
			if end++; end-start > maxNumberLen {
				return 0, 0, false
			}
		}
		if end < len(n.runes) && n.joined(end) && unit(n.runes[end]) {
			end++
		}
	}
	return start, end, true
}

// grow returns how far span [i,j) must grow to the left and to the right so
// that its edges cut no number. An empty span (text only the other side
// has) grows only when it lies inside a number.
func (n *normalized) grow(i, j int) (left, right int) {
	if i < j {
		if s, _, ok := n.number(i); ok && s < i {
			left = i - s
		}
		if _, e, ok := n.number(j - 1); ok && e > j {
			right = e - j
		}
		return left, right
	}
	if s, e, ok := n.number(i - 1); ok && e > i {
		return i - s, e - i
	}
	return 0, 0
}

// onlyNumbers reports whether span [i,j) is one or more whole numbers and
// nothing else, and whether each of them is certain (see certain).
func (n *normalized) onlyNumbers(i, j int) (only, allCertain bool) {
	if i >= j {
		return false, false
	}
	allCertain = true
	for p := i; p < j; {
		s, e, ok := n.number(p)
		if !ok || s != p || e > j {
			return false, false
		}
		allCertain = allCertain && n.certain(s, e)
		p = e
	}
	return true, allCertain
}

// certain reports whether number [s,e) is surely a number: it has a digit,
// a unit or two numerals. A lone Chinese numeral is as often part of a word
// (统一, 进一步, 百姓, 十分) as a number.
func (n *normalized) certain(s, e int) bool {
	if unit(n.runes[e-1]) || e-s >= 2 {
		return true
	}
	return n.digit(s)
}

// countNumbers counts the certain numbers that span [i,j) holds, a number
// cut by an edge of the span included.
func (n *normalized) countNumbers(i, j int) int {
	c := 0
	for p := i; p < j; {
		s, e, ok := n.number(p)
		if !ok {
			p++
			continue
		}
		if n.certain(s, e) {
			c++
		}
		p = max(e, p+1)
	}
	return c
}

// wholeNumbers grows every hunk whose edge cuts a number, and merges hunks
// that then overlap or touch. Between two hunks both texts are equal once
// normalised, so a hunk grows on both sides by the same amounts and the
// sides stay aligned; a growth that would reach the neighbouring hunk merges
// the two instead (their union is aligned too) and grows again. A truncated
// tail (the last hunk when tail is set) stays as it is: it starts where the
// short side stops, wherever that is, and nothing grows into it.
func wholeNumbers(hunks []hunk, a, w *side, tail bool) []hunk {
	endA, endW := len(a.all.runes), len(w.all.runes)
	body := hunks
	if tail {
		t := hunks[len(hunks)-1]
		endA, endW = t.a0, t.w0
		body = hunks[:len(hunks)-1]
	}
	out := make([]hunk, 0, len(hunks))
	for i := 0; i < len(body); i++ {
		h := body[i]
		for {
			la, ra := a.all.grow(h.a0, h.a1)
			lw, rw := w.all.grow(h.w0, h.w1)
			l, r := max(la, lw), max(ra, rw)
			if l == 0 && r == 0 {
				break
			}
			roomL, roomR := min(h.a0, h.w0), min(endA-h.a1, endW-h.w1)
			if n := len(out); n > 0 {
				if roomL = h.a0 - out[n-1].a1; l >= roomL {
					h = union(out[n-1], h)
					out = out[:n-1]
					continue
				}
			}
			if i+1 < len(body) {
				if roomR = body[i+1].a0 - h.a1; r >= roomR {
					i++
					h = union(h, body[i])
					continue
				}
			}
			l, r = min(l, roomL), min(r, roomR)
			if l == 0 && r == 0 {
				break
			}
			h.a0, h.w0, h.a1, h.w1 = h.a0-l, h.w0-l, h.a1+r, h.w1+r
		}
		out = append(out, h)
	}
	if tail {
		out = append(out, hunks[len(hunks)-1])
	}
	return out
}

// union is the hunk from the start of x to the end of y (x before y).
func union(x, y hunk) hunk { return hunk{x.a0, y.a1, x.w0, y.w1} }

// numeric reports whether hunk h is a number changed, added or removed:
// each side is whole numbers only, or empty; a number only one side has
// must be certain.
func numeric(h hunk, a, w *side) bool {
	onlyA, certainA := a.all.onlyNumbers(h.a0, h.a1)
	onlyW, certainW := w.all.onlyNumbers(h.w0, h.w1)
	switch {
	case h.a0 == h.a1:
		return onlyW && certainW
	case h.w0 == h.w1:
		return onlyA && certainA
	}
	return onlyA && onlyW
}
