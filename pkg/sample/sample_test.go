package sample

import (
	"encoding/json"
	"io/fs"
	"testing"
)

func TestSampleIsComplete(t *testing.T) {
	var cat struct {
		Data struct {
			Result []struct {
				ID    string `json:"id"`
				Files []struct {
					FileKey string `json:"fileKey"`
				} `json:"files"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(Catalogue(), &cat); err != nil {
		t.Fatal(err)
	}
	if len(cat.Data.Result) != 190 {
		t.Fatalf("%d policies", len(cat.Data.Result))
	}
	for _, p := range cat.Data.Result {
		for _, f := range p.Files {
			if _, err := fs.Stat(Files(), f.FileKey); err != nil {
				t.Errorf("policy %s: attachment %s missing: %v", p.ID, f.FileKey, err)
			}
		}
	}
}

func TestDemoFilesOverlayTheReconCases(t *testing.T) {
	const key = "202404/da13243e9a1e444e9246b2ebda53410e.doc" // recon-01's policy
	plain, err := fs.ReadFile(Files(), key)
	if err != nil {
		t.Fatal(err)
	}
	demo, err := fs.ReadFile(DemoFiles(), key)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) == string(demo) {
		t.Error("the demo should serve the recon case's attachment")
	}
	if n := len(reconFiles()); n != 5 {
		t.Errorf("%d recon files, want 5", n)
	}
	if _, err := fs.ReadFile(DemoFiles(), "202310/missing.doc"); err == nil {
		t.Error("missing files stay missing")
	}
}

func TestCatalogueCopies(t *testing.T) {
	var cat struct {
		Data struct {
			Result []struct {
				ID    string `json:"id"`
				Files []struct {
					FileID  string `json:"fileId"`
					FileKey string `json:"fileKey"`
				} `json:"files"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(CatalogueCopies(500), &cat); err != nil {
		t.Fatal(err)
	}
	ids, files := map[string]bool{}, map[string]bool{}
	for _, p := range cat.Data.Result {
		ids[p.ID] = true
		for _, f := range p.Files {
			files[f.FileID] = true
			if _, err := fs.Stat(Files(), f.FileKey); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(cat.Data.Result) != 500 || len(ids) != 500 || len(files) != 500 {
		t.Errorf("%d records, %d ids, %d file ids", len(cat.Data.Result), len(ids), len(files))
	}
}
