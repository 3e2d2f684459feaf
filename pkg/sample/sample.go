// Package sample embeds the bundled sample of real portal data: the
// 190-policy catalogue (its first 10 records are real recorded policies,
// the rest built from their paragraphs) and one attachment per policy,
// stored under the fileKey of its record. The sample portal server
// (pkg/policyapi) serves it to tests and to the all-in-one demo.
package sample

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

//go:embed data/catalogue.json
var catalogue []byte

//go:embed data/files
var files embed.FS

//go:embed data/recon
var recon embed.FS

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

// DemoFiles is Files with the reconciler cases of the shared fixtures laid
// over it: for five policies the attachment differs from the web text (a
// changed number, a deleted or added paragraph, a text that stops early,
// another document, formatting noise only), so a demo shows every verdict.
func DemoFiles() fs.FS {
	return overlay{top: reconFiles(), base: Files()}
}

// reconFiles maps fileKey → the case's attachment.
func reconFiles() map[string]string {
	m := map[string]string{}
	entries, _ := fs.ReadDir(recon, "data/recon")
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		root := "data/recon/" + e.Name()
		fs.WalkDir(recon, root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				m[strings.TrimPrefix(p, root+"/")] = p
			}
			return nil
		})
	}
	return m
}

// overlay serves a file from the recon cases when one has that name.
type overlay struct {
	top  map[string]string
	base fs.FS
}

func (o overlay) Open(name string) (fs.File, error) {
	if p, ok := o.top[name]; ok {
		return recon.Open(p)
	}
	return o.base.Open(name)
}

// CatalogueCopies returns the catalogue with its records repeated until
// there are n (ids and file ids get a three-digit suffix per round; the
// attachments are the same files), for load tests and demos at scale.
func CatalogueCopies(n int) []byte {
	var env struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(catalogue, &env); err != nil || n <= 0 || len(env.Data.Result) == 0 {
		return catalogue
	}
	base := env.Data.Result
	// A copy is its record's bytes with every string that is one of its
	// ids suffixed: a JSON round trip per copy took seconds at 10,000
	// records (130 MB), before the portal could answer its first page. So
	// each record is cut once where a suffix goes (before the closing
	// quote of each of its ids), and a copy is the pieces with the suffix
	// between them.
	pieces := make([][][]byte, len(base))
	for i, rec := range base {
		var ids struct {
			ID    string `json:"id"`
			Files []struct {
				FileID string `json:"fileId"`
			} `json:"files"`
		}
		json.Unmarshal(rec, &ids)
		quoted := []string{ids.ID}
		for _, f := range ids.Files {
			quoted = append(quoted, f.FileID)
		}
		var cuts []int
		for _, id := range quoted {
			if id == "" {
				continue
			}
			q := []byte(`"` + id + `"`)
			for off := 0; ; {
				at := bytes.Index(rec[off:], q)
				if at < 0 {
					break
				}
				off += at + len(q)
				cuts = append(cuts, off-1)
			}
		}
		slices.Sort(cuts)
		cuts = slices.Compact(cuts)
		from := 0
		for _, c := range cuts {
			pieces[i] = append(pieces[i], rec[from:c])
			from = c
		}
		pieces[i] = append(pieces[i], rec[from:])
	}
	var b bytes.Buffer
	b.Grow(len(catalogue) * (n/len(base) + 1))
	fmt.Fprintf(&b, `{"success":true,"code":"0","msg":"success","data":{"pageNo":1,"pageSize":%d,"totalNum":"%d","hasNext":false,"result":[`, n, n)
	for c := range n {
		if c > 0 {
			b.WriteByte(',')
		}
		i, round := c%len(base), c/len(base)
		suffix := ""
		if round > 0 {
			suffix = fmt.Sprintf("%03d", round)
		}
		for k, piece := range pieces[i] {
			if k > 0 {
				b.WriteString(suffix)
			}
			b.Write(piece)
		}
	}
	b.WriteString("]}}")
	return b.Bytes()
}
