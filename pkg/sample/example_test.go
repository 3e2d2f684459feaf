package sample_test

import (
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/policytext/policytext/pkg/sample"
)

// The bundled sample is the recorded catalogue (the API's envelope) and the
// attachments it names, served by the sample portal and the all-in-one.
func ExampleCatalogue() {
	var env struct {
		Data struct {
			Result []struct {
				ID    string `json:"id"`
				Files []struct {
					FileURL string `json:"fileUrl"`
				} `json:"files"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(sample.Catalogue(), &env); err != nil {
		fmt.Println(err)
		return
	}
	files, _ := fs.Glob(sample.Files(), "*/*")
	fmt.Println(len(env.Data.Result) > 0, len(files) > 0)
	// Output: true true
}
