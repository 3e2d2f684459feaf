// Package web serves the results as plain server-rendered pages over the
// object store: the list of policies with their status and verdict, and
// per policy its metadata, each attachment's text, download links, and the
// reconcile report side by side with the differences highlighted (numeric
// ones first).
//
// Example:
//
//	h := web.New(st, log)
//	http.ListenAndServe("127.0.0.1:8080", h)
package web

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/policytext/policytext/pkg/htmltext"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/store"
)

// Store is what the pages read.
type Store interface {
	Get(ctx context.Context, key string, max int64) ([]byte, error)
	ListInfo(ctx context.Context, prefix string) ([]store.ObjectInfo, error)
}

//go:embed templates/*.html
var templates embed.FS

// Handler serves the pages.
type Handler struct {
	st   Store
	log  *slog.Logger
	tmpl *template.Template
	mux  *http.ServeMux

	// rows caches each policy's list row under the ETags of its objects:
	// one listing of the bucket tells which rows are still current, so the
	// list costs one LIST plus reads of what changed.
	mu   sync.Mutex
	rows map[string]cachedRow
}

type cachedRow struct {
	sig string
	row row
}

// New returns the handler of the pages.
func New(st Store, log *slog.Logger) *Handler {
	h := &Handler{st: st, log: log, mux: http.NewServeMux(), rows: map[string]cachedRow{}}
	h.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"pct": func(f float64) string { return strings.TrimRight(strings.TrimRight(ftoa(100*f), "0"), ".") + "%" },
	}).ParseFS(templates, "templates/*.html"))
	h.mux.HandleFunc("GET /{$}", h.list)
	h.mux.HandleFunc("GET /policies/{id}", h.policy)
	h.mux.HandleFunc("GET /policies/{id}/files/{file}", h.file)
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

// row is one policy in the list.
type row struct {
	ID, Title, Issue, Published string
	Files, OK, Failed           int
	Verdict                     string
	Numeric                     int
	Differences                 int
}

// verdictOrder puts the policies that need a look first.
var verdictOrder = map[string]int{reconcile.Differs: 0, reconcile.Truncated: 1, reconcile.DifferentDocument: 2,
	reconcile.NoText: 3, "pending": 4, reconcile.Match: 5}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	objs, err := h.st.ListInfo(ctx, store.Prefix)
	if err != nil {
		h.fail(w, err)
		return
	}
	byPolicy := map[string][]store.ObjectInfo{}
	for _, o := range objs {
		if id := store.PolicyIDOf(o.Key); id != "" {
			byPolicy[id] = append(byPolicy[id], o)
		}
	}
	rows := make([]row, 0, len(byPolicy))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for id, objs := range byPolicy {
		var sig strings.Builder
		for _, o := range objs {
			sig.WriteString(o.Key + "=" + o.ETag + ";")
		}
		h.mu.Lock()
		c, ok := h.rows[id]
		h.mu.Unlock()
		if ok && c.sig == sig.String() {
			rows = append(rows, c.row)
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			rw, ok := h.row(ctx, id, objs)
			if !ok {
				return
			}
			h.mu.Lock()
			h.rows[id] = cachedRow{sig: sig.String(), row: rw}
			h.mu.Unlock()
			mu.Lock()
			rows = append(rows, rw)
			mu.Unlock()
		})
	}
	wg.Wait()
	filter := r.URL.Query().Get("verdict")
	counts := map[string]int{}
	shown := rows[:0:0]
	for _, rw := range rows {
		counts[rw.Verdict]++
		if filter == "" || rw.Verdict == filter {
			shown = append(shown, rw)
		}
	}
	slices.SortFunc(shown, func(a, b row) int {
		return cmp.Or(cmp.Compare(verdictOrder[a.Verdict], verdictOrder[b.Verdict]), -cmp.Compare(a.Numeric, b.Numeric),
			-cmp.Compare(a.Published, b.Published), cmp.Compare(a.ID, b.ID))
	})
	h.render(w, "list.html", map[string]any{"Rows": shown, "Total": len(rows), "Counts": counts, "Filter": filter})
}

func (h *Handler) row(ctx context.Context, id string, objs []store.ObjectInfo) (row, bool) {
	pk, _ := store.PolicyKey(id)
	b, err := h.st.Get(ctx, pk, 64<<20)
	if err != nil {
		return row{}, false
	}
	var p policyapi.Policy
	if json.Unmarshal(b, &p) != nil {
		return row{}, false
	}
	rw := row{ID: id, Title: p.PolicyTitle, Issue: p.IssueNumber, Published: p.PublishTime, Files: len(p.Files), Verdict: "pending"}
	rk, _ := store.ReportKey(id)
	if rb, err := h.st.Get(ctx, rk, 64<<20); err == nil {
		var rep storedReport
		if json.Unmarshal(rb, &rep) == nil {
			rw.Verdict = rep.Report.Verdict
			rw.Differences = len(rep.Report.Differences)
			for _, d := range rep.Report.Differences {
				if len(d.Tags) > 0 {
					rw.Numeric++
				}
			}
			// the report names each attachment's fate: no record to read
			for _, a := range rep.Attachments {
				if a.OK {
					rw.OK++
				} else {
					rw.Failed++
				}
			}
			return rw, true
		}
	}
	for _, o := range objs {
		if strings.HasSuffix(o.Key, ".json") && strings.Contains(o.Key, "/files/") {
			if rb, err := h.st.Get(ctx, o.Key, 1<<20); err == nil {
				var rec struct {
					OK bool `json:"ok"`
				}
				json.Unmarshal(rb, &rec)
				if rec.OK {
					rw.OK++
				} else {
					rw.Failed++
				}
			}
		}
	}
	return rw, true
}

// storedReport is the shape of reconcile.json (pkg/pipeline writes it).
type storedReport struct {
	Attachments []struct {
		FileID string `json:"fileId"`
		OK     bool   `json:"ok"`
		Error  string `json:"error"`
	} `json:"attachments"`
	Report reconcile.Report `json:"report"`
}

type attachmentView struct {
	File     policyapi.File
	Text     string
	Record   map[string]any
	Download string
	TextURL  string
}

func (h *Handler) policy(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	pk, err := store.PolicyKey(id)
	if err != nil {
		http.Error(w, "not a policy id", http.StatusBadRequest)
		return
	}
	b, err := h.st.Get(ctx, pk, 64<<20)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	} else if err != nil {
		h.fail(w, err)
		return
	}
	var p policyapi.Policy
	if err := json.Unmarshal(b, &p); err != nil {
		h.fail(w, err)
		return
	}
	var atts []attachmentView
	texts := map[string]string{}
	for _, f := range p.Files {
		av := attachmentView{File: f,
			Download: "/policies/" + url.PathEscape(p.ID) + "/files/" + url.PathEscape(f.FileID) + "?original=1",
			TextURL:  "/policies/" + url.PathEscape(p.ID) + "/files/" + url.PathEscape(f.FileID)}
		if rk, err := store.RecordKey(p.ID, f.FileID); err == nil {
			if rb, err := h.st.Get(ctx, rk, 1<<20); err == nil {
				json.Unmarshal(rb, &av.Record)
			}
		}
		if tk, err := store.TextKey(p.ID, f.FileID); err == nil {
			if tb, err := h.st.Get(ctx, tk, 256<<20); err == nil {
				av.Text = string(tb)
				texts[f.FileID] = av.Text
			}
		}
		atts = append(atts, av)
	}
	data := map[string]any{"P": p, "Attachments": atts}
	rk, _ := store.ReportKey(p.ID)
	if rb, err := h.st.Get(ctx, rk, 64<<20); err == nil {
		var rep storedReport
		if json.Unmarshal(rb, &rep) == nil {
			// the texts the reconciler compared: the extracted attachments
			// in order, and the web text as paragraphs
			var att strings.Builder
			for _, a := range rep.Attachments {
				if a.OK {
					att.WriteString(texts[a.FileID])
				}
			}
			web := strings.Join(htmltext.Paragraphs(p.PolicyText), "\n")
			data["Report"] = rep.Report
			data["Side"] = sideBySide(att.String(), web, rep.Report)
		}
	}
	h.render(w, "policy.html", data)
}

// file serves an attachment's text, or its original with ?original=1.
func (h *Handler) file(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, fileID := r.PathValue("id"), r.PathValue("file")
	pk, err := store.PolicyKey(id)
	if err != nil {
		http.Error(w, "not a policy id", http.StatusBadRequest)
		return
	}
	if r.URL.Query().Get("original") == "" {
		tk, err := store.TextKey(id, fileID)
		if err != nil {
			http.Error(w, "not a file id", http.StatusBadRequest)
			return
		}
		b, err := h.st.Get(ctx, tk, 256<<20)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", store.TextPlain)
		w.Write(b)
		return
	}
	b, err := h.st.Get(ctx, pk, 64<<20)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	var p policyapi.Policy
	json.Unmarshal(b, &p)
	for _, f := range p.Files {
		if f.FileID != fileID {
			continue
		}
		ok, err := store.OriginalKey(id, fileID, f.FileType)
		if err != nil {
			break
		}
		data, err := h.st.Get(ctx, ok, 256<<20)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		name := f.FileName
		if !strings.HasSuffix(name, "."+f.FileType) {
			name += "." + f.FileType
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
		w.Write(data)
		return
	}
	http.NotFound(w, r)
}

func (h *Handler) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := h.tmpl.ExecuteTemplate(w, name, data); err != nil {
		h.log.Error("render", "page", name, "err", err)
	}
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	h.log.Error("page failed", "err", err)
	http.Error(w, "the store cannot be read right now", http.StatusServiceUnavailable)
}
