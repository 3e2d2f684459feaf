package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/reconcile"
)

const reconDir = "../reconcile/testdata/recon/"

func TestCompareJSONAndSummary(t *testing.T) {
	code, out, stderr := run("compare", "--html", reconDir+"recon-02.web.html", "--text", reconDir+"recon-02.attachment.txt", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep reconcile.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != reconcile.Differs || len(rep.Differences) != 2 || rep.Normalization != reconcile.Profile {
		t.Errorf("%s %d differences", rep.Verdict, len(rep.Differences))
	}
	code, out, _ = run("compare", "--html", reconDir+"recon-02.web.html", "--text", reconDir+"recon-02.attachment.txt")
	for _, s := range []string{"verdict: differs", "differences: 2 (1 numeric)", "changed [numeric] attachment 20万元, web 15万元  attachment 969-973",
		"【20万元】的创业", "【15万元】的创业", "attachment_only (71 characters)  attachment 2286-2357"} {
		if !strings.Contains(out, s) {
			t.Errorf("summary lacks %q:\n%s", s, out)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
}

// TestCompareSummaryOfATail: a truncated tail is not a number; the summary
// gives its size and how many numbers it holds.
func TestCompareSummaryOfATail(t *testing.T) {
	code, out, stderr := run("compare", "--html", reconDir+"recon-03.web.html", "--text", reconDir+"recon-03.attachment.txt")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, s := range []string{"verdict: truncated (the attachment text stops early)", "differences: 1 (0 numeric)",
		"1. web_only (7299 characters, 44 numbers)  attachment 7784-7784, web 7785-15084"} {
		if !strings.Contains(out, s) {
			t.Errorf("summary lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "[numeric]") {
		t.Errorf("the tail is tagged numeric:\n%s", out)
	}
}

// TestComparePolicyJSONAndWordFile: --html takes a policy JSON, --text a
// Word file; the exit status is 0 for any verdict.
func TestComparePolicyJSONAndWordFile(t *testing.T) {
	html, err := os.ReadFile(reconDir + "recon-04.web.html")
	if err != nil {
		t.Fatal(err)
	}
	policy, _ := json.Marshal(map[string]any{"id": "1775449955778908160", "policyText": string(html)})
	page, _ := json.Marshal(map[string]any{"data": map[string]any{"result": []any{
		map[string]any{"id": "1", "policyText": "<p>x</p>"}, map[string]any{"id": "1775449955778908160", "policyText": string(html)}}}})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "policy.json"), policy, 0o644)
	os.WriteFile(filepath.Join(dir, "page.json"), page, 0o644)
	word := "../msdoc/testdata/golden/lo-1775446429602316288.doc" // another policy's attachment
	for _, args := range [][]string{
		{"compare", "--html", filepath.Join(dir, "policy.json"), "--text", word},
		{"compare", "--html", filepath.Join(dir, "page.json"), "--id", "1775449955778908160", "--text", word},
	} {
		code, out, stderr := run(args...)
		if code != 0 || !strings.Contains(out, "verdict: different_document") {
			t.Errorf("%q: exit %d %s\n%s", args, code, stderr, out)
		}
	}
	if code, _, stderr := run("compare", "--html", filepath.Join(dir, "page.json"), "--text", word); code != 1 || !strings.Contains(stderr, "--id") {
		t.Errorf("a page with several policies needs --id: exit %d %q", code, stderr)
	}
	if code, _, _ := run("compare", "--html", "missing.html", "--text", word); code != 1 {
		t.Errorf("unreadable input: exit %d", code)
	}
	if code, _, _ := run("compare", "--html", "x.html"); code != 2 {
		t.Errorf("usage: exit %d", code)
	}
}
