package policyapi

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/policytext/policytext/pkg/sample"
)

// FuzzDecodePage: any answer decodes to a page or a typed error; a page
// accounts for every record, and what it delivers is valid.
func FuzzDecodePage(f *testing.F) {
	var cat struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(sample.Catalogue(), &cat); err != nil {
		f.Fatal(err)
	}
	// two real records, their HTML cut short: small seeds mutate faster
	var recs []string
	for _, raw := range cat.Data.Result[:2] {
		var rec map[string]any
		if err := json.Unmarshal(raw, &rec); err != nil {
			f.Fatal(err)
		}
		rec["policyText"] = string([]rune(rec["policyText"].(string))[:60])
		b, _ := json.Marshal(rec)
		recs = append(recs, string(b))
	}
	real := `{"success":true,"code":"0","msg":"success","data":{"pageNo":1,"pageSize":2,"result":[` +
		strings.Join(recs, ",") + `],"totalNum":"190","hasNext":true}}`
	for _, seed := range []string{
		real,
		`{"success":true,"code":0,"data":{"pageNo":"1","pageSize":"10","totalNum":190,"hasNext":false,"result":[` +
			`{"id":1600},{"id":"1601","files":[{"fileId":"1","fileSize":"75"}]},{"id":"1602","files":"x"},` +
			`{"id":"1603","files":null},{"id":"1604","files":[]},42,null,"s",[],{"id":"1605","files":[null]}]}}`,
		`{"success":false,"code":"500","msg":"系统繁忙","data":null}`,
		`{"success":true,"code":"0","data":null}`,
		`{"success":true,"code":"0","data":{"result":null}}`,
		`{"success":true,"code":"0","data":{"totalNum":"1e3","pageNo":1.5,"result":[]}}`,
		real[:len(real)/2],
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePage(b, 3, 10)
		if err != nil {
			if p != nil || !(errors.Is(err, ErrBadResponse) || errors.Is(err, ErrAPI)) {
				t.Fatalf("untyped error or a page with it: %v", err)
			}
			return
		}
		if p.Records != len(p.Policies)+len(p.Skipped) {
			t.Fatalf("%d records, %d policies, %d skipped", p.Records, len(p.Policies), len(p.Skipped))
		}
		for _, pol := range p.Policies {
			if pol.Validate() != nil || !json.Valid(pol.Raw) {
				t.Fatalf("delivered an unusable record: %+v", pol)
			}
		}
		last := -1
		for _, s := range p.Skipped {
			if s.Index <= last || s.Index >= p.Records || s.PageNo != 3 || s.Reason == "" {
				t.Fatalf("skip %+v after index %d", s, last)
			}
			last = s.Index
			if strings.IndexFunc(s.ID, unicode.IsControl) >= 0 {
				t.Fatalf("control characters in a reported id: %q", s.ID)
			}
		}
	})
}
