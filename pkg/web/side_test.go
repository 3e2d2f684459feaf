package web

import (
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/reconcile"
)

func TestSideBySideMarksAndEscapes(t *testing.T) {
	att := "限额的5倍。<script>x</script>\n第八条\n"
	web := "限额的4倍。<script>x</script>\n"
	rep := reconcile.Compare(att, web, reconcile.Options{})
	s := sideBySide(att, web, rep)
	if !s.Consistent || len(s.Items) != 2 || !s.Items[0].Numeric {
		t.Fatalf("items %+v consistent %v", s.Items, s.Consistent)
	}
	a, w := string(s.Attachment), string(s.Web)
	if strings.Contains(a, "<script>") || !strings.Contains(a, "&lt;script&gt;") {
		t.Error("text must be escaped")
	}
	if !strings.Contains(a, `class="diff changed numeric" title="#1">5倍</mark>`) || !strings.Contains(w, `>4倍</mark>`) {
		t.Errorf("numeric spans not marked:\n%s\n%s", a, w)
	}
	if !strings.Contains(a, `>第八条</mark>`) || !strings.Contains(w, `class="diff attachment_only gap"`) {
		t.Errorf("one-sided difference not marked on both sides:\n%s\n%s", a, w)
	}
	// a report that no longer fits the texts is listed, not highlighted
	stale := sideBySide(att+"more", "other", rep)
	if stale.Consistent || strings.Contains(string(stale.Attachment), "<mark") {
		t.Error("stale ranges must not be highlighted")
	}
}
