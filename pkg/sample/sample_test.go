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
