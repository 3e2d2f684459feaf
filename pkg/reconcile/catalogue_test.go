package reconcile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policytext/policytext/pkg/htmltext"
)

// TestCatalogue: all 190 policies of the shared catalogue against their
// attachments' truth texts (made from that HTML, tables turned into real
// Word tables) match with no differences.
func TestCatalogue(t *testing.T) {
	const dir = "../../../shared/fixtures"
	raw, err := os.ReadFile(filepath.Join(dir, "api/catalogue.json"))
	if err != nil {
		t.Skipf("SKIPPED: shared fixtures not present (%v); testdata/recon covers the recon cases", err)
	}
	var cat struct {
		Data struct {
			Result []struct {
				ID         string `json:"id"`
				PolicyText string `json:"policyText"`
				Files      []struct {
					FileID string `json:"fileId"`
				} `json:"files"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &cat); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range cat.Data.Result {
		for _, f := range p.Files {
			att, err := os.ReadFile(filepath.Join(dir, "truth", f.FileID+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			web := strings.Join(htmltext.Paragraphs(p.PolicyText), "\n")
			rep := Compare(string(att), web, Options{})
			n++
			if rep.Verdict != Match || len(rep.Differences) != 0 || rep.Approximate {
				t.Errorf("policy %s: %s, %d differences", p.ID, rep.Verdict, len(rep.Differences))
			}
		}
	}
	if n != 190 {
		t.Errorf("%d pairs, want 190", n)
	}
}
