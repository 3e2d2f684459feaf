package policyapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Faults make the sample server misbehave like a real portal on a bad day.
type Faults struct {
	Latency       time.Duration // added to every request
	FailRate      float64       // share of requests answered 503
	TruncateRate  float64       // share of list answers cut in half
	FailFirst     int           // the first N requests fail with 503
	RequireToken  bool          // answer 401 unless the Token header matches
	ExpectedToken string
}

// SampleServer serves a catalogue of recorded records as the list API and
// the attachments as /oss/<fileKey>.
type SampleServer struct {
	records  []json.RawMessage
	files    fs.FS
	base     string // rewritten into fileUrl; "" keeps the recorded URLs
	faults   atomic.Pointer[Faults]
	requests atomic.Int64
	hidden   atomic.Int64 // how many records are served (a growing portal)
}

// NewSampleServer reads an API envelope holding every record (as in
// pkg/sample) and serves them. base is this server's own URL, written
// into every fileUrl so that downloads come back here.
func NewSampleServer(catalogue []byte, files fs.FS, base string) (*SampleServer, error) {
	var env struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(catalogue, &env); err != nil {
		return nil, fmt.Errorf("policyapi: sample catalogue: %w", err)
	}
	s := &SampleServer{records: env.Data.Result, files: files}
	s.SetBase(base)
	s.faults.Store(&Faults{})
	s.hidden.Store(int64(len(s.records)))
	return s, nil
}

// SetBase sets the URL written into fileUrl (known only once listening).
func (s *SampleServer) SetBase(base string) { s.base = strings.TrimRight(base, "/") }

// SetFaults changes the misbehaviour at once.
func (s *SampleServer) SetFaults(f Faults) { s.faults.Store(&f) }

// Limit serves only the first n records, as a portal that has published
// fewer policies so far.
func (s *SampleServer) Limit(n int) { s.hidden.Store(int64(min(n, len(s.records)))) }

// Requests counts the requests served.
func (s *SampleServer) Requests() int64 { return s.requests.Load() }

func (s *SampleServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	f := s.faults.Load()
	if f.Latency > 0 {
		time.Sleep(f.Latency)
	}
	if n <= int64(f.FailFirst) || (f.FailRate > 0 && rand.Float64() < f.FailRate) {
		http.Error(w, "injected fault", http.StatusServiceUnavailable)
		return
	}
	switch {
	case r.URL.Path == ListPath && r.Method == http.MethodPost:
		if f.RequireToken && r.Header.Get("Token") != f.ExpectedToken {
			http.Error(w, `{"success":false,"code":"401","msg":"token invalid"}`, http.StatusUnauthorized)
			return
		}
		s.list(w, r, f)
	case strings.HasPrefix(r.URL.Path, "/oss/") && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		s.file(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *SampleServer) list(w http.ResponseWriter, r *http.Request, f *Faults) {
	var req struct {
		PageNo   int `json:"pageNo"`
		PageSize int `json:"pageSize"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || req.PageNo < 1 || req.PageSize < 1 {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"success":false,"code":"400","msg":"bad request","data":null}`))
		return
	}
	total := int(s.hidden.Load())
	from := min((req.PageNo-1)*req.PageSize, total)
	to := min(from+req.PageSize, total)
	page := make([]json.RawMessage, 0, to-from)
	for _, rec := range s.records[from:to] {
		if s.base != "" {
			rec = bytes.ReplaceAll(rec, []byte(RecordedFileHost+"/oss/"), []byte(s.base+"/oss/"))
		}
		page = append(page, rec)
	}
	body, _ := json.Marshal(map[string]any{
		"success": true, "code": "0", "msg": "success",
		"data": map[string]any{"pageNo": req.PageNo, "pageSize": req.PageSize, "result": page,
			"totalNum": strconv.Itoa(total), "hasNext": to < total},
	})
	if f.TruncateRate > 0 && rand.Float64() < f.TruncateRate {
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Write(body)
}

func (s *SampleServer) file(w http.ResponseWriter, r *http.Request) {
	key := path.Clean(strings.TrimPrefix(r.URL.Path, "/oss/"))
	if !fs.ValidPath(key) {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(s.files, key)
	if err != nil {
		// what an object store answers for a missing key
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>%s</Key></Error>`, key)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, path.Base(key), time.Time{}, bytes.NewReader(b))
}
