package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	goodDoc   = "../msdoc/testdata/golden/lo-1775446429602316288.doc"
	goodTruth = "../msdoc/testdata/golden/lo-1775446429602316288.golden.txt"
	badDoc    = "../msdoc/testdata/bad/password_123456.doc"
)

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExtractStdout(t *testing.T) {
	code, out, stderr := run("extract", goodDoc)
	want, _ := os.ReadFile(goodTruth)
	if code != 0 || out != string(want) {
		t.Fatalf("exit %d, stderr %q, stdout matches truth: %v", code, stderr, out == string(want))
	}
	code, all, _ := run("extract", "--stories", "all", goodDoc)
	if code != 0 || !strings.HasPrefix(all, out) || !strings.Contains(all, "=== footer ===") {
		t.Errorf("--stories all should append the footer story after the main text")
	}
}

func TestExtractOutDirKeepsGoingAfterFailure(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run("extract", "--out", dir, badDoc, goodDoc, "no-such-file.doc")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, badDoc+": msdoc: document is encrypted: RC4") {
		t.Errorf("stderr should name the failed file and its error: %q", stderr)
	}
	if !strings.Contains(stderr, "no-such-file.doc: ") {
		t.Errorf("missing file not reported: %q", stderr)
	}
	got, err := os.ReadFile(filepath.Join(dir, "lo-1775446429602316288.txt"))
	want, _ := os.ReadFile(goodTruth)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("good file not written after a failure: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "password_123456.txt")); err == nil {
		t.Error("a failed file must not leave a text file")
	}
}

func TestExtractByContentWithVerbose(t *testing.T) {
	// a .docx under a .doc name, and an RTF under a .doc name
	for _, c := range []struct{ file, format, truth string }{
		{"../msdoc/testdata/bad/docx_named_as.doc", "docx", "../docx/testdata/golden/lo-1778688997232377856.golden.txt"},
		{"../msdoc/testdata/bad/rtf_named_as.doc", "rtf", "../rtf/testdata/golden/abiword-1775446429602316288.golden.txt"},
	} {
		code, out, stderr := run("extract", "--verbose", c.file)
		want, err := os.ReadFile(c.truth)
		if err != nil {
			t.Fatal(err)
		}
		if code != 0 || out != string(want) {
			t.Errorf("%s: exit %d, stderr %q, text matches: %v", c.file, code, stderr, out == string(want))
		}
		if !strings.Contains(stderr, c.file+": "+c.format+" (") {
			t.Errorf("%s: --verbose should print the detected format %q: %q", c.file, c.format, stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nonsense"},
		{"extract"},
		{"extract", "--stories", "some", goodDoc},
		{"extract", goodDoc, goodDoc},
	} {
		if code, _, _ := run(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

func TestHealth(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer bad.Close()
	if code, _, _ := run("health", ok.URL); code != 0 {
		t.Errorf("healthy: exit %d", code)
	}
	if code, _, _ := run("health", bad.URL); code != 1 {
		t.Errorf("unhealthy: exit %d", code)
	}
}
