package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

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
}

// ErrNotFound: no object at the key.
var ErrNotFound = errors.New("store: not found")

// Store reads and writes the layout's objects in one S3 bucket.
type Store struct {
	mc     *minio.Client
	bucket string
}

// New connects to the bucket (without checking it exists; see Ensure).
func New(cfg Config) (*Store, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	mc, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure, Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("store: client: %w", err)
	}
	return &Store{mc: mc, bucket: cfg.Bucket}, nil
}

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

// Put writes an object. meta values are URL-escaped, since S3 metadata is
// ASCII (file names are Chinese).
func (s *Store) Put(ctx context.Context, key, contentType string, body []byte, meta map[string]string) error {
	um := make(map[string]string, len(meta))
	for k, v := range meta {
		um[k] = url.QueryEscape(v)
	}
	_, err := s.mc.PutObject(ctx, s.bucket, key, bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{ContentType: contentType, UserMetadata: um})
	if err != nil {
		return fmt.Errorf("store: put %s: %w", key, err)
	}
	return nil
}

// Get reads an object of at most max bytes.
func (s *Store) Get(ctx context.Context, key string, max int64) ([]byte, error) {
	obj, err := s.mc.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.classify(key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(io.LimitReader(obj, max+1))
	if err != nil {
		return nil, s.classify(key, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("store: %s is larger than %d bytes", key, max)
	}
	return b, nil
}

// Stat returns an object's user metadata (unescaped), or ErrNotFound.
func (s *Store) Stat(ctx context.Context, key string) (map[string]string, error) {
	info, err := s.mc.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return nil, s.classify(key, err)
	}
	meta := map[string]string{}
	for k, v := range info.UserMetadata {
		if u, err := url.QueryUnescape(v); err == nil {
			v = u
		}
		meta[strings.ToLower(k)] = v
	}
	return meta, nil
}

// ObjectInfo is a key with its ETag (which changes when the object does).
type ObjectInfo struct {
	Key  string
	ETag string
}

// ListInfo returns the keys under prefix (recursively) with their ETags.
func (s *Store) ListInfo(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	for o := range s.mc.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("store: list %s: %w", prefix, o.Err)
		}
		out = append(out, ObjectInfo{Key: o.Key, ETag: o.ETag})
	}
	return out, nil
}

// List returns the keys under prefix.
func (s *Store) List(ctx context.Context, prefix string, recursive bool) ([]string, error) {
	var keys []string
	for o := range s.mc.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: recursive}) {
		if o.Err != nil {
			return nil, fmt.Errorf("store: list %s: %w", prefix, o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys, nil
}

func (s *Store) classify(key string, err error) error {
	if r := minio.ToErrorResponse(err); r.Code == "NoSuchKey" || r.StatusCode == 404 {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return fmt.Errorf("store: %s: %w", key, err)
}
