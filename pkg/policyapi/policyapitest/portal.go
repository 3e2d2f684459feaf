// Package policyapitest serves a hostile stand-in for the portal's list
// API, for tests of pkg/policyapi's client and of what uses it. Only tests
// import it.
package policyapitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/policytext/policytext/pkg/policyapi"
)

// Tricks are the ways the portal misbehaves; the zero value is an honest
// portal.
type Tricks struct {
	AlwaysHasNext bool   // hasNext true on every page, even past the end
	IgnorePageNo  bool   // every answer is page 1, whatever was asked
	EndlessList   bool   // past the end, pages of made-up records with fresh ids
	TotalNum      string // raw JSON for totalNum; default the count as a string, as the real API
	LooseNumbers  bool   // pageNo and pageSize written as strings, totalNum as a number
	RedirectTo    string // answer every list request with 307 to this URL
	RequireToken  string // answer 401 unless the Token header is this
	FixedPageSize int    // pages of this size, whatever pageSize was asked
}

// Request is what the portal was asked.
type Request struct {
	PageNo, PageSize int
	Token            string
}

// Portal serves records as the list API (POST policyapi.ListPath, pages
// of pageSize records from (pageNo-1)*pageSize), with tricks.
type Portal struct {
	mu       sync.Mutex
	records  []json.RawMessage
	tricks   Tricks
	requests []Request
}

// NewPortal serves records with tricks.
func NewPortal(records []json.RawMessage, tricks Tricks) *Portal {
	return &Portal{records: records, tricks: tricks}
}

// SetTricks changes the misbehaviour at once.
func (p *Portal) SetTricks(t Tricks) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tricks = t
}

// Requests lists the list requests received, in order.
func (p *Portal) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != policyapi.ListPath || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	var req struct {
		PageNo   int `json:"pageNo"`
		PageSize int `json:"pageSize"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || req.PageNo < 1 || req.PageSize < 1 {
		w.Write([]byte(`{"success":false,"code":"400","msg":"bad request","data":null}`))
		return
	}
	p.mu.Lock()
	t := p.tricks
	p.requests = append(p.requests, Request{PageNo: req.PageNo, PageSize: req.PageSize, Token: r.Header.Get("Token")})
	records := p.records
	p.mu.Unlock()

	switch {
	case t.RequireToken != "" && r.Header.Get("Token") != t.RequireToken:
		http.Error(w, `{"success":false,"code":"401","msg":"token invalid"}`, http.StatusUnauthorized)
		return
	case t.RedirectTo != "":
		http.Redirect(w, r, t.RedirectTo, http.StatusTemporaryRedirect)
		return
	case t.IgnorePageNo:
		req.PageNo = 1
	}
	if t.FixedPageSize > 0 {
		req.PageSize = t.FixedPageSize
	}
	total := len(records)
	from := min((req.PageNo-1)*req.PageSize, total)
	to := min(from+req.PageSize, total)
	page := append([]json.RawMessage{}, records[from:to]...)
	if t.EndlessList {
		for i := max((req.PageNo-1)*req.PageSize, total); len(page) < req.PageSize; i++ {
			page = append(page, Record(strconv.Itoa(900_000_000+i)))
		}
	}
	totalNum := t.TotalNum
	switch {
	case totalNum != "":
	case t.LooseNumbers:
		totalNum = strconv.Itoa(total)
	default:
		totalNum = strconv.Quote(strconv.Itoa(total))
	}
	pageNo, pageSize := any(req.PageNo), any(req.PageSize)
	if t.LooseNumbers {
		pageNo, pageSize = strconv.Itoa(req.PageNo), strconv.Itoa(req.PageSize)
	}
	numbers, _ := json.Marshal(map[string]any{"pageNo": pageNo, "pageSize": pageSize,
		"totalNum": json.RawMessage(totalNum), "hasNext": t.AlwaysHasNext || to < total})
	// the records byte for byte (json.Marshal would compact them)
	var b bytes.Buffer
	b.WriteString(`{"success":true,"code":"0","msg":"success","data":{"result":[`)
	for i, rec := range page {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.Write(rec)
	}
	b.WriteString("],")
	b.Write(numbers[1:])
	b.WriteString("}")
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Write(b.Bytes())
}

// Record is a well-formed record like the portal's, with one attachment
// per file id (fileUrl under policyapi.DefaultFileHost).
func Record(id string, fileIDs ...string) json.RawMessage {
	files := make([]map[string]any, 0, len(fileIDs))
	for _, f := range fileIDs {
		key := "202404/" + f + ".doc"
		files = append(files, map[string]any{"fileId": f, "fileName": "附件" + f, "fileKey": key, "fileType": "doc",
			"fileSize": 75, "fileUrl": policyapi.DefaultFileHost + "/oss/" + key})
	}
	b, _ := json.Marshal(map[string]any{"id": id, "policyTitle": "政策 " + id, "issueNumber": "渝人社发〔2024〕1号",
		"policyLevel": 1, "policyText": "<p>政策 " + id + "</p>", "files": files, "priority": 0,
		"publishTime": "2024-04-12 15:44:48"})
	return b
}

// Records is n well-formed records with ids first, first+1, ..., each with
// one attachment.
func Records(n int, first int64) []json.RawMessage {
	out := make([]json.RawMessage, n)
	for i := range out {
		id := strconv.FormatInt(first+int64(i), 10)
		out[i] = Record(id, "7"+id)
	}
	return out
}

// BigRecord is a well-formed record padded to at least size bytes.
func BigRecord(id string, size int) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"id": id, "policyTitle": "大 " + id, "files": []any{},
		"policyText": "<p>" + strings.Repeat("长", size/3+1) + "</p>"})
	return b
}

// Witness is a server that must not be reached: it counts connections and
// keeps the headers of every request that got through.
type Witness struct {
	*httptest.Server
	conns   atomic.Int64
	mu      sync.Mutex
	headers []http.Header
}

// NewWitness starts a witness on 127.0.0.1; Close it.
func NewWitness() *Witness {
	w := &Witness{}
	w.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		w.headers = append(w.headers, r.Header.Clone())
		w.mu.Unlock()
		rw.Write([]byte(`{"success":true,"code":"0","msg":"success","data":{"result":[],"hasNext":false}}`))
	}))
	w.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			w.conns.Add(1)
		}
	}
	w.Start()
	return w
}

// Connections counts the connections made to the witness.
func (w *Witness) Connections() int64 { return w.conns.Load() }

// Headers are the headers of the requests received.
func (w *Witness) Headers() []http.Header {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]http.Header(nil), w.headers...)
}
