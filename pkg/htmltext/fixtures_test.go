package htmltext

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCatalogue: for all 190 policies of the shared catalogue, the
// paragraphs of policyText are the truth text of the attachment made from
// it (fixtures README, convention 7).
func TestCatalogue(t *testing.T) {
	const dir = "../../../shared/fixtures"
	raw, err := os.ReadFile(filepath.Join(dir, "api/catalogue.json"))
	if err != nil {
		t.Skipf("SKIPPED: shared fixtures not present (%v)", err)
	}
	var cat struct {
		Data struct {
			Result []struct {
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
	if len(cat.Data.Result) != 190 {
		t.Fatalf("%d policies", len(cat.Data.Result))
	}
	for _, p := range cat.Data.Result {
		want, err := os.ReadFile(filepath.Join(dir, "truth", p.Files[0].FileID+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, para := range Paragraphs(p.PolicyText) {
			b.WriteString(para + "\n")
		}
		if b.String() != string(want) {
			t.Errorf("%s: paragraphs differ from truth", p.Files[0].FileID)
		}
	}
}
