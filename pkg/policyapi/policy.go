// Package policyapi talks to the policy portal's list API and serves a
// stand-in for it. The client pages pageList, sends the Token header to the
// portal's own origin only, checks success/code, retries timeouts, 5xx and
// 429 with backoff and jitter, and keeps to a polite request rate.
//
// The portal is treated as untrusted input: records are decoded one by
// one (a record that cannot be used is skipped and reported, the rest of
// the page goes on), numbers the portal writes loosely are read as strings
// or numbers, duplicate ids are dropped, a page over the size limit is
// asked again in smaller pages, and paging ends even if hasNext never
// does. [CrawlReport] counts what happened.
//
// The sample server serves recorded records and attachment files from an
// fs.FS, with optional fault injection, for tests and the all-in-one demo;
// package policyapitest has a hostile one.
package policyapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// The real portal.
const (
	// DefaultAPIURL is the base URL of the portal's API (ListPath goes
	// under it).
	DefaultAPIURL = "https://app.youth.cq.cqyl.org.cn"
	// DefaultFileHost serves the attachments: fileUrl is
	// DefaultFileHost + "/oss/" + fileKey.
	DefaultFileHost = "https://youth.cq.cqyl.org.cn"
	// ListPath is the path of the list API under the base URL.
	ListPath = "/api/service-qzh/auth/ycqYouthStartAppController/pageList"
)

// RecordedFileHost is the prefix of fileUrl in the recorded records.
const RecordedFileHost = DefaultFileHost

// Policy is one record of the list API. Raw keeps the record exactly as
// received, so that what is stored is what the portal said.
type Policy struct {
	ID          string `json:"id"`
	PolicyTitle string `json:"policyTitle"`
	IssueNumber string `json:"issueNumber"`
	PolicyText  string `json:"policyText"`
	PublishTime string `json:"publishTime"`
	Files       []File `json:"files"` // null and [] both mean no attachment
	// LevelName and TypeName are optional: a value that is not a string
	// reads as "" rather than making the record unusable.
	LevelName OptionalString  `json:"policyLevelName"`
	TypeName  OptionalString  `json:"policyTypeName"`
	Raw       json.RawMessage `json:"-"`
}

// OptionalString is a string field the portal may leave out or fill
// with something else (a number, null): those read as "".
type OptionalString string

// UnmarshalJSON takes a JSON string, and anything else as "".
func (o *OptionalString) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		s = ""
	}
	*o = OptionalString(s)
	return nil
}

// File is one attachment of a policy.
type File struct {
	FileID   string `json:"fileId"`
	FileName string `json:"fileName"`
	FileKey  string `json:"fileKey"`
	FileType string `json:"fileType"`
	FileSize int64  `json:"fileSize"` // KB, as the portal reports it (a number or a string of one)
	FileURL  string `json:"fileUrl"`
}

// UnmarshalJSON reads a file, taking fileSize as a number or a string.
func (f *File) UnmarshalJSON(b []byte) error {
	type plain File
	var v struct {
		plain
		FileSize looseInt `json:"fileSize"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = File(v.plain)
	f.FileSize = int64(v.FileSize)
	return nil
}

// Page is one page of the list API.
type Page struct {
	PageNo   int
	PageSize int
	TotalNum int
	HasNext  bool
	Records  int      // records in the answer, usable or not
	Policies []Policy // the usable ones, in order
	Skipped  []Skip   // the others
}

// Skip is a record that could not be used, and why.
type Skip struct {
	PageNo   int    `json:"pageNo"`   // as asked
	PageSize int    `json:"pageSize"` // as asked
	Index    int    `json:"index"`    // position in the page's result, from 0
	ID       string `json:"id,omitempty"`
	Reason   string `json:"reason"`
}

func (s Skip) String() string {
	id := ""
	if s.ID != "" {
		id = " (id " + s.ID + ")"
	}
	return fmt.Sprintf("page %d (size %d) record %d%s: %s", s.PageNo, s.PageSize, s.Index, id, s.Reason)
}

// envelope is the API's response shape.
type envelope struct {
	Success bool            `json:"success"`
	Code    json.RawMessage `json:"code"`
	Msg     string          `json:"msg"`
	Data    *struct {
		PageNo   looseInt          `json:"pageNo"`
		PageSize looseInt          `json:"pageSize"`
		Result   []json.RawMessage `json:"result"`
		TotalNum looseInt          `json:"totalNum"` // a string in the real API
		HasNext  bool              `json:"hasNext"`
	} `json:"data"`
}

// maxTotalNum is the largest totalNum believed (a trillion policies).
const maxTotalNum = 1e12

var idPattern = regexp.MustCompile(`^[0-9]{1,30}$`)

// ValidID reports whether s is a portal id (digits only): the only ids
// allowed into storage keys and subjects.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ErrInvalidRecord: a record without a valid id, or with an attachment
// without one.
var ErrInvalidRecord = errors.New("policyapi: invalid record")

// Validate checks the ids of the policy and its files.
func (p Policy) Validate() error {
	if !ValidID(p.ID) {
		return fmt.Errorf("%w: policy id %q", ErrInvalidRecord, p.ID)
	}
	for _, f := range p.Files {
		if !ValidID(f.FileID) {
			return fmt.Errorf("%w: policy %s: file id %q", ErrInvalidRecord, p.ID, f.FileID)
		}
	}
	return nil
}

// decodePage reads an answer of the list API. The envelope must be right;
// each record is then read on its own, and one that cannot be used is
// skipped with its reason. pageNo and pageSize are those asked, for the
// skip reports.
func decodePage(b []byte, pageNo, pageSize int) (*Page, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	if code := strings.Trim(string(bytes.TrimSpace(env.Code)), `"`); !env.Success || code != "0" {
		return nil, fmt.Errorf("%w: success=%v code=%.40s msg=%.200q", ErrAPI, env.Success, env.Code, env.Msg)
	}
	if env.Data == nil {
		return nil, fmt.Errorf("%w: no data", ErrBadResponse)
	}
	d := env.Data
	p := &Page{PageNo: int(d.PageNo), PageSize: int(d.PageSize), TotalNum: int(d.TotalNum), HasNext: d.HasNext, Records: len(d.Result)}
	if p.TotalNum < 0 || p.TotalNum > maxTotalNum {
		p.TotalNum = 0 // not a count: unknown
	}
	for i, raw := range d.Result {
		pol, err := decodePolicy(raw)
		if err != nil {
			p.Skipped = append(p.Skipped, Skip{PageNo: pageNo, PageSize: pageSize, Index: i, ID: rawID(raw), Reason: err.Error()})
			continue
		}
		p.Policies = append(p.Policies, pol)
	}
	return p, nil
}

// decodePolicy reads one record and checks its ids.
func decodePolicy(raw json.RawMessage) (Policy, error) {
	var pol Policy
	if err := json.Unmarshal(raw, &pol); err != nil {
		return pol, err
	}
	if err := pol.Validate(); err != nil {
		return pol, err
	}
	pol.Raw = raw
	return pol, nil
}

// rawID is the record's id as written, for reports (at most 40 bytes).
func rawID(raw json.RawMessage) string {
	var v struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil || len(v.ID) == 0 {
		return ""
	}
	s := strings.Trim(string(v.ID), `"`)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	q := strconv.QuoteToGraphic(s) // no control characters into logs
	return q[1 : len(q)-1]
}

// looseInt reads a JSON integer or a string holding one (the portal
// writes totalNum as a string and could write the others so); null and ""
// read as 0.
type looseInt int64

func (n *looseInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*n = 0
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s = strings.TrimSpace(s); s == "" {
			*n = 0
			return nil
		}
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = looseInt(v)
		return nil
	}
	// 75.0 or 1e3: accepted if whole
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("%.40q is not a whole number", s)
	}
	*n = looseInt(f)
	return nil
}
