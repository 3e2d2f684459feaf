package devstack

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/policytext/policytext/pkg/policyapi"
)

func TestPortal(t *testing.T) {
	p, err := StartPortal("")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	c := policyapi.NewClient(policyapi.ClientConfig{BaseURL: p.URL, RPS: 1000}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	page, err := c.Page(context.Background(), 19, 10)
	if err != nil || len(page.Policies) != 10 || page.HasNext || page.TotalNum != 190 {
		t.Fatalf("last page: %+v %v", page, err)
	}
	if u := page.Policies[0].Files[0].FileURL; !bytes.HasPrefix([]byte(u), []byte(p.URL+"/oss/")) {
		t.Errorf("fileUrl %s", u)
	}
}
