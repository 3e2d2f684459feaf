package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/policytext/policytext/pkg/store"
	"github.com/policytext/policytext/pkg/web"
)

// The pages over a store, with the search index kept up to date by Run
// (the all-in-one and services/web run it beside the HTTP server). An
// unknown policy is the 404 page, never bare text.
func Example() {
	st, err := store.New(store.Config{Endpoint: "127.0.0.1:1", Bucket: "example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	pages := web.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pages.Run(ctx) }()
	defer func() { cancel(); <-done }()

	srv := httptest.NewServer(pages)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/policies/abc")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), strings.Contains(string(b), "<h1>Not found</h1>"))
	// Output:
	// 404 text/html; charset=utf-8 true
}
