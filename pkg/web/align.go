package web

import (
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/policytext/policytext/pkg/reconcile"
)

// The diff view puts two texts side by side, aligned by paragraph: one
// row per pair of paragraphs, a paragraph only one side has facing a
// marked gap, the report's differences highlighted inside their
// paragraphs. The alignment is made here, from the texts (their
// paragraphs compared once white space, width and case are folded), and
// the highlights come from the report's rune ranges, so what is marked is
// exactly what the report says, and rows line up even where the report
// has nothing to say (a page number the comparison ignored).

// diffView is everything the page shows of one comparison.
type diffView struct {
	Left, Right string // the sides' names: "Attachment", "Web page"
	Summary     string // the answer in one line
	Blocks      []block
	Items       []item
	// Consistent: the report's ranges fit the texts shown; when not (the
	// texts changed since the report), rows are aligned but not marked.
	Consistent bool
}

// block is a run of rows shown as they are, or folded away (unchanged
// paragraphs) in a <details> that opens without script.
type block struct {
	Rows   []pairRow
	Folded bool
}

// pairRow is one row of the view: a paragraph of each side, or one
// paragraph facing a gap.
type pairRow struct {
	Anchors     []string // ids of the differences that start here
	LeftNo      int      // 1-based paragraph number; 0 for a gap
	RightNo     int
	Left, Right template.HTML
	Kind        string // same, changed, left, right, ignored, layout
	GapL, GapR  bool
	// the sides' names, shown where the rows stack (narrow screens)
	LeftName, RightName string
	leftP, rightP       int // paragraph index, -1 for a gap
}

// item is one difference in the list, with its context on both sides.
type item struct {
	N        int
	Anchor   string
	Type     string
	Label    string
	Numeric  bool
	Numbers  int
	Left     template.HTML
	Right    template.HTML
	LeftRaw  string
	RightRaw string
}

// para is a non-blank line of a text: its rune range and its folded form.
type para struct {
	s, e int
	key  string
}

// paragraphs splits text into its non-blank lines.
func paragraphs(text []rune) []para {
	var out []para
	start := 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) && text[i] != '\n' {
			continue
		}
		if k := foldKey(text[start:i]); k != "" {
			out = append(out, para{s: start, e: i, key: k})
		}
		start = i + 1
	}
	return out
}

// foldKey is a paragraph as compared for alignment: white space and
// invisible characters dropped, width and case folded.
func foldKey(r []rune) string {
	var b strings.Builder
	for _, c := range r {
		if unicode.IsSpace(c) || unicode.Is(unicode.Cf, c) {
			continue
		}
		b.WriteRune(foldRune(c))
	}
	return b.String()
}

// labels name the two sides and their differences in the summary.
type labels struct {
	left, right string
	// leftIn, rightIn name the sides in a difference's label
	leftIn, rightIn string
	// subject of the summary ("The web text"), and how it speaks of the
	// left side ("the attachment")
	subject, object string
	history         bool
}

var reconcileLabels = labels{left: "Attachment", right: "Web page (policyText)", leftIn: "in the attachment", rightIn: "on the web page",
	subject: "The web text", object: "the attachment"}
var historyLabels = labels{left: "Earlier version", right: "Later version", leftIn: "in the earlier version", rightIn: "in the later version",
	subject: "The later web text", object: "the earlier one", history: true}

// foldAfter: unchanged runs longer than this are folded, keeping
// foldContext rows visible on each side of a change.
const (
	foldAfter   = 6
	foldContext = 2
)

// newDiffView aligns left and right and marks rep's differences (attachment
// ranges on the left, web ranges on the right).
func newDiffView(left, right string, rep reconcile.Report, lb labels) *diffView {
	lr, rr := []rune(left), []rune(right)
	v := &diffView{Left: lb.left, Right: lb.right, Consistent: consistent(lr, rr, rep)}
	lp, rp := paragraphs(lr), paragraphs(rr)
	pairs := alignParas(lp, rp)
	var diffs []reconcile.Difference
	if v.Consistent {
		diffs = rep.Differences
	}
	lspans, rspans := sideSpans(diffs, lp, rp, true), sideSpans(diffs, lp, rp, false)
	rows := make([]pairRow, len(pairs))
	rowOfL, rowOfR := make([]int, len(lp)), make([]int, len(rp))
	for i, pr := range pairs {
		row := pairRow{leftP: pr[0], rightP: pr[1], LeftName: lb.left, RightName: lb.right}
		marked := false
		if pr[0] >= 0 {
			p := lp[pr[0]]
			var m bool
			row.Left, m = markPara(lr, p.s, p.e, lspans, "a")
			marked = marked || m
			row.LeftNo, rowOfL[pr[0]] = pr[0]+1, i
		} else {
			row.GapL = true
		}
		if pr[1] >= 0 {
			p := rp[pr[1]]
			var m bool
			row.Right, m = markPara(rr, p.s, p.e, rspans, "w")
			marked = marked || m
			row.RightNo, rowOfR[pr[1]] = pr[1]+1, i
		} else {
			row.GapR = true
		}
		switch {
		case row.GapR && marked:
			row.Kind = "left"
		case row.GapL && marked:
			row.Kind = "right"
		case row.GapL || row.GapR:
			row.Kind = "ignored" // one-sided, yet no difference: a line the comparison ignores
		case marked:
			row.Kind = "changed"
		case pr[2] == 1:
			row.Kind = "same"
		default:
			row.Kind = "layout" // the same words, split or spaced otherwise
		}
		rows[i] = row
	}
	order := numericFirst(diffs)
	for n, di := range order {
		d := diffs[di]
		anchor := "d" + strconv.Itoa(n+1)
		r := rowOf(d, lp, rp, rowOfL, rowOfR)
		if r >= 0 {
			rows[r].Anchors = append(rows[r].Anchors, anchor)
		}
		v.Items = append(v.Items, newItem(n+1, anchor, d, lr, rr, lb))
	}
	v.Blocks = fold(rows)
	v.Summary = summary(rep, diffs, lp, rp, lb, v.Consistent)
	return v
}

// consistent checks that every range of the report cuts the texts where
// the report says.
func consistent(lr, rr []rune, rep reconcile.Report) bool {
	for _, d := range rep.Differences {
		a, w := d.AttachmentRange, d.WebRange
		if a[0] < 0 || a[1] > len(lr) || a[0] > a[1] || w[0] < 0 || w[1] > len(rr) || w[0] > w[1] ||
			string(lr[a[0]:a[1]]) != d.Attachment || string(rr[w[0]:w[1]]) != d.Web {
			return false
		}
	}
	return true
}

// alignParas pairs paragraphs: equal ones by a diff of the folded
// paragraphs, then within each run of unequal ones by similarity. Each
// pair is (left index or -1, right index or -1, 1 when equal).
func alignParas(lp, rp []para) [][3]int {
	ids := map[string]rune{}
	enc := func(ps []para) []rune {
		out := make([]rune, len(ps))
		for i, p := range ps {
			id, ok := ids[p.key]
			if !ok {
				id = rune(0xF0000 + len(ids)) // private use: one rune per distinct paragraph
				if id > unicode.MaxRune {
					id = unicode.MaxRune
				}
				ids[p.key] = id
			}
			out[i] = id
		}
		return out
	}
	a, b := enc(lp), enc(rp)
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // paragraph counts are small; an exact alignment
	var out [][3]int
	i, j := 0, 0
	var dl, dr []int
	flush := func() {
		out = append(out, pairUp(lp, rp, dl, dr)...)
		dl, dr = dl[:0], dr[:0]
	}
	for _, d := range dmp.DiffMainRunes(a, b, false) {
		n := len([]rune(d.Text))
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			flush()
			for k := 0; k < n; k++ {
				out = append(out, [3]int{i, j, 1})
				i, j = i+1, j+1
			}
		case diffmatchpatch.DiffDelete:
			for k := 0; k < n; k++ {
				dl = append(dl, i)
				i++
			}
		case diffmatchpatch.DiffInsert:
			for k := 0; k < n; k++ {
				dr = append(dr, j)
				j++
			}
		}
	}
	flush()
	return out
}

// pairUp aligns a run of unequal paragraphs: a paragraph faces the most
// similar one of the other side in order (a dynamic programme over their
// character bigram similarity), the rest face gaps. A very long run is
// paired in order.
func pairUp(lp, rp []para, dl, dr []int) [][3]int {
	n, m := len(dl), len(dr)
	var out [][3]int
	if n == 0 || m == 0 || n*m > 40000 {
		for k := 0; k < max(n, m); k++ {
			p := [3]int{-1, -1, 0}
			if k < n {
				p[0] = dl[k]
			}
			if k < m {
				p[1] = dr[k]
			}
			out = append(out, p)
		}
		return out
	}
	grams := func(s string) map[[2]rune]bool {
		r := []rune(s)
		g := make(map[[2]rune]bool, len(r))
		for k := 0; k+1 < len(r); k++ {
			g[[2]rune{r[k], r[k+1]}] = true
		}
		if len(r) == 1 {
			g[[2]rune{r[0], 0}] = true
		}
		return g
	}
	gl, gr := make([]map[[2]rune]bool, n), make([]map[[2]rune]bool, m)
	for k, x := range dl {
		gl[k] = grams(lp[x].key)
	}
	for k, x := range dr {
		gr[k] = grams(rp[x].key)
	}
	sim := func(x, y int) float64 {
		a, b := gl[x], gr[y]
		if len(a) > len(b) {
			a, b = b, a
		}
		common := 0
		for g := range a {
			if b[g] {
				common++
			}
		}
		return 2 * float64(common) / float64(len(a)+len(b))
	}
	const minSim = 0.3
	f := make([][]float64, n+1)
	for x := range f {
		f[x] = make([]float64, m+1)
	}
	for x := 1; x <= n; x++ {
		for y := 1; y <= m; y++ {
			best := max(f[x-1][y], f[x][y-1])
			if s := sim(x-1, y-1); s >= minSim && f[x-1][y-1]+s > best {
				best = f[x-1][y-1] + s
			}
			f[x][y] = best
		}
	}
	x, y := n, m
	for x > 0 || y > 0 {
		switch {
		case x > 0 && y > 0 && f[x][y] != f[x-1][y] && f[x][y] != f[x][y-1]:
			out = append(out, [3]int{dl[x-1], dr[y-1], 0})
			x, y = x-1, y-1
		case x > 0 && (y == 0 || f[x][y] == f[x-1][y]):
			out = append(out, [3]int{dl[x-1], -1, 0})
			x--
		default:
			out = append(out, [3]int{-1, dr[y-1], 0})
			y--
		}
	}
	slices.Reverse(out)
	return out
}

// span is a difference's range on one side, as drawn.
type span struct {
	r       [2]int
	n       int // position in the list (1-based)
	typ     string
	numeric bool
}

// sideSpans lists the differences' ranges on one side. An empty range (the
// text only the other side has) is drawn as a caret, except where the
// other side's text is whole paragraphs: the gap row shows it.
func sideSpans(diffs []reconcile.Difference, lp, rp []para, left bool) []span {
	order := numericFirst(diffs)
	pos := make(map[int]int, len(order))
	for n, i := range order {
		pos[i] = n + 1
	}
	var out []span
	for i, d := range diffs {
		r, other, ops := d.AttachmentRange, d.WebRange, rp
		if !left {
			r, other, ops = d.WebRange, d.AttachmentRange, lp
		}
		if r[0] == r[1] && wholeParas(other, ops) > 0 {
			continue
		}
		out = append(out, span{r: r, n: pos[i], typ: d.Type, numeric: len(d.Tags) > 0})
	}
	slices.SortStableFunc(out, func(a, b span) int { return a.r[0] - b.r[0] })
	return out
}

// wholeParas counts the paragraphs lying wholly inside r.
func wholeParas(r [2]int, ps []para) int {
	n := 0
	for _, p := range ps {
		if p.s >= r[0] && p.e <= r[1] {
			n++
		}
	}
	return n
}

// markPara escapes the paragraph [s, e) of text and wraps the parts of
// spans inside it in <mark>; it reports whether any was.
func markPara(text []rune, s, e int, spans []span, side string) (template.HTML, bool) {
	var b strings.Builder
	pos, marked := s, false
	for _, sp := range spans {
		a, z := max(sp.r[0], s), min(sp.r[1], e)
		empty := sp.r[0] == sp.r[1]
		if (!empty && a >= z) || (empty && (sp.r[0] < s || sp.r[0] > e)) || a < pos {
			continue
		}
		b.WriteString(template.HTMLEscapeString(string(text[pos:a])))
		class := "d " + sp.typ
		if sp.numeric {
			class += " numeric"
		}
		id := side + strconv.Itoa(sp.n)
		if sp.r[0] < s {
			id = "" // the anchor is on the span's first paragraph
		}
		idAttr := ""
		if id != "" {
			idAttr = ` id="` + id + `"`
		}
		if empty {
			fmt.Fprintf(&b, `<mark%s class="%s caret" title="#%d: text only the other side has goes here">^</mark>`, idAttr, class, sp.n)
		} else {
			fmt.Fprintf(&b, `<mark%s class="%s" title="#%d">%s</mark>`, idAttr, class, sp.n, template.HTMLEscapeString(string(text[a:z])))
		}
		pos, marked = z, true
		if empty {
			pos = a
		}
	}
	b.WriteString(template.HTMLEscapeString(string(text[pos:e])))
	return template.HTML(b.String()), marked
}

// numericFirst orders the differences for the list: numeric ones first,
// each group in reading order.
func numericFirst(diffs []reconcile.Difference) []int {
	order := make([]int, len(diffs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		nx, ny := len(diffs[x].Tags) > 0, len(diffs[y].Tags) > 0
		switch {
		case nx && !ny:
			return -1
		case !nx && ny:
			return 1
		}
		return 0
	})
	return order
}

// rowOf finds the row where a difference starts: the paragraph holding its
// first character on the side that has text, else where the gap is.
func rowOf(d reconcile.Difference, lp, rp []para, rowOfL, rowOfR []int) int {
	find := func(ps []para, at int, rows []int) int {
		for i, p := range ps {
			if at < p.e || (at == p.e && i == len(ps)-1) {
				return rows[i]
			}
		}
		if len(ps) > 0 {
			return rows[len(ps)-1]
		}
		return -1
	}
	if d.AttachmentRange[0] < d.AttachmentRange[1] || d.WebRange[0] == d.WebRange[1] {
		if r := find(lp, d.AttachmentRange[0], rowOfL); r >= 0 {
			return r
		}
	}
	return find(rp, d.WebRange[0], rowOfR)
}

// fold groups the rows, folding long runs of unchanged ones.
func fold(rows []pairRow) []block {
	var out []block
	var shown []pairRow
	flushShown := func() {
		if len(shown) > 0 {
			out = append(out, block{Rows: shown})
			shown = nil
		}
	}
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && len(rows[j].Anchors) == 0 && (rows[j].Kind == "same" || rows[j].Kind == "layout") {
			j++
		}
		if j == i {
			shown = append(shown, rows[i])
			i++
			continue
		}
		head, tail := foldContext, foldContext
		if i == 0 {
			head = 0
		}
		if j == len(rows) {
			tail = 0
		}
		if j-i > foldAfter && j-i > head+tail+1 {
			shown = append(shown, rows[i:i+head]...)
			flushShown()
			out = append(out, block{Rows: rows[i+head : j-tail], Folded: true})
			shown = append(shown, rows[j-tail:j]...)
		} else {
			shown = append(shown, rows[i:j]...)
		}
		i = j
	}
	flushShown()
	return out
}

// contextRunes is how much text the list shows around a difference.
const contextRunes = 24

func newItem(n int, anchor string, d reconcile.Difference, lr, rr []rune, lb labels) item {
	it := item{N: n, Anchor: anchor, Type: d.Type, Numeric: len(d.Tags) > 0, Numbers: d.Numbers,
		LeftRaw: d.Attachment, RightRaw: d.Web}
	switch {
	case it.Numeric && d.Attachment != "" && d.Web != "":
		it.Label = "number changed"
	case it.Numeric && d.Web == "":
		it.Label = "number only " + lb.leftIn
	case it.Numeric:
		it.Label = "number only " + lb.rightIn
	case d.Type == reconcile.AttachmentOnly:
		it.Label = "only " + lb.leftIn
	case d.Type == reconcile.WebOnly:
		it.Label = "only " + lb.rightIn
	default:
		it.Label = "changed"
	}
	class := d.Type
	if it.Numeric {
		class += " numeric"
	}
	it.Left = inContext(lr, d.AttachmentRange, class)
	it.Right = inContext(rr, d.WebRange, class)
	return it
}

// inContext shows a span with the text around it, within its lines.
func inContext(text []rune, r [2]int, class string) template.HTML {
	if r[0] < 0 || r[1] > len(text) || r[0] > r[1] {
		return ""
	}
	from := r[0]
	for k := 0; from > 0 && text[from-1] != '\n' && k < contextRunes; k++ {
		from--
	}
	to := r[1]
	for k := 0; to < len(text) && text[to] != '\n' && k < contextRunes; k++ {
		to++
	}
	var b strings.Builder
	if from > 0 && text[from-1] != '\n' {
		b.WriteString("…")
	}
	b.WriteString(template.HTMLEscapeString(string(text[from:r[0]])))
	if r[0] == r[1] {
		b.WriteString(`<mark class="d caret">missing here</mark>`)
	} else {
		fmt.Fprintf(&b, `<mark class="d %s">%s</mark>`, class, template.HTMLEscapeString(clip(string(text[r[0]:r[1]]))))
	}
	b.WriteString(template.HTMLEscapeString(string(text[r[1]:to])))
	if to < len(text) && text[to] != '\n' {
		b.WriteString("…")
	}
	return template.HTML(b.String())
}

func clip(s string) string {
	r := []rune(s)
	if len(r) <= 120 {
		return s
	}
	return string(r[:60]) + fmt.Sprintf(" …(%d characters)… ", len(r)) + string(r[len(r)-30:])
}

// summary answers, in one line, what the right side does to the left.
func summary(rep reconcile.Report, diffs []reconcile.Difference, lp, rp []para, lb labels, consistent bool) string {
	switch rep.Verdict {
	case reconcile.DifferentDocument:
		return fmt.Sprintf("%s is not %s: they share almost nothing (%s of %s is found in it).",
			lb.subject, lb.object, pctText(rep.Similarity.Coverage), lb.object)
	case reconcile.NoText:
		return "There is no attachment text to compare with."
	}
	var changed, added, dropped, reworded, numsInBlocks int
	var lackP, lackS, addP, addS int
	for _, d := range diffs {
		numeric := len(d.Tags) > 0
		numsInBlocks += d.Numbers
		switch {
		case numeric && d.Attachment != "" && d.Web != "":
			changed++
		case numeric && d.Web != "":
			added++
		case numeric:
			dropped++
		case d.Type == reconcile.AttachmentOnly:
			if k := wholeParas(d.AttachmentRange, lp); k > 0 {
				lackP += k
			} else {
				lackS++
			}
		case d.Type == reconcile.WebOnly:
			if k := wholeParas(d.WebRange, rp); k > 0 {
				addP += k
			} else {
				addS++
			}
		default:
			reworded++
		}
	}
	var parts []string
	add := func(n int, one, many string) {
		if n == 1 {
			parts = append(parts, one)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf(many, n))
		}
	}
	add(changed, "changes 1 number", "changes %d numbers")
	add(added, "adds 1 number", "adds %d numbers")
	add(dropped, "drops 1 number", "drops %d numbers")
	if lb.history {
		add(lackP, "removes 1 paragraph", "removes %d paragraphs")
		add(lackS, "removes 1 passage", "removes %d passages")
	} else {
		add(lackP, "lacks 1 paragraph of "+lb.object, "lacks %d paragraphs of "+lb.object)
		add(lackS, "lacks 1 passage of "+lb.object, "lacks %d passages of "+lb.object)
	}
	add(addP, "adds 1 paragraph", "adds %d paragraphs")
	add(addS, "adds 1 passage", "adds %d passages")
	add(reworded, "rewords 1 passage", "rewords %d passages")
	prefix := ""
	if rep.Verdict == reconcile.Truncated {
		if rep.TruncatedSide == "attachment" {
			prefix = "The attachment stops early. "
		} else {
			prefix = lb.subject + " stops early. "
		}
	}
	if len(parts) == 0 {
		if !consistent {
			return prefix + "The texts changed since the report was made; its differences are listed below but cannot be placed."
		}
		if lb.history {
			return "The web text is the same in both versions (spacing and punctuation aside)."
		}
		return prefix + lb.subject + " says what " + lb.object + " says (spacing and punctuation aside)."
	}
	s := prefix + lb.subject + " " + joinAnd(parts)
	if numsInBlocks > 0 {
		s += fmt.Sprintf(" (the one-sided text holds %d number%s)", numsInBlocks, plural(numsInBlocks))
	}
	return s + "."
}

func joinAnd(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func pctText(f float64) string {
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(100*f, 'f', 1, 64), "0"), ".") + "%"
}
