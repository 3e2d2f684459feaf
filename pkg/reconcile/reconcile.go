// Package reconcile checks whether a policy's web text (the portal's
// policyText) says what its official attachment says, ignoring the noise
// web copies always have: full- vs half-width punctuation and spaces, NBSP,
// blank paragraphs, line breaks inside paragraphs, table cells flattened
// into TAB-separated paragraphs, 〔〕 vs [] in document numbers.
//
// Both texts are normalised (NFKC, a fold table, white space dropped) with a
// map back to original offsets, aligned paragraph by paragraph, and every
// unequal block is diffed character by character (sergi/go-diff on runes,
// with an explicit time limit; a block that hits it is marked approximate,
// never silently coarse). A pair with almost nothing in common is reported
// as a different document without any character diff.
//
// Numbers. A difference that cuts into a number is reported as the whole
// number on both sides: a year changed from 2027 to 2034 is "2034年"
// against "2027年", not the "34" against "27" the character diff finds
// after the shared "20"; 15万元 changed to 15.5万元 is "15.5万元" against
// "15万元", not ".5" against nothing. A number is written in one piece (no
// space, TAB or line break inside it) and is its figures, then at most one
// unit right after them. Figures are digits (ASCII or full-width), the
// Chinese numerals 〇零一二三四五六七八九十百千万亿两 and 壹贰叁肆伍陆柒捌玖拾佰仟, a
// decimal point between two digits, and a thousands separator (, or ，)
// between a digit and exactly three digits ("1,250" is one number, "1,23"
// two). Units are 元, % (％), ‰, 倍 and the date parts 年, 月 and 日; 万 and 亿
// are figures, so 万元 and 亿元 are covered. The unit is kept because it
// says what the number counts: "5月" against "3月" names the month a
// reader would otherwise look for in the context. A date is a run of such
// numbers, each with its unit, and only the changed ones are reported:
// 2024年3月15日 changed to 2024年5月15日 is "5月" against "3月"; when a
// change in the year and one in the month are widened they touch, and two
// differences that overlap or touch once widened are merged into one
// ("2024年11月" against "2023年10月"). Between differences both texts are
// equal once normalised, so both sides grow by the same amounts and stay
// aligned; the ranges are then mapped to the original texts like any other,
// so each string is exactly its range. A span that cuts no number is left
// as the character diff found it. The truncated tail is never widened: it
// starts where the short side stops, even inside a number. A run of more
// than 40 figures is not a number (a code or a table of digits).
//
// A difference is tagged "numeric" only when it is itself a number changed,
// added or removed: each side is one or more whole numbers and nothing
// else, or empty. A number only one side has must be certain: have a digit,
// a unit or two numerals, since a lone Chinese numeral is as often part of
// a word (统一, 进一步, 百姓) as a number. Any other difference that holds
// numbers (a missing paragraph, a truncated tail, a rewritten sentence) is
// not tagged but gives in "numbers" how many certain numbers its text holds
// (the larger count of its two sides).
package reconcile

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Verdicts.
const (
	Match             = "match"
	Differs           = "differs"
	Truncated         = "truncated"
	DifferentDocument = "different_document"
	NoText            = "no_text"
)

// Difference types.
const (
	Changed        = "changed"         // a span present on both sides that differs
	AttachmentOnly = "attachment_only" // text the attachment has and the web page lacks
	WebOnly        = "web_only"        // text the web page has and the attachment lacks
)

// Report is the result of one comparison; its JSON shape is stable and
// documented in the package README section of the repository.
type Report struct {
	Verdict       string       `json:"verdict"`
	TruncatedSide string       `json:"truncated_side,omitempty"` // "web" or "attachment", only with "truncated"
	Similarity    Similarity   `json:"similarity"`
	Differences   []Difference `json:"differences"`
	Approximate   bool         `json:"approximate"`
	Normalization string       `json:"normalization"`
	Stats         Stats        `json:"stats"`
}

// Similarity measures how much of each side the other covers, on
// normalised characters.
type Similarity struct {
	// Coverage: share of the attachment's characters found on the web page.
	Coverage float64 `json:"coverage"`
	// Precision: share of the web page's characters found in the attachment.
	Precision float64 `json:"precision"`
	// ParagraphCoverage: share of the attachment's paragraphs found
	// unchanged on the web page.
	ParagraphCoverage float64 `json:"paragraph_coverage"`
}

// Difference is one span where the two texts disagree. Texts are the
// original (not normalised) spans; ranges are half-open rune offsets into
// the two plain texts. For a one-sided difference the other range is the
// empty position where the text would be.
type Difference struct {
	Type            string   `json:"type"`
	Attachment      string   `json:"attachment,omitempty"`
	Web             string   `json:"web,omitempty"`
	AttachmentRange [2]int   `json:"attachment_range"`
	WebRange        [2]int   `json:"web_range"`
	Tags            []string `json:"tags,omitempty"`
	// Numbers: for a difference that is not itself a number (a missing
	// paragraph, a truncated tail, a rewritten sentence), how many numbers
	// its text holds; the larger count of the two sides.
	Numbers int `json:"numbers,omitempty"`
}

// Stats count what was compared.
type Stats struct {
	AttachmentRunes      int `json:"attachment_runes"`
	WebRunes             int `json:"web_runes"`
	AttachmentNormalized int `json:"attachment_normalized"`
	WebNormalized        int `json:"web_normalized"`
	AttachmentParagraphs int `json:"attachment_paragraphs"`
	WebParagraphs        int `json:"web_paragraphs"`
	EqualParagraphs      int `json:"equal_paragraphs"`
	IgnoredLines         int `json:"ignored_lines"` // page numbers printed as text, on either side
	ElapsedMicros        int `json:"elapsed_us"`
}

// Options tune a comparison; zero values mean the defaults.
type Options struct {
	// BlockTimeout bounds the character diff of one unequal block
	// (default 2 s); a block that reaches it is reported approximate.
	BlockTimeout time.Duration
	// DifferentBelow: when both containments are below it, the texts are
	// different documents (default 0.2).
	DifferentBelow float64
	// TruncatedMin: a missing tail counts as truncation when it holds at
	// least this share of the longer side (default 0.1) and 200 characters.
	TruncatedMin float64
}

func (o Options) withDefaults() Options {
	if o.BlockTimeout <= 0 {
		o.BlockTimeout = 2 * time.Second
	}
	if o.DifferentBelow <= 0 {
		o.DifferentBelow = 0.2
	}
	if o.TruncatedMin <= 0 {
		o.TruncatedMin = 0.1
	}
	return o
}

// side is one text prepared for comparison.
type side struct {
	text  []rune     // the original plain text
	all   normalized // every kept normalised rune, lines concatenated
	lines [][2]int   // each kept (non-empty) line as a range of all
	ign   int
}

func (s *side) line(i int) []rune { return s.all.runes[s.lines[i][0]:s.lines[i][1]] }

func prepare(s string, dropFurniture bool) *side {
	sd := &side{text: []rune(s)}
	sd.all.runes = make([]rune, 0, len(sd.text))
	sd.all.origin = make([]int, 0, len(sd.text))
	base := 0
	for line := range strings.SplitSeq(s, "\n") {
		start := len(sd.all.runes)
		normalizeLine(line, base, &sd.all)
		base += utf8.RuneCountInString(line) + 1
		switch {
		case len(sd.all.runes) == start:
			continue
		case dropFurniture && isFurniture(sd.all.runes[start:]):
			sd.ign++
			sd.all.runes, sd.all.origin = sd.all.runes[:start], sd.all.origin[:start]
			continue
		}
		sd.lines = append(sd.lines, [2]int{start, len(sd.all.runes)})
	}
	return sd
}

// isFurniture recognises page numbers printed as text ("— 3 —", "-3-",
// "第3页 共10页") that a Word file may carry in its body.
func isFurniture(r []rune) bool {
	// most lines are neither: decide that before making a string of them
	if len(r) == 0 || !(r[0] == '-' && r[len(r)-1] == '-') && !(r[0] == '第' && len(r) <= 12) {
		return false
	}
	s := string(r)
	// a page number between dashes on both sides
	if t := strings.Trim(s, "-"); t != "" && strings.HasPrefix(s, "-") && strings.HasSuffix(s, "-") &&
		strings.Trim(t, "0123456789") == "" {
		return true
	}
	if strings.HasPrefix(s, "第") && strings.Contains(s, "页") && len(r) <= 12 {
		rest := strings.NewReplacer("第", "", "页", "", "共", "", "/", "").Replace(s)
		return strings.Trim(rest, "0123456789") == ""
	}
	return false
}

// Compare reconciles the attachment's plain text with the web page's plain
// text (paragraphs as lines, as pkg/text and pkg/htmltext render them).
func Compare(attachment, web string, opt Options) (rep Report) {
	opt = opt.withDefaults()
	start := time.Now()
	a := prepare(attachment, true)
	w := prepare(web, true) // symmetric: a text compared with itself always matches
	rep = Report{Normalization: Profile, Differences: []Difference{}}
	rep.Stats = Stats{AttachmentRunes: len(a.text), WebRunes: len(w.text), AttachmentNormalized: len(a.all.runes),
		WebNormalized: len(w.all.runes), AttachmentParagraphs: len(a.lines), WebParagraphs: len(w.lines), IgnoredLines: a.ign + w.ign}
	defer func() { rep.Stats.ElapsedMicros = int(time.Since(start).Microseconds()) }()
	if len(a.all.runes) == 0 || len(w.all.runes) == 0 {
		rep.Verdict = NoText
		return rep
	}
	ops := alignParagraphs(a, w)
	// The shingle gate costs more than everything else on a matching pair;
	// paragraphs in common already prove the documents are related.
	if equalShare(ops, a, w) < 0.5 {
		if ca, cw := containment(a.all.runes, w.all.runes), containment(w.all.runes, a.all.runes); ca < opt.DifferentBelow && cw < opt.DifferentBelow {
			rep.Verdict = DifferentDocument
			rep.Similarity = Similarity{Coverage: ca, Precision: cw}
			return rep
		}
	}
	al := alignChars(ops, a, w, opt)
	rep.Approximate = al.approximate
	rep.Stats.EqualParagraphs = al.equalLines
	rep.Similarity = Similarity{
		Coverage:          ratio(al.matchedA, len(a.all.runes)),
		Precision:         ratio(al.matchedW, len(w.all.runes)),
		ParagraphCoverage: ratio(al.equalLines, len(a.lines)),
	}
	hunks, short := finalHunks(al.hunks, a, w, opt)
	if short != "" {
		rep.Verdict, rep.TruncatedSide = Truncated, short
	}
	for _, h := range hunks {
		rep.Differences = append(rep.Differences, h.difference(a, w))
	}
	switch {
	case rep.Verdict == Truncated:
	case len(rep.Differences) == 0:
		rep.Verdict = Match
	default:
		rep.Verdict = Differs
	}
	return rep
}

// finalHunks turns the character diff's hunks into the reported ones: a
// missing tail made one hunk (short names the side that stops early, ""
// when none does), and numbers made whole.
func finalHunks(hunks []hunk, a, w *side, opt Options) (_ []hunk, short string) {
	short, tail := truncation(hunks, a, w, opt)
	if tail {
		hunks = mergeTail(hunks, short)
	}
	return wholeNumbers(hunks, a, w, tail), short
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// containment is the share of a's 5-character shingles that occur in b.
func containment(a, b []rune) float64 {
	const k = 5
	if len(a) < k || len(b) < k {
		if string(a) == string(b) {
			return 1
		}
		return 0
	}
	set := make(map[uint64]struct{}, len(b))
	for i := 0; i+k <= len(b); i++ {
		set[shingle(b[i:i+k])] = struct{}{}
	}
	hit := 0
	for i := 0; i+k <= len(a); i++ {
		if _, ok := set[shingle(a[i:i+k])]; ok {
			hit++
		}
	}
	return float64(hit) / float64(len(a)-k+1)
}

// shingle hashes five runes (FNV-1a over their values); a collision can
// only make two texts look slightly more alike.
func shingle(r []rune) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range r {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// hunk is one difference in normalised coordinates: runes [a0,a1) of the
// attachment and [w0,w1) of the web text (indexes into side.all).
type hunk struct {
	a0, a1, w0, w1 int
}

type alignment struct {
	hunks              []hunk
	matchedA, matchedW int
	equalLines         int
	approximate        bool
}

// lineOp is a run of n paragraphs: equal on both sides, or only in the
// attachment (del) or only on the web page (ins).
type lineOp struct {
	op diffmatchpatch.Operation
	n  int
}

// alignParagraphs diffs the sequences of paragraph ids (each distinct
// normalised paragraph is one symbol).
func alignParagraphs(a, w *side) []lineOp {
	ids := map[string]rune{}
	id := func(n []rune) rune {
		s := string(n)
		r, ok := ids[s]
		if !ok {
			r = rune(0x100 + len(ids))
			if r >= 0xD800 { // keep clear of surrogates: ids must survive string conversion
				r += 0x800
			}
			ids[s] = r
		}
		return r
	}
	la := make([]rune, len(a.lines))
	for i := range a.lines {
		la[i] = id(a.line(i))
	}
	lw := make([]rune, len(w.lines))
	for i := range w.lines {
		lw[i] = id(w.line(i))
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // paragraph counts are small; this diff is exact
	diffs := dmp.DiffMainRunes(la, lw, false)
	ops := make([]lineOp, len(diffs))
	for i, d := range diffs {
		ops[i] = lineOp{d.Type, utf8.RuneCountInString(d.Text)}
	}
	return ops
}

// equalShare is the larger of the two sides' shares of paragraphs found
// unchanged on the other side.
func equalShare(ops []lineOp, a, w *side) float64 {
	eq := 0
	for _, o := range ops {
		if o.op == diffmatchpatch.DiffEqual {
			eq += o.n
		}
	}
	return max(ratio(eq, len(a.lines)), ratio(eq, len(w.lines)))
}

// alignChars diffs the characters of each unequal block (deleted and
// inserted paragraphs concatenated, so that a paragraph split or merged on
// one side is no difference).
func alignChars(ops []lineOp, a, w *side, opt Options) alignment {
	var al alignment
	ia, iw := 0, 0   // line cursors
	ba, bw := -1, -1 // start lines of the open unequal block
	flush := func() {
		if ba < 0 {
			return
		}
		al.block(a, w, ba, ia, bw, iw, opt)
		ba, bw = -1, -1
	}
	for _, o := range ops {
		switch o.op {
		case diffmatchpatch.DiffEqual:
			flush()
			for k := 0; k < o.n; k++ {
				al.matchedA += len(a.line(ia + k))
				al.matchedW += len(w.line(iw + k))
			}
			al.equalLines += o.n
			ia += o.n
			iw += o.n
		case diffmatchpatch.DiffDelete:
			if ba < 0 {
				ba, bw = ia, iw
			}
			ia += o.n
		case diffmatchpatch.DiffInsert:
			if ba < 0 {
				ba, bw = ia, iw
			}
			iw += o.n
		}
	}
	flush()
	return al
}

func lineSpan(s *side, from, to int) (int, int) {
	if from >= len(s.lines) {
		return len(s.all.runes), len(s.all.runes)
	}
	end := len(s.all.runes)
	if to < len(s.lines) {
		end = s.lines[to][0]
	}
	return s.lines[from][0], end
}

// block diffs the characters of attachment lines [la0,la1) against web
// lines [lw0,lw1).
func (al *alignment) block(a, w *side, la0, la1, lw0, lw1 int, opt Options) {
	a0, a1 := lineSpan(a, la0, la1)
	w0, w1 := lineSpan(w, lw0, lw1)
	if a0 == a1 || w0 == w1 {
		al.hunks = append(al.hunks, hunk{a0, a1, w0, w1})
		return
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = opt.BlockTimeout
	started := time.Now()
	diffs := dmp.DiffMainRunes(a.all.runes[a0:a1], w.all.runes[w0:w1], false)
	if time.Since(started) >= opt.BlockTimeout {
		al.approximate = true
	}
	diffs = dmp.DiffCleanupSemantic(diffs)
	pa, pw := a0, w0
	open := false
	var h hunk
	for _, d := range diffs {
		n := utf8.RuneCountInString(d.Text)
		if n == 0 {
			continue // the semantic cleanup can leave empty edits: no difference
		}
		if d.Type == diffmatchpatch.DiffEqual {
			if open {
				al.hunks = append(al.hunks, h)
				open = false
			}
			al.matchedA += n
			al.matchedW += n
			pa += n
			pw += n
			continue
		}
		if !open {
			h = hunk{pa, pa, pw, pw}
			open = true
		}
		if d.Type == diffmatchpatch.DiffDelete {
			pa += n
			h.a1 = pa
		} else {
			pw += n
			h.w1 = pw
		}
	}
	if open {
		al.hunks = append(al.hunks, h)
	}
}

// truncation reports whether one side stops early: the last hunk is
// one-sided, runs to the end of the longer side, and is large.
func truncation(hunks []hunk, a, w *side, opt Options) (string, bool) {
	if len(hunks) == 0 {
		return "", false
	}
	last := hunks[len(hunks)-1]
	na, nw := len(a.all.runes), len(w.all.runes)
	big := func(n, of int) bool { return n >= 200 && float64(n) >= opt.TruncatedMin*float64(of) }
	switch {
	case last.w0 == last.w1 && last.a1 == na && last.w0 == nw && big(last.a1-last.a0, na):
		return "web", true
	case last.a0 == last.a1 && last.w1 == nw && last.a0 == na && big(last.w1-last.w0, nw):
		return "attachment", true
	}
	return "", false
}

// mergeTail makes the missing tail one difference, also when the short
// side ends inside a paragraph (the tail then starts with a partial hunk).
func mergeTail(hunks []hunk, short string) []hunk {
	tail := hunks[len(hunks)-1]
	hunks = hunks[:len(hunks)-1]
	// a changed hunk right before the tail whose short side reaches the
	// end is the cut paragraph: its long-side text belongs to the tail
	if n := len(hunks); n > 0 {
		prev := hunks[n-1]
		if short == "attachment" && prev.a1 == tail.a0 && prev.w1 == tail.w0 && prev.a0 == prev.a1 {
			tail.w0 = prev.w0
			hunks = hunks[:n-1]
		}
		if short == "web" && prev.w1 == tail.w0 && prev.a1 == tail.a0 && prev.w0 == prev.w1 {
			tail.a0 = prev.a0
			hunks = hunks[:n-1]
		}
	}
	return append(hunks, tail)
}

// difference turns a hunk into a report item with original texts.
func (h hunk) difference(a, w *side) Difference {
	d := Difference{Type: Changed}
	switch {
	case h.w0 == h.w1:
		d.Type = AttachmentOnly
	case h.a0 == h.a1:
		d.Type = WebOnly
	}
	d.AttachmentRange = span(a, h.a0, h.a1)
	d.WebRange = span(w, h.w0, h.w1)
	d.Attachment = string(a.text[d.AttachmentRange[0]:d.AttachmentRange[1]])
	d.Web = string(w.text[d.WebRange[0]:d.WebRange[1]])
	if numeric(h, a, w) {
		d.Tags = []string{"numeric"}
	} else {
		d.Numbers = max(a.all.countNumbers(h.a0, h.a1), w.all.countNumbers(h.w0, h.w1))
	}
	return d
}

// span maps normalised [i,j) to original rune offsets; an empty span is the
// position just after the previous normalised rune (or at the next one).
func span(s *side, i, j int) [2]int {
	o := s.all.origin
	if i < j {
		return [2]int{o[i], o[j-1] + 1}
	}
	switch {
	case i < len(o) && i > 0:
		p := o[i-1] + 1
		return [2]int{p, p}
	case i < len(o):
		return [2]int{o[i], o[i]}
	case len(o) > 0:
		p := o[len(o)-1] + 1
		return [2]int{p, p}
	}
	return [2]int{0, 0}
}
