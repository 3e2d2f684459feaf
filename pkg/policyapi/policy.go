// Package policyapi talks to the policy portal's list API and serves a
// stand-in for it. The client pages pageList until hasNext is false, sends
// the Token header, checks success/code, retries timeouts, 5xx and 429 with
// backoff and jitter, and keeps to a polite request rate. The sample server
// serves recorded records and attachment files from an fs.FS, with optional
// fault injection, for tests and the all-in-one demo.
//
// Example:
//
//	c := policyapi.NewClient(policyapi.ClientConfig{BaseURL: base, Token: os.Getenv("POLICY_API_TOKEN")}, log)
//	err := c.Crawl(ctx, 50, func(p policyapi.Policy) error {
//		fmt.Println(p.ID, p.PolicyTitle, len(p.Files))
//		return nil
//	})
package policyapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// ListPath is the path of the list API under the portal's base URL.
const ListPath = "/api/service-qzh/auth/ycqYouthStartAppController/pageList"

// Policy is one record of the list API. Raw keeps the record exactly as
// received, so that what is stored is what the portal said.
type Policy struct {
	ID          string          `json:"id"`
	PolicyTitle string          `json:"policyTitle"`
	IssueNumber string          `json:"issueNumber"`
	PolicyText  string          `json:"policyText"`
	PublishTime string          `json:"publishTime"`
	Files       []File          `json:"files"`
	Raw         json.RawMessage `json:"-"`
}

// File is one attachment of a policy.
type File struct {
	FileID   string `json:"fileId"`
	FileName string `json:"fileName"`
	FileKey  string `json:"fileKey"`
	FileType string `json:"fileType"`
	FileSize int64  `json:"fileSize"` // KB, as the portal reports it
	FileURL  string `json:"fileUrl"`
}

// Page is one page of the list API.
type Page struct {
	PageNo   int
	PageSize int
	TotalNum int
	HasNext  bool
	Policies []Policy
}

// envelope is the API's response shape; totalNum is a string.
type envelope struct {
	Success bool   `json:"success"`
	Code    string `json:"code"`
	Msg     string `json:"msg"`
	Data    *struct {
		PageNo   int               `json:"pageNo"`
		PageSize int               `json:"pageSize"`
		Result   []json.RawMessage `json:"result"`
		TotalNum json.RawMessage   `json:"totalNum"`
		HasNext  bool              `json:"hasNext"`
	} `json:"data"`
}

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

func decodePage(b []byte) (*Page, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if !env.Success || env.Code != "0" {
		return nil, fmt.Errorf("%w: success=%v code=%q msg=%q", ErrAPI, env.Success, env.Code, env.Msg)
	}
	if env.Data == nil {
		return nil, fmt.Errorf("%w: no data", ErrBadResponse)
	}
	p := &Page{PageNo: env.Data.PageNo, PageSize: env.Data.PageSize, HasNext: env.Data.HasNext}
	if n, err := parseTotal(env.Data.TotalNum); err == nil {
		p.TotalNum = n
	}
	for _, raw := range env.Data.Result {
		var pol Policy
		if err := json.Unmarshal(raw, &pol); err != nil {
			return nil, fmt.Errorf("%w: record: %v", ErrBadResponse, err)
		}
		pol.Raw = append(json.RawMessage(nil), raw...)
		p.Policies = append(p.Policies, pol)
	}
	return p, nil
}

// parseTotal reads totalNum, a string in the real API ("190"), tolerating
// a number.
func parseTotal(raw json.RawMessage) (int, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strconv.Atoi(s)
	}
	var n int
	err := json.Unmarshal(raw, &n)
	return n, err
}
