package web

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/store"
)

// FeedSize is how many entries the change feeds hold.
const FeedSize = 100

// event is one entry of the change feeds: a policy whose record changed
// since an earlier crawl, or a report that found a discrepancy.
type event struct {
	Kind        string    `json:"kind"` // "changed" or "discrepancy"
	PolicyID    string    `json:"policyId"`
	Title       string    `json:"title"`
	At          time.Time `json:"at"`
	Verdict     string    `json:"verdict"`
	Differences int       `json:"differences"`
	Numeric     int       `json:"numeric"`
	Versions    int       `json:"versions,omitempty"`
	Link        string    `json:"link"`
}

func (e event) text() string {
	if e.Kind == "changed" {
		return "The portal changed this policy (" + strconv.Itoa(e.Versions) + " earlier version" + plural(e.Versions) + " kept)."
	}
	s := "Verdict " + e.Verdict + ": " + strconv.Itoa(e.Differences) + " difference" + plural(e.Differences)
	if e.Numeric > 0 {
		s += ", " + strconv.Itoa(e.Numeric) + " numeric"
	}
	return s + "."
}

// base is the address the page was asked for, for absolute links.
func base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (h *Handler) events(r *http.Request) ([]event, error) {
	idx, err := h.index.Rows(r.Context())
	if err != nil {
		return nil, err
	}
	b := base(r)
	var out []event
	for _, ir := range idx {
		if ir.Policy == nil {
			continue
		}
		rw := newRow(ir)
		link := b + "/policies/" + url.PathEscape(rw.ID)
		e := event{PolicyID: rw.ID, Title: rw.Title, Verdict: rw.Verdict, Differences: rw.Differences, Numeric: rw.Numeric, Versions: rw.Versions}
		if !rw.Changed.IsZero() {
			c := e
			c.Kind, c.At, c.Link = "changed", rw.Changed, link+"/history"
			out = append(out, c)
		}
		switch rw.Verdict {
		case reconcile.Differs, reconcile.Truncated, reconcile.DifferentDocument:
			d := e
			d.Kind, d.At, d.Link = "discrepancy", ir.Report.At, link
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b event) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(a.PolicyID+a.Kind, b.PolicyID+b.Kind)
	})
	return out[:min(len(out), FeedSize)], nil
}

func (h *Handler) changesJSON(w http.ResponseWriter, r *http.Request) {
	evs, err := h.events(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	if evs == nil {
		evs = []event{}
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.Encode(map[string]any{"updated": updated(evs), "entries": evs})
}

func updated(evs []event) time.Time {
	if len(evs) == 0 {
		return time.Unix(0, 0).UTC()
	}
	return evs[0].At.UTC()
}

// Atom (RFC 4287).
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Link    []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Summary string   `xml:"summary"`
}

func (h *Handler) changesAtom(w http.ResponseWriter, r *http.Request) {
	evs, err := h.events(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	b := base(r)
	f := atomFeed{ID: b + "/changes.atom", Title: "policytext: changed policies and new discrepancies",
		Updated: updated(evs).Format(time.RFC3339), Author: atomAuthor{Name: "policytext"},
		Link: []atomLink{{Rel: "self", Href: b + "/changes.atom"}, {Rel: "alternate", Href: b + "/"}}}
	for _, e := range evs {
		kind := "Changed on the portal"
		if e.Kind == "discrepancy" {
			kind = "Discrepancy (" + e.Verdict + ")"
		}
		f.Entries = append(f.Entries, atomEntry{
			// an entry's id names the event: the same change keeps its id
			ID:      "tag:policytext," + e.At.UTC().Format("2006-01-02") + ":" + e.Kind + "/" + e.PolicyID + "/" + strconv.FormatInt(e.At.UnixNano(), 10),
			Title:   kind + ": " + e.Title,
			Updated: e.At.UTC().Format(time.RFC3339), Link: atomLink{Href: e.Link}, Summary: e.text()})
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	enc.Encode(f)
}

// csvCell keeps a cell from being read as a formula by a spreadsheet.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (h *Handler) csv(w http.ResponseWriter, r *http.Request) {
	f := parseFilter(r.URL.Query())
	shown, _, _, _, err := h.selectRows(r.Context(), f)
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="policies.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"policy_id", "title", "issue_number", "published", "verdict", "numbers_changed", "differences",
		"attachments", "failed", "link"})
	b := base(r)
	for _, rw := range shown {
		cw.Write([]string{rw.ID, csvCell(rw.Title), csvCell(rw.Issue), csvCell(rw.Published), rw.Verdict,
			strconv.Itoa(rw.Numeric), strconv.Itoa(rw.Differences), strconv.Itoa(rw.Files), strconv.Itoa(rw.Failed),
			b + "/policies/" + url.PathEscape(rw.ID)})
	}
	cw.Flush()
}

func (h *Handler) reportJSON(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rep, err := h.st.Report(r.Context(), id)
	if err != nil {
		status, msg := http.StatusServiceUnavailable, "the store cannot be read right now"
		switch {
		case errors.Is(err, store.ErrBadID):
			status, msg = http.StatusNotFound, "not a policy id: policy ids are digits"
		case errors.Is(err, store.ErrNotFound):
			status, msg = http.StatusNotFound, "no report is stored for policy "+id
		default:
			h.log.Error("report unreadable", "policy", id, "err", err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.Encode(rep)
}
