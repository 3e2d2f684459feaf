// Package pipeline holds the three stages of the product: the fetcher
// (portal → stored policies → attachment jobs), the extractor (job →
// original, text and record in S3 → "extracted" event) and the reconciler
// (all attachments of a policy done → reconcile report). Each stage has one
// handle method whose every branch says why it acks, naks or terminates.
//
// Example:
//
//	ex := &pipeline.Extractor{Store: st, JS: js, Log: log, AllowedHosts: []string{"youth.cq.cqyl.org.cn"}}
//	err := ex.Run(ctx, 4) // four jobs at a time until ctx ends
package pipeline

import (
	"context"
	"encoding/json"
	"time"
)

// Store is what the stages need of the object store (pkg/store).
type Store interface {
	Put(ctx context.Context, key, contentType string, body []byte, meta map[string]string) error
	Get(ctx context.Context, key string, max int64) ([]byte, error)
	Stat(ctx context.Context, key string) (map[string]string, error)
	List(ctx context.Context, prefix string, recursive bool) ([]string, error)
}

// Record is the extraction record stored next to each attachment: what was
// found, or why it failed.
type Record struct {
	PolicyID   string         `json:"policyId"`
	FileID     string         `json:"fileId"`
	FileName   string         `json:"fileName"`
	FileURL    string         `json:"fileUrl"`
	OK         bool           `json:"ok"`
	Format     string         `json:"format,omitempty"`
	Version    string         `json:"version,omitempty"`
	Bytes      int            `json:"bytes,omitempty"`
	SHA256     string         `json:"sha256,omitempty"`
	Stories    map[string]int `json:"stories,omitempty"` // characters per story kind
	Paragraphs int            `json:"paragraphs,omitempty"`
	Tables     int            `json:"tables,omitempty"`
	ElapsedMS  float64        `json:"elapsedMs"`
	Error      string         `json:"error,omitempty"`
	ErrorKind  string         `json:"errorKind,omitempty"`
}

func putJSON(ctx context.Context, st Store, key string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return st.Put(ctx, key, "application/json", append(b, '\n'), nil)
}

// defaultBackoff is the redelivery delay of a transient failure.
// The default delays (5, 10, 20, 40 s before the fifth and last delivery)
// add up to 75 s, so an outage of the store or the portal of up to a minute
// delays jobs without sending them to the dead-letter stream.
var defaultBackoff = Backoff(5 * time.Second)

// Backoff returns redelivery delays that double from base (capped at 2 min).
func Backoff(base time.Duration) func(delivered uint64) time.Duration {
	return func(delivered uint64) time.Duration {
		return min(base<<min(max(delivered, 1)-1, 10), 2*time.Minute)
	}
}

func since(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
