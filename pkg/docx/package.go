package docx

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"strings"

	nguyendocx "github.com/nguyenthenguyen/docx"
)

// Options bound the work done on one package. The zero value means the
// defaults.
type Options struct {
	// MaxPartBytes caps the inflated size of any part that is read
	// (default 64 MiB).
	MaxPartBytes int64
	// MaxTotalBytes caps the inflated size of all parts read (default
	// 256 MiB).
	MaxTotalBytes int64
	// MaxEntries caps the number of entries in the zip (default 10000).
	MaxEntries int
	// MaxTextRunes caps the characters of all stories (default 32 Mi).
	MaxTextRunes int64
}

// maxRatio is the highest compression ratio deflate can reach (about
// 1032:1); a part that claims more lies about its size.
const maxRatio = 1100

func (o Options) withDefaults() Options {
	if o.MaxPartBytes <= 0 {
		o.MaxPartBytes = 64 << 20
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = 256 << 20
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 10000
	}
	if o.MaxTextRunes <= 0 {
		o.MaxTextRunes = 32 << 20
	}
	return o
}

// pkg is an opened OOXML package with its size accounting.
type pkg struct {
	opt   Options
	files map[string]*zip.File // by name, without a leading slash
	read  int64                // inflated bytes read so far
	ra    io.ReaderAt
	size  int64
}

func openPackage(r io.ReaderAt, size int64, opt Options) (*pkg, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotZip, err)
	}
	if len(zr.File) > opt.MaxEntries {
		return nil, fmt.Errorf("%w: %d zip entries, limit %d", ErrTooLarge, len(zr.File), opt.MaxEntries)
	}
	p := &pkg{opt: opt, files: make(map[string]*zip.File, len(zr.File)), ra: r, size: size}
	for _, f := range zr.File {
		p.files[strings.TrimPrefix(f.Name, "/")] = f
	}
	return p, nil
}

// check refuses a part before inflating it when its declared size is over
// a limit or its compression ratio is impossible.
func (p *pkg) check(f *zip.File) error {
	u := f.UncompressedSize64
	switch {
	case u > uint64(p.opt.MaxPartBytes):
		return fmt.Errorf("%w: part %s inflates to %d bytes, limit %d", ErrTooLarge, f.Name, u, p.opt.MaxPartBytes)
	case uint64(p.read)+u > uint64(p.opt.MaxTotalBytes):
		return fmt.Errorf("%w: parts inflate to more than %d bytes", ErrTooLarge, p.opt.MaxTotalBytes)
	case f.CompressedSize64 > 0 && u/f.CompressedSize64 > maxRatio:
		return fmt.Errorf("%w: part %s claims a compression ratio of %d:1", ErrTooLarge, f.Name, u/f.CompressedSize64)
	}
	return nil
}

// open returns a reader of a part's inflated bytes that never yields more
// than the declared size (archive/zip fails with ErrFormat if the data runs
// longer, which is how a lying header shows up).
func (p *pkg) open(name string) (io.ReadCloser, error) {
	f := p.files[name]
	if f == nil {
		return nil, fmt.Errorf("%w: %s not in package", ErrMissingPart, name)
	}
	if err := p.check(f); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %v", ErrCorrupt, name, err)
	}
	p.read += int64(f.UncompressedSize64)
	return &partReader{name: name, r: rc, c: rc, declared: int64(f.UncompressedSize64)}, nil
}

// partReader translates inflate errors into the package's sentinels. When
// the declared size has been delivered it probes for one more byte, so that
// a part whose header lies about its size fails as too large before its
// cut-off tail can be mistaken for malformed XML.
type partReader struct {
	name     string
	r        io.Reader
	c        io.Closer
	declared int64
	n        int64
}

func (pr *partReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.n += int64(n)
	if err == nil && pr.n >= pr.declared {
		var probe [1]byte
		m, perr := pr.r.Read(probe[:])
		switch {
		case m > 0 || errors.Is(perr, zip.ErrFormat):
			return 0, fmt.Errorf("%w: part %s inflates beyond its declared size of %d bytes", ErrTooLarge, pr.name, pr.declared)
		case perr != nil:
			err = perr
		}
	}
	if err != nil && err != io.EOF {
		if errors.Is(err, zip.ErrFormat) {
			err = fmt.Errorf("%w: part %s inflates beyond its declared size of %d bytes", ErrTooLarge, pr.name, pr.declared)
		} else {
			err = fmt.Errorf("%w: inflate %s: %v", ErrCorrupt, pr.name, err)
		}
	}
	return n, err
}

func (pr *partReader) Close() error { return pr.c.Close() }

// relationship is one entry of a .rels part, with its target resolved to a
// package path.
type relationship struct {
	id, typ, target string
	external        bool
}

// rels reads the relationships of a part ("" for the package).
func (p *pkg) rels(source string) ([]relationship, error) {
	dir, file := path.Split(source)
	name := path.Join(dir, "_rels", file+".rels")
	if p.files[name] == nil {
		return nil, nil
	}
	rc, err := p.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var doc struct {
		Rels []struct {
			ID         string `xml:"Id,attr"`
			Type       string `xml:"Type,attr"`
			Target     string `xml:"Target,attr"`
			TargetMode string `xml:"TargetMode,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.NewDecoder(rc).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformedXML, name, err)
	}
	out := make([]relationship, 0, len(doc.Rels))
	for _, r := range doc.Rels {
		rel := relationship{id: r.ID, typ: r.Type, external: r.TargetMode == "External"}
		if !rel.external {
			if strings.HasPrefix(r.Target, "/") {
				rel.target = path.Clean(strings.TrimPrefix(r.Target, "/"))
			} else {
				rel.target = path.Join(dir, r.Target)
			}
		}
		out = append(out, rel)
	}
	return out, nil
}

// relType matches a relationship type in its Transitional
// (.../officeDocument/2006/relationships/X) and Strict
// (http://purl.oclc.org/ooxml/officeDocument/relationships/X) spellings.
func relType(typ, kind string) bool {
	return strings.HasSuffix(typ, "/relationships/"+kind)
}

// mainPart finds the main document part through _rels/.rels, falling back to
// the usual name when the package has no package relationships.
func (p *pkg) mainPart() (string, error) {
	rels, err := p.rels("")
	if err != nil {
		return "", err
	}
	for _, r := range rels {
		if relType(r.typ, "officeDocument") && !r.external {
			if p.files[r.target] == nil {
				return "", fmt.Errorf("%w: _rels/.rels names %s, which is not in the package", ErrMissingPart, r.target)
			}
			return r.target, nil
		}
	}
	if p.files["word/document.xml"] != nil {
		return "word/document.xml", nil
	}
	return "", fmt.Errorf("%w: no officeDocument relationship and no word/document.xml", ErrMissingPart)
}

// mainContent returns a reader of the main part. For the usual layout it
// goes through github.com/nguyenthenguyen/docx, after checking every part
// that library reads eagerly (it inflates document.xml, its rels and every
// entry whose name contains "header" or "footer" with no limit of its own).
func (p *pkg) mainContent(main string) (io.ReadCloser, error) {
	if main == "word/document.xml" && p.files["word/_rels/document.xml.rels"] != nil {
		var eager []*zip.File
		for name, f := range p.files {
			if name == main || name == "word/_rels/document.xml.rels" ||
				strings.Contains(name, "header") || strings.Contains(name, "footer") {
				eager = append(eager, f)
			}
		}
		var total uint64
		for _, f := range eager {
			if err := p.check(f); err != nil {
				return nil, err
			}
			total += f.UncompressedSize64
		}
		if total <= uint64(p.opt.MaxTotalBytes) {
			d, err := nguyendocx.ReadDocxFromMemory(p.ra, p.size)
			if err == nil {
				defer d.Close()
				// The library ignores read errors: a part whose data runs
				// past its declared size comes back silently cut. Accept
				// its copy only if size and CRC-32 are those the zip
				// declares.
				content := d.Editable().GetContent()
				f := p.files[main]
				if uint64(len(content)) == f.UncompressedSize64 && crc32.ChecksumIEEE([]byte(content)) == f.CRC32 {
					p.read += int64(f.UncompressedSize64)
					return io.NopCloser(strings.NewReader(content)), nil
				}
			}
			// Otherwise read the part ourselves, which says precisely
			// what is wrong with it.
		}
	}
	return p.open(main)
}
