// Package web serves the results as server-rendered pages over the bucket
// (pkg/store), for a reviewer checking whether the portal's web text says
// what the official attachment says:
//
//   - the list of policies, read from the policy index, with filters that
//     combine (verdict, type, level, numeric differences, failed
//     extraction), a search over titles, issue numbers and the full texts
//     (Chinese included: a character-pair index, see search.go), paged;
//   - per policy, the two texts side by side aligned by paragraph, the
//     differences highlighted inside their paragraphs and listed with their
//     context, numeric ones first, under a one-line summary;
//   - per policy, its history: the earlier versions the crawls kept and
//     the same side-by-side view between two web texts;
//   - feeds of the latest changes and discrepancies (Atom, JSON) and
//     exports (the list as CSV, a report as JSON).
//
// Reading needs no script: the alignment is made on the server and folded
// runs open with <details>. The one script (static/app.js) only adds
// keyboard navigation. Everything shown comes from the portal or from its
// attachments, so every page is escaped by html/template and carries a
// Content-Security-Policy that allows no inline script or style, and may not
// be framed.
package web

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/store"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// PageSize is how many policies one page of the list shows.
const PageSize = 100

// contentSecurityPolicy allows the page's own style sheet and scripts and
// nothing else: no inline script, no framing, no plugin, no form posting
// elsewhere.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the pages.
type Handler struct {
	st     *store.Store
	index  *store.IndexReader
	log    *slog.Logger
	tmpl   *template.Template
	mux    *http.ServeMux
	search *searcher

	refreshEvery time.Duration // Run's tick; RefreshEvery unless a test sets it
}

// New returns the handler of the pages.
func New(st *store.Store, log *slog.Logger) *Handler {
	h := &Handler{st: st, index: st.NewIndexReader(), log: log, mux: http.NewServeMux(), search: newSearcher(st, log)}
	h.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"pct": func(f float64) string { return pctText(f) },
		"kb":  func(n int64) string { return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB" },
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
	}).ParseFS(templates, "templates/*.html"))
	sub, _ := fs.Sub(static, "static")
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(sub)))
	h.mux.HandleFunc("GET /{$}", h.list)
	h.mux.HandleFunc("GET /policies.csv", h.csv)
	h.mux.HandleFunc("GET /changes.json", h.changesJSON)
	h.mux.HandleFunc("GET /changes.atom", h.changesAtom)
	h.mux.HandleFunc("GET /policies/{id}", h.policy)
	h.mux.HandleFunc("GET /policies/{id}/report.json", h.reportJSON)
	h.mux.HandleFunc("GET /policies/{id}/history", h.history)
	h.mux.HandleFunc("GET /policies/{id}/history/{version}", h.versionDiff)
	h.mux.HandleFunc("GET /policies/{id}/files/{file}", h.file)
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.notFound(w, "There is no page at this address.")
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

// RefreshEvery is how often Run brings the search index up to date.
const RefreshEvery = 15 * time.Second

// Run keeps the search index up to date until ctx ends, so that a search
// rarely waits for texts to be read. Without it, searches still bring the
// index up to date themselves.
//
// Reading every text costs CPU and S3 reads the pipeline needs while it
// works (at 10,000 policies an all-in-one run took four times as long with
// the index rebuilt behind it). So Run indexes once the policy index has
// been still for a tick, or as soon as someone has searched.
func (h *Handler) Run(ctx context.Context) error {
	t := time.NewTicker(cmp.Or(h.refreshEvery, RefreshEvery))
	defer t.Stop()
	var lastStamp string
	for {
		if rows, err := h.index.Rows(ctx); err == nil {
			stamp := rowsStamp(rows)
			if stamp == lastStamp || h.search.asked.Load() {
				if err := h.search.refresh(ctx, rows); err != nil && ctx.Err() == nil {
					h.log.Warn("search index not refreshed", "err", err)
				}
			}
			lastStamp = stamp
		} else if ctx.Err() == nil {
			h.log.Warn("policy index unreadable", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// row is one policy in the list.
type row struct {
	ID, Title, Issue, Published string
	Level, Type                 string
	Files, OK, Failed           int
	Verdict                     string
	Numeric                     int
	Differences                 int
	Changed                     time.Time
	Versions                    int
	Where                       string
	Passage                     template.HTML
}

// verdictOrder puts the policies that need a look first.
var verdictOrder = map[string]int{reconcile.Differs: 0, reconcile.Truncated: 1, reconcile.DifferentDocument: 2,
	reconcile.NoText: 3, store.Pending: 4, reconcile.Match: 5}

func newRow(r store.Row) row {
	out := row{ID: r.ID, Verdict: r.Verdict()}
	if p := r.Policy; p != nil {
		out.Title, out.Issue, out.Published, out.Level, out.Type, out.Files = p.Title, p.IssueNumber, p.Published, p.Level, p.Type, p.Files
		out.Changed, out.Versions = p.Changed, p.Versions
	}
	if rep := r.Report; rep != nil && out.Verdict != store.Pending {
		out.OK, out.Failed, out.Differences, out.Numeric = rep.OK, rep.Failed, rep.Differences, rep.Numeric
	}
	return out
}

// filter is what the list is narrowed to; every part combines with the others.
type filter struct {
	Q, Verdict, Type, Level string
	Numeric, Failed         bool
}

func parseFilter(q url.Values) filter {
	clean := func(s string) string { return strings.TrimSpace(truncate(s, 200)) }
	return filter{Q: clean(q.Get("q")), Verdict: clean(q.Get("verdict")), Type: clean(q.Get("type")), Level: clean(q.Get("level")),
		Numeric: q.Get("numeric") != "", Failed: q.Get("failed") != ""}
}

func (f filter) any() bool { return f != filter{} }

func (f filter) keep(r row) bool {
	return (f.Verdict == "" || r.Verdict == f.Verdict) && (f.Type == "" || r.Type == f.Type) &&
		(f.Level == "" || r.Level == f.Level) && (!f.Numeric || r.Numeric > 0) && (!f.Failed || r.Failed > 0)
}

func (f filter) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"q": f.Q, "verdict": f.Verdict, "type": f.Type, "level": f.Level} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Numeric {
		v.Set("numeric", "1")
	}
	if f.Failed {
		v.Set("failed", "1")
	}
	return v
}

// describe says in words what the filter shows.
func (f filter) describe() string {
	var parts []string
	if f.Verdict != "" {
		parts = append(parts, "verdict "+f.Verdict)
	}
	if f.Type != "" {
		parts = append(parts, "type "+f.Type)
	}
	if f.Level != "" {
		parts = append(parts, "level "+f.Level)
	}
	if f.Numeric {
		parts = append(parts, "with numeric differences")
	}
	if f.Failed {
		parts = append(parts, "with a failed extraction")
	}
	if f.Q != "" {
		parts = append(parts, "matching “"+f.Q+"”")
	}
	return strings.Join(parts, ", ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// selectRows reads the index and returns the rows the filter keeps, in
// the order shown (search rank, or the ones needing a look first), with
// the total and the verdict counts of all rows.
func (h *Handler) selectRows(ctx context.Context, f filter) (shown []row, all []row, hits map[string]hit, stale bool, err error) {
	idx, err := h.index.Rows(ctx)
	if err != nil {
		return nil, nil, nil, false, err
	}
	all = make([]row, 0, len(idx))
	for _, ir := range idx {
		if ir.Policy == nil {
			continue // reported, but its record's row is not written yet
		}
		all = append(all, newRow(ir))
	}
	if f.Q == "" {
		for _, rw := range all {
			if f.keep(rw) {
				shown = append(shown, rw)
			}
		}
		slices.SortFunc(shown, func(a, b row) int {
			return cmp.Or(cmp.Compare(verdictOrder[a.Verdict], verdictOrder[b.Verdict]), -cmp.Compare(a.Numeric, b.Numeric),
				-cmp.Compare(a.Published, b.Published), cmp.Compare(a.ID, b.ID))
		})
		return shown, all, nil, false, nil
	}
	// bring the search index up to date, unless Run is doing it (then the
	// index as it is answers, marked stale); a refresh taking long (many
	// policies changed at once) is not waited for past a few seconds
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	h.search.asked.Store(true)
	if err := h.search.refreshIfIdle(rctx, idx); err != nil {
		if ctx.Err() != nil {
			cancel()
			return nil, nil, nil, false, ctx.Err()
		}
		stale = true
		if !errors.Is(err, errRefreshBusy) {
			h.log.Warn("search index not refreshed", "err", err)
		}
	}
	cancel()
	byID := make(map[string]row, len(all))
	for _, rw := range all {
		byID[rw.ID] = rw
	}
	hits = map[string]hit{}
	for _, ht := range h.search.current().search(f.Q) {
		rw, ok := byID[ht.doc.id]
		if ok && f.keep(rw) {
			shown = append(shown, rw)
			hits[rw.ID] = ht
		}
	}
	return shown, all, hits, stale, nil
}

type option struct {
	Value string
	N     int
}

func options(all []row, pick func(row) string) []option {
	n := map[string]int{}
	for _, r := range all {
		if v := pick(r); v != "" {
			n[v]++
		}
	}
	out := make([]option, 0, len(n))
	for v, k := range n {
		out = append(out, option{v, k})
	}
	slices.SortFunc(out, func(a, b option) int { return cmp.Compare(a.Value, b.Value) })
	return out
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	f := parseFilter(r.URL.Query())
	shown, all, hits, stale, err := h.selectRows(r.Context(), f)
	if err != nil {
		h.fail(w, err)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pages := max(1, (len(shown)+PageSize-1)/PageSize)
	page = min(max(page, 1), pages)
	from, to := (page-1)*PageSize, min(page*PageSize, len(shown))
	rows := slices.Clone(shown[from:to])
	ts := terms(f.Q)
	for i := range rows {
		if ht, ok := hits[rows[i].ID]; ok {
			rows[i].Where, rows[i].Passage = ht.passage(ts)
		}
	}
	link := func(p int) string {
		v := f.values()
		if p > 1 {
			v.Set("page", strconv.Itoa(p))
		}
		if len(v) == 0 {
			return "/"
		}
		return "/?" + v.Encode()
	}
	counts := map[string]int{}
	for _, rw := range all {
		counts[rw.Verdict]++
	}
	csvLink := "/policies.csv"
	if v := f.values(); len(v) > 0 {
		csvLink += "?" + v.Encode()
	}
	data := map[string]any{"Rows": rows, "Shown": len(shown), "Total": len(all), "Counts": counts, "F": f,
		"Filtered": f.any(), "Describe": f.describe(), "Types": options(all, func(r row) string { return r.Type }),
		"Levels": options(all, func(r row) string { return r.Level }), "Stale": stale, "CSV": csvLink,
		"Page": page, "Pages": pages, "From": from + 1, "To": to, "Verdicts": verdictList}
	if page > 1 {
		data["Prev"] = link(page - 1)
	}
	if page < pages {
		data["Next"] = link(page + 1)
	}
	h.render(w, http.StatusOK, "list.html", data)
}

var verdictList = []string{reconcile.Differs, reconcile.Truncated, reconcile.DifferentDocument, reconcile.NoText,
	store.Pending, reconcile.Match}

type attachmentView struct {
	File     policyapi.File
	Text     string
	Record   *store.Record
	Download string
	TextURL  string
}

// lookup reads what the policy page needs, answering a missing or invalid
// id with the 404 page.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) (*store.Compared, bool) {
	id := r.PathValue("id")
	c, err := h.st.Compared(r.Context(), id, nil, nil)
	switch {
	case errors.Is(err, store.ErrBadID):
		h.notFound(w, "“"+id+"” is not a policy id: policy ids are digits.")
		return nil, false
	case errors.Is(err, store.ErrNotFound):
		h.notFound(w, "No policy "+id+" is stored. It may not have been crawled yet: `policyctl queue "+id+"` asks for it.")
		return nil, false
	case err != nil:
		h.fail(w, err)
		return nil, false
	}
	return c, true
}

func (h *Handler) policy(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, ok := h.lookup(w, r)
	if !ok {
		return
	}
	p := c.Policy
	var atts []attachmentView
	for i, f := range p.Files {
		av := attachmentView{File: f,
			Download: "/policies/" + url.PathEscape(p.ID) + "/files/" + url.PathEscape(f.FileID) + "?original=1",
			TextURL:  "/policies/" + url.PathEscape(p.ID) + "/files/" + url.PathEscape(f.FileID)}
		if rec := c.Records[i]; !rec.At.IsZero() {
			av.Record = &rec
			if t, ok := c.Texts[f.FileID]; ok {
				av.Text = t
			} else if rec.OK {
				av.Text, _ = h.st.Text(ctx, p.ID, f.FileID) // shown if readable; the page is still useful without it
			}
		}
		atts = append(atts, av)
	}
	data := map[string]any{"P": p, "Attachments": atts}
	if vs, err := h.st.Versions(ctx, p.ID); err == nil {
		data["Versions"] = len(vs)
	}
	rep, err := h.st.Report(ctx, p.ID)
	switch {
	case err == nil && c.Settled:
		data["Report"] = rep.Report
		data["ReportAt"] = rep.At
		data["Diff"] = newDiffView(c.Attachment, c.Web, rep.Report, reconcileLabels)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		h.log.Warn("report unreadable", "policy", p.ID, "err", err)
	}
	h.render(w, http.StatusOK, "policy.html", data)
}

// file serves an attachment's text, or its original with ?original=1.
func (h *Handler) file(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, fileID := r.PathValue("id"), r.PathValue("file")
	if r.URL.Query().Get("original") == "" {
		t, err := h.st.Text(ctx, id, fileID)
		if err != nil {
			h.storeError(w, err, "No text is stored for this attachment.")
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, t)
		return
	}
	body, orig, err := h.st.OpenOriginal(ctx, id, fileID)
	if err != nil {
		h.storeError(w, err, "No original is stored for this attachment.")
		return
	}
	defer body.Close()
	w.Header().Set("Content-Type", orig.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": orig.Name}))
	w.Header().Set("Content-Length", strconv.FormatInt(orig.Size, 10))
	io.Copy(w, body)
}

func (h *Handler) storeError(w http.ResponseWriter, err error, missing string) {
	switch {
	case errors.Is(err, store.ErrBadID):
		h.notFound(w, "Policy and file ids are digits.")
	case errors.Is(err, store.ErrNotFound):
		h.notFound(w, missing)
	default:
		h.fail(w, err)
	}
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := h.tmpl.ExecuteTemplate(w, name, data); err != nil {
		h.log.Error("render", "page", name, "err", err)
	}
}

func (h *Handler) notFound(w http.ResponseWriter, msg string) {
	h.render(w, http.StatusNotFound, "error.html", map[string]any{"Title": "Not found", "Message": msg})
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	h.log.Error("page failed", "err", err)
	h.render(w, http.StatusServiceUnavailable, "error.html",
		map[string]any{"Title": "Unavailable", "Message": "The store cannot be read right now. Try again in a moment."})
}

// rowsStamp changes whenever a policy or report in rows does.
func rowsStamp(rows []store.Row) string {
	var latest time.Time
	for _, r := range rows {
		if r.Policy != nil && r.Policy.At.After(latest) {
			latest = r.Policy.At
		}
		if r.Report != nil && r.Report.At.After(latest) {
			latest = r.Report.At
		}
	}
	return strconv.Itoa(len(rows)) + ":" + strconv.FormatInt(latest.UnixNano(), 10)
}
