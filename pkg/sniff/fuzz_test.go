package sniff

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDetect: any bytes classify without a panic, and the answer depends
// only on the first HeadSize bytes.
//
//	go test -run '^$' -fuzz FuzzDetect -fuzztime 10m ./pkg/sniff
func FuzzDetect(f *testing.F) {
	seeds, _ := filepath.Glob("../*/testdata/*/*")
	for _, s := range seeds {
		if st, err := os.Stat(s); err != nil || st.IsDir() {
			continue
		}
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 2*HeadSize)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := Detect(b)
		if len(b) > HeadSize {
			if again := Detect(b[:HeadSize]); again != got {
				t.Fatalf("Detect differs on the head alone: %v vs %v", got, again)
			}
		}
		if got.String() == "" {
			t.Fatal("every format has a name")
		}
	})
}
