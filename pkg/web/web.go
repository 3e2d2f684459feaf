// Package web serves the results as plain server-rendered pages over the
// bucket (pkg/store): the list of policies with their status and verdict,
// read from the policy index and paged, and per policy its metadata, each
// attachment's text, download links, and the reconcile report side by side
// with the differences highlighted (numeric ones first).
//
// Everything it shows comes from the portal or from its attachments, so
// every page is escaped by html/template, carries a Content-Security-Policy
// that allows no inline script or style, and may not be framed.
package web

import (
	"cmp"
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
	st    *store.Store
	index *store.IndexReader
	log   *slog.Logger
	tmpl  *template.Template
	mux   *http.ServeMux
}

// New returns the handler of the pages.
func New(st *store.Store, log *slog.Logger) *Handler {
	h := &Handler{st: st, index: st.NewIndexReader(), log: log, mux: http.NewServeMux()}
	h.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"pct": func(f float64) string { return strings.TrimRight(strings.TrimRight(ftoa(100*f), "0"), ".") + "%" },
		"kb":  func(n int64) string { return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB" },
	}).ParseFS(templates, "templates/*.html"))
	sub, _ := fs.Sub(static, "static")
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(sub)))
	h.mux.HandleFunc("GET /{$}", h.list)
	h.mux.HandleFunc("GET /policies/{id}", h.policy)
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

// row is one policy in the list.
type row struct {
	ID, Title, Issue, Published string
	Level, Type                 string
	Files, OK, Failed           int
	Verdict                     string
	Numeric                     int
	Differences                 int
}

// verdictOrder puts the policies that need a look first.
var verdictOrder = map[string]int{reconcile.Differs: 0, reconcile.Truncated: 1, reconcile.DifferentDocument: 2,
	reconcile.NoText: 3, store.Pending: 4, reconcile.Match: 5}

func newRow(r store.Row) row {
	out := row{ID: r.ID, Verdict: r.Verdict()}
	if p := r.Policy; p != nil {
		out.Title, out.Issue, out.Published, out.Level, out.Type, out.Files = p.Title, p.IssueNumber, p.Published, p.Level, p.Type, p.Files
	}
	if rep := r.Report; rep != nil && out.Verdict != store.Pending {
		out.OK, out.Failed, out.Differences, out.Numeric = rep.OK, rep.Failed, rep.Differences, rep.Numeric
	}
	return out
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	idx, err := h.index.Rows(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	q := r.URL.Query()
	filter := q.Get("verdict")
	counts := map[string]int{}
	shown := make([]row, 0, len(idx))
	for _, ir := range idx {
		if ir.Policy == nil {
			continue // reported, but its record's row is not written yet
		}
		rw := newRow(ir)
		counts[rw.Verdict]++
		if filter == "" || rw.Verdict == filter {
			shown = append(shown, rw)
		}
	}
	slices.SortFunc(shown, func(a, b row) int {
		return cmp.Or(cmp.Compare(verdictOrder[a.Verdict], verdictOrder[b.Verdict]), -cmp.Compare(a.Numeric, b.Numeric),
			-cmp.Compare(a.Published, b.Published), cmp.Compare(a.ID, b.ID))
	})
	page, _ := strconv.Atoi(q.Get("page"))
	pages := max(1, (len(shown)+PageSize-1)/PageSize)
	page = min(max(page, 1), pages)
	from, to := (page-1)*PageSize, min(page*PageSize, len(shown))
	total := 0
	for _, n := range counts {
		total += n
	}
	link := func(p int) string {
		v := url.Values{}
		if filter != "" {
			v.Set("verdict", filter)
		}
		if p > 1 {
			v.Set("page", strconv.Itoa(p))
		}
		if len(v) == 0 {
			return "/"
		}
		return "/?" + v.Encode()
	}
	data := map[string]any{"Rows": shown[from:to], "Shown": len(shown), "Total": total, "Counts": counts, "Filter": filter,
		"Page": page, "Pages": pages, "From": from + 1, "To": to}
	if page > 1 {
		data["Prev"] = link(page - 1)
	}
	if page < pages {
		data["Next"] = link(page + 1)
	}
	h.render(w, http.StatusOK, "list.html", data)
}

type attachmentView struct {
	File     policyapi.File
	Text     string
	Record   *store.Record
	Download string
	TextURL  string
}

func (h *Handler) policy(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	c, err := h.st.Compared(ctx, id, nil)
	switch {
	case errors.Is(err, store.ErrBadID):
		h.notFound(w, "“"+id+"” is not a policy id: policy ids are digits.")
		return
	case errors.Is(err, store.ErrNotFound):
		h.notFound(w, "No policy "+id+" is stored. It may not have been crawled yet: `policyctl queue "+id+"` asks for it.")
		return
	case err != nil:
		h.fail(w, err)
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
	rep, err := h.st.Report(ctx, p.ID)
	switch {
	case err == nil && c.Settled:
		data["Report"] = rep.Report
		data["Side"] = sideBySide(c.Attachment, c.Web, rep.Report)
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
