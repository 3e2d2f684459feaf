package pipeline

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// httpFileServer serves files by base name from the first directory that
// has them; 404 otherwise.
func httpFileServer(dirs []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := filepath.Base(strings.TrimPrefix(r.URL.Path, "/"))
		for _, d := range dirs {
			if b, err := os.ReadFile(filepath.Join(d, name)); err == nil {
				w.Write(b)
				return
			}
		}
		http.NotFound(w, r)
	})
}
