package msdoc

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/policytext/policytext/pkg/text"
)

const fixturesDir = "../../../shared/fixtures"

// TestSharedFixtures checks all 278 .doc attachments of the shared fixtures
// (139 written by LibreOffice, 139 by the independent mini97 writer)
// against their truth texts. testdata/golden holds a copy of a subset for
// machines without ../shared.
func TestSharedFixtures(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixturesDir, "api/catalogue.json"))
	if err != nil {
		t.Skipf("SKIPPED: shared fixtures not present (%v); testdata/golden covers a subset", err)
	}
	var cat struct {
		Data struct {
			Result []struct {
				Files []struct {
					FileID  string `json:"fileId"`
					FileKey string `json:"fileKey"`
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
			if filepath.Ext(f.FileKey) != ".doc" {
				continue
			}
			want, err := os.ReadFile(filepath.Join(fixturesDir, "truth", f.FileID+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			for _, dir := range []string{"files", "files-mini97"} {
				path := filepath.Join(fixturesDir, dir, f.FileKey)
				doc, err := extractFile(t, path)
				n++
				if err != nil {
					t.Errorf("%s: %v", path, err)
					continue
				}
				if got := doc.PlainText(text.RenderOptions{}); got != string(want) {
					t.Errorf("%s: %s", path, firstDiff(got, string(want)))
				}
			}
		}
	}
	if n != 278 {
		t.Errorf("checked %d files, want 278", n)
	}
}
