package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"
	"golang.org/x/text/width"

	"github.com/policytext/policytext/pkg/store"
)

// Search. Chinese has no spaces between words, so the index is of
// characters: every character and every pair of adjacent characters of a
// policy's title, issue number, attachment text and web text points to the
// policies that hold it (a posting list of policy numbers). A query term of
// one or two characters is answered by its list alone; a longer one by the
// intersection of its pairs' lists, each candidate then confirmed by
// finding the whole term in its text, so a hit always contains the words
// typed, in order. Every term must match; policies are ranked by where the
// terms occur (title and issue number weigh most) and how often, rarer
// terms counting more. Text is folded before indexing and querying
// (full-width to half-width, lower case, 〔〕【】（） to ()) one character for
// one character, so a match found in the folded text is shown in the
// original.
//
// Our own index rather than a search library: the well-kept Go ones
// (bleve) bring dozens of dependencies and a CJK analyser that is itself
// bigrams; ours is some two hundred lines, keeps everything in memory
// (the texts are needed for the passages anyway) and is tested and
// benchmarked here.
//
// The index is kept in chunks: a refresh that finds changed policies puts
// their new versions in a new chunk and forgets the old ones, so a change
// costs the changed policies only; when the chunks grow many, they are
// merged into one.

// Fields of a policy, in the order of their weight.
const (
	fTitle = iota
	fIssue
	fAttachment
	fWeb
	nFields
)

var fieldWeight = [nFields]float64{8, 6, 1, 1}
var fieldName = [nFields]string{"title", "issue number", "attachment", "web text"}

// field is one folded text and the original characters the folding changed.
type field struct {
	norm string
	orig []fix
}

// fix is an original character at a byte offset of the folded text.
type fix struct {
	at int
	r  rune
}

func newField(s string) field {
	var b strings.Builder
	b.Grow(len(s))
	var f field
	for _, r := range s {
		if r == 0 || r == utf8.RuneError {
			r = ' '
		}
		n := foldRune(r)
		if n != r {
			f.orig = append(f.orig, fix{at: b.Len(), r: r})
		}
		b.WriteRune(n)
	}
	f.norm = b.String()
	return f
}

// original returns the original text of the folded bytes [from, to).
func (f *field) original(from, to int) string {
	i := sort.Search(len(f.orig), func(i int) bool { return f.orig[i].at >= from })
	if i == len(f.orig) || f.orig[i].at >= to {
		return f.norm[from:to]
	}
	var b strings.Builder
	for at, r := range f.norm[from:to] {
		if i < len(f.orig) && f.orig[i].at == from+at {
			r = f.orig[i].r
			i++
		}
		b.WriteRune(r)
	}
	return b.String()
}

// foldRune folds one character for comparison: width, case, brackets.
func foldRune(r rune) rune {
	if f := width.LookupRune(r).Folded(); f != 0 {
		r = f
	}
	switch r {
	case '〔', '【', '[', '〖', '［':
		return '('
	case '〕', '】', ']', '〗', '］':
		return ')'
	}
	return unicode.ToLower(r)
}

// doc is one indexed policy.
type doc struct {
	id     string
	fields [nFields]field
}

// gram is a character (second half zero) or a pair of characters.
type gram uint64

func mkGram(a, b rune) gram { return gram(uint64(a)<<32 | uint64(uint32(b))) }

// chunk is an immutable part of the index.
type chunk struct {
	docs []*doc
	post map[gram][]uint32
}

func newChunk(docs []*doc) *chunk {
	// A policy repeats most of its grams many times: a small table of the
	// grams seen in the current policy (open addressing, cleared by a
	// generation number) keeps the repeats away from the map, which then
	// sees each gram once per policy and gives its list number.
	const bits = 15
	var (
		seen    = make([]gram, 1<<bits)
		seenGen = make([]uint32, 1<<bits)
		gen     uint32
		used    int
		ids     = map[gram]int32{}
		lists   [][]uint32
		keys    []gram
	)
	for i, d := range docs {
		n := uint32(i)
		gen++
		used = 0
		add := func(g gram) {
			if used < 1<<(bits-1) { // at most half full: probes stay short
				h := (uint64(g) * 0x9E3779B97F4A7C15) >> (64 - bits)
				for seenGen[h] == gen {
					if seen[h] == g {
						return // already listed for this policy
					}
					h = (h + 1) & (1<<bits - 1)
				}
				seen[h], seenGen[h] = g, gen
				used++
			}
			k, ok := ids[g]
			if !ok {
				k = int32(len(lists))
				ids[g] = k
				lists = append(lists, nil)
				keys = append(keys, g)
			}
			if l := lists[k]; len(l) == 0 || l[len(l)-1] != n {
				lists[k] = append(l, n)
			}
		}
		for _, f := range d.fields {
			var prev rune = -1
			for _, r := range f.norm {
				if r == ' ' || r == '\n' || r == '\t' || (r > 0x7f && unicode.IsSpace(r)) {
					prev = -1
					continue
				}
				add(mkGram(r, 0))
				if prev >= 0 {
					add(mkGram(prev, r))
				}
				prev = r
			}
		}
	}
	c := &chunk{docs: docs, post: make(map[gram][]uint32, len(keys))}
	for k, g := range keys {
		c.post[g] = slices.Clip(lists[k])
	}
	return c
}

// snapshot is the index at one time; it is never modified once published.
type snapshot struct {
	chunks []*chunk
	live   map[string]*doc // the current version of each policy
	keys   map[string]string
	built  time.Time
}

// searcher keeps the index up to date with the store's index rows.
type searcher struct {
	st  *store.Store
	log *slog.Logger

	refreshing chan struct{} // holds a token while a refresh runs: one at a time
	asked      atomic.Bool   // someone has searched: Run keeps the index current
	mu         sync.RWMutex
	snap       *snapshot
}

func newSearcher(st *store.Store, log *slog.Logger) *searcher {
	return &searcher{st: st, log: log, refreshing: make(chan struct{}, 1),
		snap: &snapshot{live: map[string]*doc{}, keys: map[string]string{}}}
}

func (s *searcher) current() *snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.snap
}

// rowKey changes whenever what is indexed of a policy may have changed:
// its record or its report (written after every new extraction).
func rowKey(r store.Row) string {
	k := r.Policy.SHA256
	if r.Report != nil {
		k += "|" + r.Report.At.Format(time.RFC3339Nano)
	}
	return k
}

// mergeChunks: a refresh that leaves more chunks than this merges them.
const mergeChunks = 8

// refresh brings the index up to date with rows, reading the texts of new
// and changed policies. It waits for a refresh under way (as long as ctx
// lets it). When ctx ends first, the policies read so far are indexed all
// the same, so that refreshes cut short still make progress.
func (s *searcher) refresh(ctx context.Context, rows []store.Row) error {
	select {
	case s.refreshing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.refreshing }()
	return s.refreshHeld(ctx, rows)
}

// errRefreshBusy: another refresh is under way (the first build of a large
// index takes minutes); the caller answers from the index as it is.
var errRefreshBusy = errors.New("web: the search index is being brought up to date")

// refreshIfIdle is refresh, unless a refresh is under way already: a search
// never queues behind Run's build of the whole index.
func (s *searcher) refreshIfIdle(ctx context.Context, rows []store.Row) error {
	select {
	case s.refreshing <- struct{}{}:
	default:
		return errRefreshBusy
	}
	defer func() { <-s.refreshing }()
	return s.refreshHeld(ctx, rows)
}

// refreshHeld does the work of refresh; the caller holds the token.
func (s *searcher) refreshHeld(ctx context.Context, rows []store.Row) error {
	old := s.current()
	var changed []store.Row
	seen := make(map[string]bool, len(rows))
	for _, r := range rows {
		if r.Policy == nil {
			continue
		}
		seen[r.ID] = true
		if old.keys[r.ID] != rowKey(r) {
			changed = append(changed, r)
		}
	}
	gone := 0
	for id := range old.live {
		if !seen[id] {
			gone++
		}
	}
	if len(changed) == 0 && gone == 0 {
		return nil
	}
	loaded := make([]*doc, len(changed))
	err := parallel(ctx, len(changed), 8, func(i int) error {
		d, err := s.load(ctx, changed[i])
		loaded[i] = d
		return err
	})
	next := &snapshot{live: make(map[string]*doc, len(rows)), keys: make(map[string]string, len(rows)), built: time.Now()}
	for id, d := range old.live {
		if seen[id] {
			next.live[id], next.keys[id] = d, old.keys[id]
		}
	}
	var docs []*doc
	for i, d := range loaded {
		if d != nil {
			next.live[d.id], next.keys[d.id] = d, rowKey(changed[i])
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 && gone == 0 {
		return err
	}
	next.chunks = append(slices.Clone(old.chunks), newChunk(docs))
	indexed := 0
	for _, c := range next.chunks {
		indexed += len(c.docs)
	}
	if len(next.chunks) > mergeChunks || indexed > 2*len(next.live)+64 {
		// merge the small chunks into one; rebuild everything only when
		// they have grown to half the first, or old versions abound
		liveOf := func(cs []*chunk) []*doc {
			var out []*doc
			for _, c := range cs {
				for _, d := range c.docs {
					if next.live[d.id] == d {
						out = append(out, d)
					}
				}
			}
			return out
		}
		small := liveOf(next.chunks[1:])
		if base := next.chunks[0]; indexed <= 2*len(next.live)+64 && len(small) <= len(base.docs)/2 {
			next.chunks = []*chunk{base, newChunk(small)}
		} else {
			all := liveOf(next.chunks)
			slices.SortFunc(all, func(a, b *doc) int { return strings.Compare(a.id, b.id) })
			next.chunks = []*chunk{newChunk(all)}
		}
	}
	s.mu.Lock()
	s.snap = next
	s.mu.Unlock()
	return err
}

// load reads what is searched of a policy. A policy whose texts cannot be
// read is still found by its title and issue number.
func (s *searcher) load(ctx context.Context, r store.Row) (*doc, error) {
	d := &doc{id: r.ID}
	d.fields[fTitle], d.fields[fIssue] = newField(r.Policy.Title), newField(r.Policy.IssueNumber)
	c, err := s.st.Compared(ctx, r.ID, nil, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("search: policy unreadable, indexed by its title", "policy", r.ID, "err", err)
		}
		return d, nil
	}
	att := c.Attachment
	if !c.Settled { // some attachments still pending: index those done
		var parts []string
		for _, rec := range c.Records {
			if rec.OK {
				if t, err := s.st.Text(ctx, r.ID, rec.FileID); err == nil {
					parts = append(parts, t)
				}
			}
		}
		att = strings.Join(parts, "\n")
	}
	if ctx.Err() != nil {
		return nil, ctx.Err() // a text may be missing: read it again next time
	}
	d.fields[fTitle], d.fields[fIssue] = newField(c.Policy.PolicyTitle), newField(c.Policy.IssueNumber)
	d.fields[fAttachment], d.fields[fWeb] = newField(att), newField(store.WebText(c.Policy))
	return d, nil
}

// parallel runs fn(0..n-1), at most k at once, stopping at the first error.
func parallel(ctx context.Context, n, k int, fn func(int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(k)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// hit is one policy found.
type hit struct {
	doc   *doc
	score float64
	field int // where the passage shown is
	at    int // byte offset of the match in that field's folded text
	term  string
}

// terms splits a query into folded terms (white space separates them).
func terms(q string) []string {
	f := newField(q)
	var out []string
	for _, t := range strings.Fields(f.norm) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
		if len(out) == 8 {
			break // a longer query adds nothing but cost
		}
	}
	return out
}

// search returns the live policies holding every term, best first.
func (sn *snapshot) search(q string) []hit {
	ts := terms(q)
	if len(ts) == 0 {
		return nil
	}
	type match struct {
		d   *doc
		tfs [][nFields]int
		at  [nFields]int
	}
	var found []*match
	byDoc := map[*doc]*match{}
	df := make([]int, len(ts))
	for ti, t := range ts {
		rs := []rune(t)
		var gs []gram
		if len(rs) == 1 {
			gs = []gram{mkGram(rs[0], 0)}
		} else {
			for k := 0; k+1 < len(rs); k++ {
				gs = append(gs, mkGram(rs[k], rs[k+1]))
			}
		}
		for _, c := range sn.chunks {
			for _, n := range intersect(c, gs) {
				d := c.docs[n]
				if sn.live[d.id] != d {
					continue // an older version
				}
				m := byDoc[d]
				if m == nil {
					if ti > 0 {
						continue // missed an earlier term
					}
					m = &match{d: d, tfs: make([][nFields]int, len(ts))}
					for f := range m.at {
						m.at[f] = -1
					}
					byDoc[d] = m
					found = append(found, m)
				}
				ok := false
				for f := range nFields {
					norm := d.fields[f].norm
					tf, at := count(norm, t, 8)
					m.tfs[ti][f] = tf
					if tf > 0 {
						ok = true
						if ti == 0 && m.at[f] < 0 {
							m.at[f] = at
						}
					}
				}
				if ok {
					df[ti]++
				}
			}
		}
		// keep only the documents that matched this term too
		kept := found[:0]
		for _, m := range found {
			matched := false
			for _, tf := range m.tfs[ti] {
				matched = matched || tf > 0
			}
			if matched {
				kept = append(kept, m)
			} else {
				delete(byDoc, m.d)
			}
		}
		found = kept
	}
	n := float64(len(sn.live))
	hits := make([]hit, 0, len(found))
	for _, m := range found {
		h := hit{doc: m.d, field: -1, term: ts[0]}
		for ti := range ts {
			idf := math.Log(1 + n/float64(max(df[ti], 1)))
			for f := range nFields {
				if tf := m.tfs[ti][f]; tf > 0 {
					h.score += fieldWeight[f] * (1 + math.Log(float64(tf))) * idf
				}
			}
		}
		// the passage: from the texts first (the title is shown anyway)
		for _, f := range []int{fAttachment, fWeb, fTitle, fIssue} {
			if m.at[f] >= 0 {
				h.field, h.at = f, m.at[f]
				break
			}
		}
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.doc.id, b.doc.id)
	})
	return hits
}

// intersect returns the chunk's documents holding every gram.
func intersect(c *chunk, gs []gram) []uint32 {
	lists := make([][]uint32, 0, len(gs))
	for _, g := range gs {
		l, ok := c.post[g]
		if !ok {
			return nil
		}
		lists = append(lists, l)
	}
	slices.SortFunc(lists, func(a, b []uint32) int { return len(a) - len(b) })
	out := slices.Clone(lists[0])
	for _, l := range lists[1:] {
		kept, j := out[:0], 0
		for _, x := range out {
			for j < len(l) && l[j] < x {
				j++
			}
			if j < len(l) && l[j] == x {
				kept = append(kept, x)
			}
		}
		out = kept
		if len(out) == 0 {
			break
		}
	}
	return out
}

// count counts the occurrences of t in s, up to limit, and the first one's
// offset.
func count(s, t string, limit int) (n, first int) {
	first = -1
	for off := 0; n < limit; {
		i := strings.Index(s[off:], t)
		if i < 0 {
			break
		}
		if first < 0 {
			first = off + i
		}
		n++
		off += i + len(t)
	}
	return n, first
}

// passageRunes: how much text the result shows around the match.
const passageRunes = 40

// passage shows the hit's text around its match, every term highlighted.
func (h hit) passage(ts []string) (where string, html template.HTML) {
	if h.field < 0 {
		return "", ""
	}
	f := &h.doc.fields[h.field]
	s := f.norm
	from, to := h.at, h.at+len(h.term)
	for k := 0; k < passageRunes && from > 0; k++ {
		_, w := utf8.DecodeLastRuneInString(s[:from])
		if s[from-w] == '\n' {
			break
		}
		from -= w
	}
	for k := 0; k < passageRunes && to < len(s); k++ {
		if s[to] == '\n' {
			break
		}
		_, w := utf8.DecodeRuneInString(s[to:])
		to += w
	}
	// the terms' occurrences inside the passage
	var marks [][2]int
	for _, t := range ts {
		for off := from; off < to; {
			i := strings.Index(s[off:to], t)
			if i < 0 {
				break
			}
			marks = append(marks, [2]int{off + i, off + i + len(t)})
			off += i + len(t)
		}
	}
	slices.SortFunc(marks, func(a, b [2]int) int { return a[0] - b[0] })
	var b strings.Builder
	if from > 0 && s[from-1] != '\n' {
		b.WriteString("…")
	}
	pos := from
	for _, m := range marks {
		if m[0] < pos {
			continue
		}
		b.WriteString(template.HTMLEscapeString(f.original(pos, m[0])))
		fmt.Fprintf(&b, "<mark>%s</mark>", template.HTMLEscapeString(f.original(m[0], m[1])))
		pos = m[1]
	}
	b.WriteString(template.HTMLEscapeString(f.original(pos, to)))
	if to < len(s) && s[to] != '\n' {
		b.WriteString("…")
	}
	return fieldName[h.field], template.HTML(b.String())
}
