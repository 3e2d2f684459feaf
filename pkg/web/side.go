package web

import (
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/policytext/policytext/pkg/reconcile"
)

// side is the side-by-side view: both texts with their difference spans
// marked, and the differences in reading order, numeric ones first.
type side struct {
	Attachment, Web template.HTML
	Items           []item
	Consistent      bool // the report's ranges fit the texts shown
}

type item struct {
	N       int
	Type    string
	Numeric bool
	Att     string
	Web     string
}

func sideBySide(att, web string, rep reconcile.Report) *side {
	ra, rw := []rune(att), []rune(web)
	s := &side{Consistent: true}
	for _, d := range rep.Differences {
		a, w := d.AttachmentRange, d.WebRange
		if a[0] < 0 || a[1] > len(ra) || a[0] > a[1] || w[0] < 0 || w[1] > len(rw) || w[0] > w[1] ||
			string(ra[a[0]:a[1]]) != d.Attachment || string(rw[w[0]:w[1]]) != d.Web {
			s.Consistent = false // texts changed since the report: show them plain
		}
	}
	order := make([]int, len(rep.Differences))
	for i := range order {
		order[i] = i
	}
	numeric := func(i int) bool { return len(rep.Differences[i].Tags) > 0 }
	slices.SortStableFunc(order, func(x, y int) int {
		switch {
		case numeric(x) && !numeric(y):
			return -1
		case !numeric(x) && numeric(y):
			return 1
		}
		return 0
	})
	for _, i := range order {
		d := rep.Differences[i]
		s.Items = append(s.Items, item{N: i + 1, Type: d.Type, Numeric: numeric(i), Att: clip(d.Attachment), Web: clip(d.Web)})
	}
	if !s.Consistent {
		s.Attachment = template.HTML(template.HTMLEscapeString(att))
		s.Web = template.HTML(template.HTMLEscapeString(web))
		return s
	}
	spans := func(pick func(reconcile.Difference) [2]int) []span {
		var out []span
		for i, d := range rep.Differences {
			out = append(out, span{r: pick(d), n: i + 1, typ: d.Type, numeric: len(d.Tags) > 0})
		}
		return out
	}
	s.Attachment = mark(ra, spans(func(d reconcile.Difference) [2]int { return d.AttachmentRange }), "a")
	s.Web = mark(rw, spans(func(d reconcile.Difference) [2]int { return d.WebRange }), "w")
	return s
}

type span struct {
	r       [2]int
	n       int
	typ     string
	numeric bool
}

// mark escapes text and wraps each span in <mark>; an empty span (text
// only the other side has) becomes a small insertion marker.
func mark(text []rune, spans []span, side string) template.HTML {
	slices.SortStableFunc(spans, func(a, b span) int { return a.r[0] - b.r[0] })
	var b strings.Builder
	pos := 0
	for _, s := range spans {
		if s.r[0] < pos {
			continue // overlapping spans cannot happen; never break the page
		}
		b.WriteString(template.HTMLEscapeString(string(text[pos:s.r[0]])))
		class := "diff " + s.typ
		if s.numeric {
			class += " numeric"
		}
		id := side + strconv.Itoa(s.n)
		if s.r[0] == s.r[1] {
			fmt.Fprintf(&b, `<mark id="%s" class="%s gap" title="#%d: only on the other side">⁁</mark>`, id, class, s.n)
		} else {
			fmt.Fprintf(&b, `<mark id="%s" class="%s" title="#%d">%s</mark>`, id, class, s.n, template.HTMLEscapeString(string(text[s.r[0]:s.r[1]])))
		}
		pos = s.r[1]
	}
	b.WriteString(template.HTMLEscapeString(string(text[pos:])))
	return template.HTML(b.String())
}

func clip(s string) string {
	r := []rune(s)
	if len(r) <= 80 {
		return s
	}
	return string(r[:40]) + fmt.Sprintf(" …(%d characters)… ", len(r)) + string(r[len(r)-30:])
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }
