package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config locates the bucket. The secret is never logged.
type Config struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Bucket    string
	Secure    bool   // https
	Region    string // default us-east-1
	// Log receives warnings of background work (index compaction).
	Log *slog.Logger
}

// ErrNotFound: no such object (a policy, record, text or report not stored).
var ErrNotFound = errors.New("store: not found")

// ErrTooLarge: a stored object is larger than this package reads.
var ErrTooLarge = errors.New("store: object too large")

// ErrCorrupt: a stored object is not what this package wrote.
var ErrCorrupt = errors.New("store: stored object cannot be read")

// Read limits: the largest object of each kind this package reads into
// memory. Originals are never read whole (see OpenOriginal).
const (
	MaxPolicyBytes = 16 << 20  // policy.json: a record with its policyText
	MaxRecordBytes = 1 << 20   // an extraction record
	MaxTextBytes   = 256 << 20 // an extracted text (at most 32 Mi characters)
	MaxReportBytes = 64 << 20  // a reconcile report
	maxIndexBytes  = 256 << 20 // one index segment
)

// Store is the typed repository of the bucket: it owns the layout, the
// stored types and their size limits. Nothing outside this package spells
// a key or decodes a stored object.
type Store struct {
	mc        *minio.Client
	transport *http.Transport
	bucket    string
	log       *slog.Logger

	segmentsWritten atomic.Int64
}

// maxIdlePerHost bounds the idle connections kept to the S3 server.
const maxIdlePerHost = 128

// New connects to the bucket (without checking it exists; see Ensure).
func New(cfg Config) (*Store, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	tr, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, fmt.Errorf("store: transport: %w", err)
	}
	// minio-go keeps 16 idle connections per host; a process of this
	// pipeline has more requests in flight than that (16 readers per
	// comparison, the workers, the index), and every request past them
	// dialled afresh: connect, close and TIME_WAIT were 7 % of the CPU of
	// a run. The S3 server is one host: keep as many as run at once.
	tr.MaxIdleConnsPerHost = maxIdlePerHost
	mc, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure, Region: cfg.Region,
		BucketLookup: minio.BucketLookupPath,
		Transport:    tr,
	})
	if err != nil {
		return nil, fmt.Errorf("store: client: %w", err)
	}
	return &Store{mc: mc, bucket: cfg.Bucket, log: cfg.Log, transport: tr}, nil
}

// Close closes the idle connections to the S3 server. A server shutting
// down waits for its open connections (versitygw: up to 10 s), so an
// all-in-one closes its store before it stops its S3 server. The Store
// stays usable: a later call dials again.
func (s *Store) Close() { s.transport.CloseIdleConnections() }

// Bucket is the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// Ensure creates the bucket when it does not exist yet.
func (s *Store) Ensure(ctx context.Context) error {
	ok, err := s.mc.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("store: bucket %s: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	if err := s.mc.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{}); err != nil {
		if r := minio.ToErrorResponse(err); r.Code == "BucketAlreadyOwnedByYou" || r.Code == "BucketAlreadyExists" {
			return nil
		}
		return fmt.Errorf("store: make bucket %s: %w", s.bucket, err)
	}
	return nil
}

// Ping checks that the bucket answers (for health checks).
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.mc.BucketExists(ctx, s.bucket); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

type putOptions struct {
	contentType string
	disposition string            // Content-Disposition
	meta        map[string]string // user metadata, URL-escaped on the wire (S3 metadata is ASCII)
}

func (s *Store) put(ctx context.Context, key string, body io.Reader, size int64, o putOptions) error {
	um := make(map[string]string, len(o.meta))
	for k, v := range o.meta {
		um[k] = url.QueryEscape(v)
	}
	opts := minio.PutObjectOptions{ContentType: o.contentType, ContentDisposition: o.disposition, UserMetadata: um}
	if _, seekable := body.(io.Seeker); seekable || size == 0 {
		// A body that can be read twice goes as one plain request with its
		// MD5 in a signed header, not in signed chunks (minio-go's way
		// over http): the server checks the digest, so the body is as
		// tamper-proof, and both sides skip the chunk framing and an HMAC
		// per chunk (about half the CPU of a PUT, BenchmarkPutWire). An
		// empty body must go this way: versitygw leaves the final chunk
		// of an empty chunked body unread, and on a kept-alive connection
		// the next request then began with it (a 400, found by the
		// store's tests). Other bodies would be buffered for the digest:
		// they stay chunked.
		opts.DisableContentSha256, opts.SendContentMd5 = true, true
	}
	_, err := s.mc.PutObject(ctx, s.bucket, key, body, size, opts)
	if err != nil {
		return fmt.Errorf("store: put %s: %w", key, err)
	}
	return nil
}

func (s *Store) putBytes(ctx context.Context, key string, b []byte, o putOptions) error {
	return s.put(ctx, key, bytes.NewReader(b), int64(len(b)), o)
}

func (s *Store) putJSON(ctx context.Context, key string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("store: encode %s: %w", key, err)
	}
	return s.putBytes(ctx, key, append(b, '\n'), putOptions{contentType: contentJSON})
}

// get reads an object of at most limit bytes.
func (s *Store) get(ctx context.Context, key string, limit int64) ([]byte, error) {
	b, _, err := s.getWithInfo(ctx, key, limit)
	return b, err
}

// getWithInfo reads an object of at most limit bytes, and its metadata
// (from the same response).
func (s *Store) getWithInfo(ctx context.Context, key string, limit int64) ([]byte, minio.ObjectInfo, error) {
	obj, err := s.mc.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, minio.ObjectInfo{}, s.classify(key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(io.LimitReader(obj, limit+1))
	if err != nil {
		return nil, minio.ObjectInfo{}, s.classify(key, err)
	}
	if int64(len(b)) > limit {
		return nil, minio.ObjectInfo{}, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, key, limit)
	}
	info, err := obj.Stat() // known from the response: no request
	if err != nil {
		return nil, minio.ObjectInfo{}, s.classify(key, err)
	}
	return b, info, nil
}

func (s *Store) getJSON(ctx context.Context, key string, limit int64, v any) error {
	b, err := s.get(ctx, key, limit)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, key, err)
	}
	return nil
}

// objectInfo is a listed key with its ETag (which changes when the object
// does) and size.
type objectInfo struct {
	key  string
	etag string
	size int64
}

// list returns the keys under prefix, recursively.
func (s *Store) list(ctx context.Context, prefix string) ([]objectInfo, error) {
	var out []objectInfo
	for o := range s.mc.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("store: list %s: %w", prefix, o.Err)
		}
		out = append(out, objectInfo{key: o.Key, etag: o.ETag, size: o.Size})
	}
	return out, nil
}

// listFolders returns the names of the "folders" directly under prefix.
func (s *Store) listFolders(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	for o := range s.mc.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix}) {
		if o.Err != nil {
			return nil, fmt.Errorf("store: list %s: %w", prefix, o.Err)
		}
		if name, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, prefix), "/"); ok {
			out = append(out, name)
		}
	}
	return out, nil
}

func (s *Store) remove(ctx context.Context, key string) error {
	if err := s.mc.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if c := s.classify(key, err); errors.Is(c, ErrNotFound) {
			return nil
		}
		return fmt.Errorf("store: remove %s: %w", key, err)
	}
	return nil
}

func (s *Store) copyObject(ctx context.Context, from, to string) error {
	_, err := s.mc.CopyObject(ctx, minio.CopyDestOptions{Bucket: s.bucket, Object: to},
		minio.CopySrcOptions{Bucket: s.bucket, Object: from})
	if err != nil {
		return s.classify(from, err)
	}
	return nil
}

func (s *Store) classify(key string, err error) error {
	if r := minio.ToErrorResponse(err); r.Code == "NoSuchKey" || r.StatusCode == 404 {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return fmt.Errorf("store: %s: %w", key, err)
}

func unescapeMeta(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if u, err := url.QueryUnescape(v); err == nil {
			v = u
		}
		out[strings.ToLower(k)] = v
	}
	return out
}
