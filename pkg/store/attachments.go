package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"

	"github.com/minio/minio-go/v7"
	"golang.org/x/sync/errgroup"

	"github.com/policytext/policytext/pkg/policyapi"
)

// PutOriginal stores the downloaded attachment under the extension of its
// sniffed format (doc, docx, rtf, xml, or bin when it is none of them) and
// sets rec.Original. It is stored for download only: a content type no
// browser renders and Content-Disposition: attachment.
func (s *Store) PutOriginal(ctx context.Context, rec *Record, ext, contentType string, body io.Reader, size int64) error {
	if err := check(rec.PolicyID, rec.FileID); err != nil {
		return err
	}
	if !storedExt.MatchString(ext) {
		ext = "bin"
	}
	o := putOptions{contentType: servable(contentType), disposition: attachmentDisposition(DownloadName(rec.FileName, ext)),
		meta: map[string]string{"original-name": rec.FileName, "source-url": rec.FileURL, "sha256": rec.SHA256}}
	if err := s.put(ctx, originalKey(rec.PolicyID, rec.FileID, ext), body, size, o); err != nil {
		return err
	}
	rec.Original = ext
	return nil
}

// DownloadName is the name an original is offered under: the portal's
// file name without its own extension (which may lie, or be .html), plus
// the extension of what the file really is.
func DownloadName(fileName, ext string) string {
	base := path.Base(strings.ReplaceAll(fileName, `\`, "/"))
	if e := path.Ext(base); e != "" && len(e) <= 6 {
		base = strings.TrimSuffix(base, e)
	}
	base = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(base))
	if base == "" || base == "." || base == ".." {
		base = "attachment"
	}
	if !storedExt.MatchString(ext) {
		ext = "bin"
	}
	return base + "." + ext
}

func attachmentDisposition(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

// Original describes a stored original for download.
type Original struct {
	Name        string // DownloadName
	ContentType string
	Size        int64
}

// OpenOriginal opens a stored original for streaming (it is never read
// whole); the caller closes it.
func (s *Store) OpenOriginal(ctx context.Context, policyID, fileID string) (io.ReadCloser, Original, error) {
	rec, err := s.Record(ctx, policyID, fileID)
	if err != nil {
		return nil, Original{}, err
	}
	ext := rec.Original
	if !storedExt.MatchString(ext) {
		return nil, Original{}, fmt.Errorf("%w: no original stored for %s/%s", ErrNotFound, policyID, fileID)
	}
	key := originalKey(policyID, fileID, ext)
	obj, err := s.mc.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, Original{}, s.classify(key, err)
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, Original{}, s.classify(key, err)
	}
	return obj, Original{Name: DownloadName(rec.FileName, ext), ContentType: servable(info.ContentType), Size: info.Size}, nil
}

// OriginalMeta returns the user metadata of a stored original
// (original-name, source-url, sha256).
func (s *Store) OriginalMeta(ctx context.Context, policyID, fileID string) (map[string]string, error) {
	rec, err := s.Record(ctx, policyID, fileID)
	if err != nil {
		return nil, err
	}
	key := originalKey(policyID, fileID, rec.Original)
	info, err := s.mc.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return nil, s.classify(key, err)
	}
	return unescapeMeta(info.UserMetadata), nil
}

// The record of an attachment travels as user metadata of its text
// object (base64url JSON, which S3 metadata carries as plain ASCII), so
// that settling an attachment is one write, not two. S3 allows 2 KB of
// user metadata per object; a record too large for that (many redirects
// or warnings) is written to <fileId>.json first and the text object says
// so. Buckets written before kept every record in <fileId>.json; those
// are still read.
const (
	metaRecord       = "record"
	recordInJSON     = "json" // metaRecord's value when the record is in <fileId>.json
	maxInlineRecord  = 1536   // encoded bytes; the rest of the 2 KB is for sha256 and the keys
	errNoTextOfAFail = "the extraction failed: no text"
)

// PutResult stores what an attachment's extraction came to: its text
// (empty when rec.OK is false) and its record, in one object,
// policies/<id>/files/<fileId>.txt, written last: its presence means the
// attachment is settled. Doing it again overwrites it (a failure after an
// earlier success leaves no stale text behind).
func (s *Store) PutResult(ctx context.Context, rec Record, text string) error {
	if err := check(rec.PolicyID, rec.FileID); err != nil {
		return err
	}
	if !rec.OK && text != "" {
		return fmt.Errorf("store: %s/%s: a failed extraction has no text", rec.PolicyID, rec.FileID)
	}
	js, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("store: encode record %s/%s: %w", rec.PolicyID, rec.FileID, err)
	}
	meta := map[string]string{metaRecord: base64.RawURLEncoding.EncodeToString(js)}
	if len(meta[metaRecord]) > maxInlineRecord {
		if err := s.putJSON(ctx, recordKey(rec.PolicyID, rec.FileID), rec); err != nil {
			return err
		}
		meta[metaRecord] = recordInJSON
	}
	if rec.SHA256 != "" {
		meta["sha256"] = rec.SHA256
	}
	return s.putBytes(ctx, textKey(rec.PolicyID, rec.FileID), []byte(text), putOptions{contentType: contentText, meta: meta})
}

// recordOf decodes the record a text object carries. inJSON is true when
// it carries none (a bucket written before, or a record too large).
func recordOf(key string, meta map[string]string) (rec Record, inJSON bool, err error) {
	v, ok := unescapeMeta(meta)[metaRecord]
	if !ok || v == recordInJSON {
		return rec, true, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err == nil {
		err = json.Unmarshal(b, &rec)
	}
	if err != nil {
		return rec, false, fmt.Errorf("%w: %s: record metadata: %v", ErrCorrupt, key, err)
	}
	return rec, false, nil
}

// Text reads an attachment's extracted text. A failed extraction has none
// (ErrNotFound).
func (s *Store) Text(ctx context.Context, policyID, fileID string) (string, error) {
	if err := check(policyID, fileID); err != nil {
		return "", err
	}
	key := textKey(policyID, fileID)
	b, info, err := s.getWithInfo(ctx, key, MaxTextBytes)
	if err != nil {
		return "", err
	}
	if rec, inJSON, err := recordOf(key, info.UserMetadata); err == nil && !inJSON && !rec.OK {
		return "", fmt.Errorf("%w: %s: %s", ErrNotFound, key, errNoTextOfAFail)
	}
	return string(b), nil
}

// Record reads an attachment's extraction record: from its text object's
// metadata, or from <fileId>.json where that says so (or holds none).
func (s *Store) Record(ctx context.Context, policyID, fileID string) (Record, error) {
	if err := check(policyID, fileID); err != nil {
		return Record{}, err
	}
	key := textKey(policyID, fileID)
	info, err := s.mc.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if err := s.classify(key, err); !errors.Is(err, ErrNotFound) {
			return Record{}, err
		}
	} else if rec, inJSON, err := recordOf(key, info.UserMetadata); !inJSON || err != nil {
		return rec, err
	}
	var rec Record
	err = s.getJSON(ctx, recordKey(policyID, fileID), MaxRecordBytes, &rec)
	return rec, err
}

// readers is how many objects one call reads at a time.
const readers = 16

// each runs fn for every index, readers at a time; the first error wins
// and stops what has not started.
func (s *Store) each(ctx context.Context, idx []int, fn func(int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readers)
	for _, i := range idx {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// Compared is what the reconciler compares for a policy, read in one
// place for the reconciler and the page alike.
type Compared struct {
	Policy policyapi.Policy
	// Records has one entry per attachment of the policy, in its order; a
	// missing record has only FileID set and Settled is false.
	Records []Record
	Settled bool
	// Texts holds the text of every successful attachment (only when settled).
	Texts map[string]string
	// Attachment is the successful attachments' texts in the policy's order;
	// Web is the web text (WebText). Both only when settled.
	Attachment, Web string
}

// Compared reads a policy, the records of its attachments and, once every
// attachment is settled, their texts. Records the caller already has
// (from the extractors' events) are not read again; when some are missing,
// one listing tells which exist. Neither are the texts the caller has,
// by file id: each must be the text of the record known for that file.
func (s *Store) Compared(ctx context.Context, policyID string, known map[string]Record, texts map[string]string) (*Compared, error) {
	p, err := s.Policy(ctx, policyID)
	if err != nil {
		return nil, err
	}
	present := map[string]bool{} // of text objects and (older) record objects
	for _, f := range p.Files {
		if _, ok := known[f.FileID]; !ok {
			objs, err := s.list(ctx, filesPrefix(policyID))
			if err != nil {
				return nil, err
			}
			for _, o := range objs {
				present[o.key] = true
			}
			break
		}
	}
	c := &Compared{Policy: p, Settled: true, Texts: map[string]string{}, Records: make([]Record, len(p.Files))}
	// read what is missing a few at a time (a policy may have a thousand
	// attachments), then decide in the policy's order
	var read []int
	wasKnown := make([]bool, len(p.Files))
	for i, f := range p.Files {
		rec, ok := known[f.FileID]
		switch {
		case ok && rec.PolicyID == p.ID && rec.FileID == f.FileID:
			c.Records[i], wasKnown[i] = rec, true
		case check(f.FileID) != nil || !present[textKey(p.ID, f.FileID)] && !present[recordKey(p.ID, f.FileID)]:
			c.Records[i], c.Settled = Record{PolicyID: p.ID, FileID: f.FileID}, false
		default:
			read = append(read, i)
		}
	}
	err = s.each(ctx, read, func(i int) error {
		rec, err := s.Record(ctx, p.ID, p.Files[i].FileID)
		if errors.Is(err, ErrNotFound) { // removed since the listing
			rec, err = Record{PolicyID: p.ID, FileID: p.Files[i].FileID}, nil
		}
		c.Records[i] = rec
		return err
	})
	if err != nil {
		return nil, err
	}
	var ok []int
	for i, rec := range c.Records {
		if rec.At.IsZero() && !rec.OK && rec.Error == "" {
			c.Settled = false
		}
		if rec.OK {
			ok = append(ok, i)
		}
	}
	if !c.Settled {
		return c, nil
	}
	got := make([]string, len(c.Records))
	var unread []int
	for _, i := range ok {
		if t, has := texts[c.Records[i].FileID]; has && wasKnown[i] {
			got[i] = t
		} else {
			unread = append(unread, i)
		}
	}
	err = s.each(ctx, unread, func(i int) error {
		t, err := s.Text(ctx, p.ID, c.Records[i].FileID)
		got[i] = t
		return err
	})
	if err != nil {
		return nil, err
	}
	var att strings.Builder
	for _, i := range ok {
		c.Texts[c.Records[i].FileID] = got[i]
		att.WriteString(got[i])
	}
	c.Attachment, c.Web = att.String(), WebText(p)
	return c, nil
}
