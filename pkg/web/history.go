package web

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/reconcile"
	"github.com/policytext/policytext/pkg/store"
)

// maxVersionsShown bounds the versions one history page reads.
const maxVersionsShown = 50

// change is one step of a policy's history: the version replaced at When
// by the next one.
type change struct {
	When                      time.Time
	Version                   string
	Title                     string
	TitleChanged, TextChanged bool
	FilesChanged              bool
	Summary                   string
}

func (h *Handler) history(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, ok := h.lookup(w, r)
	if !ok {
		return
	}
	p := c.Policy
	vs, err := h.st.Versions(ctx, p.ID)
	if err != nil {
		h.fail(w, err)
		return
	}
	omitted := max(0, len(vs)-maxVersionsShown)
	vs = vs[omitted:]
	olds := make([]policyapi.Policy, len(vs))
	err = parallel(ctx, len(vs), 8, func(i int) error {
		var err error
		olds[i], err = h.st.PolicyVersion(ctx, p.ID, vs[i].ID())
		return err
	})
	if err != nil {
		h.fail(w, err)
		return
	}
	var changes []change
	for i, v := range vs {
		next := p
		if i+1 < len(olds) {
			next = olds[i+1]
		}
		old := olds[i]
		ch := change{When: v.Replaced, Version: v.ID(), Title: old.PolicyTitle,
			TitleChanged: old.PolicyTitle != next.PolicyTitle, FilesChanged: !sameFileList(old.Files, next.Files)}
		ow, nw := store.WebText(old), store.WebText(next)
		if ow != nw {
			ch.TextChanged = true
			ch.Summary = newDiffView(ow, nw, reconcile.Compare(ow, nw, reconcile.Options{}), historyLabels).Summary
		}
		changes = append(changes, ch)
	}
	slices.Reverse(changes) // newest first
	h.render(w, http.StatusOK, "history.html", map[string]any{"P": p, "Changes": changes, "Omitted": omitted})
}

func sameFileList(a, b []policyapi.File) bool {
	return slices.EqualFunc(a, b, func(x, y policyapi.File) bool {
		return x.FileID == y.FileID && x.FileKey == y.FileKey && x.FileName == y.FileName && x.FileSize == y.FileSize
	})
}

// versionDiff shows the web text of a kept version against the version
// that replaced it, in the same view as the reconcile report.
func (h *Handler) versionDiff(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, ok := h.lookup(w, r)
	if !ok {
		return
	}
	p, vid := c.Policy, r.PathValue("version")
	old, err := h.st.PolicyVersion(ctx, p.ID, vid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.notFound(w, "Policy "+p.ID+" has no kept version “"+vid+"”.")
		return
	case err != nil:
		h.fail(w, err)
		return
	}
	vs, err := h.st.Versions(ctx, p.ID)
	if err != nil {
		h.fail(w, err)
		return
	}
	next, nextWhen := p, time.Time{}
	var when time.Time
	for i, v := range vs {
		if v.ID() != vid {
			continue
		}
		when = v.Replaced
		if i+1 < len(vs) {
			if next, err = h.st.PolicyVersion(ctx, p.ID, vs[i+1].ID()); err != nil {
				h.fail(w, err)
				return
			}
			nextWhen = vs[i+1].Replaced
		}
	}
	ow, nw := store.WebText(old), store.WebText(next)
	rep := reconcile.Compare(ow, nw, reconcile.Options{})
	h.render(w, http.StatusOK, "version.html", map[string]any{"P": p, "Old": old, "New": next, "When": when,
		"NextWhen": nextWhen, "Current": nextWhen.IsZero(), "Diff": newDiffView(ow, nw, rep, historyLabels),
		"TitleChanged": old.PolicyTitle != next.PolicyTitle, "FilesChanged": !sameFileList(old.Files, next.Files)})
}
