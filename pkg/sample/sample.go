// Package sample embeds the bundled sample of real portal data: the
// 190-policy catalogue (its first 10 records are real recorded policies,
// the rest built from their paragraphs) and one attachment per policy,
// stored under the fileKey of its record. The sample portal server
// (pkg/policyapi) serves it to tests and to the all-in-one demo.
//
// Example:
//
//	cat := sample.Catalogue()            // the API envelope, as JSON
//	f, _ := sample.Files().Open("202404/da13243e9a1e444e9246b2ebda53410e.doc")
package sample

import (
	"embed"
	"io/fs"
)

//go:embed data/catalogue.json
var catalogue []byte

//go:embed data/files
var files embed.FS

// Catalogue returns the catalogue in the envelope of the portal's list API
// (data.result holds all 190 policies).
func Catalogue() []byte { return catalogue }

// Files returns the attachments, named by fileKey ("202404/<hex>.doc").
func Files() fs.FS {
	sub, err := fs.Sub(files, "data/files")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}
