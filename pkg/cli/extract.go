package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/policytext/policytext/pkg/extract"
	"github.com/policytext/policytext/pkg/text"
)

func runExtract(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stories := fs.String("stories", "main", `which stories to print: "main" or "all" (headers, footers, notes, comments, text boxes after the body)`)
	outDir := fs.String("out", "", "write DIR/<base name>.txt for each FILE instead of printing")
	verbose := fs.Bool("verbose", false, "print each file's detected format on stderr")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "files extracted at once")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	switch {
	case len(files) == 0:
		fmt.Fprintln(stderr, "policyctl extract: no FILE given")
		return 2
	case *stories != "main" && *stories != "all":
		fmt.Fprintf(stderr, "policyctl extract: --stories must be main or all, not %q\n", *stories)
		return 2
	case *outDir == "" && len(files) > 1:
		fmt.Fprintln(stderr, "policyctl extract: several FILEs need --out DIR")
		return 2
	}
	opt := text.RenderOptions{AllStories: *stories == "all"}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "policyctl extract: %v\n", err)
			return 1
		}
	}
	// Files are extracted by a pool of workers; messages are printed in
	// the order of the arguments, as soon as each file and the ones before
	// it are done.
	results := make([]outcome, len(files))
	done := make([]chan struct{}, len(files))
	for i := range done {
		done[i] = make(chan struct{})
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(*jobs, len(files))) {
		wg.Go(func() {
			for i := range next {
				results[i] = extractOne(files[i], opt, *outDir, *verbose, stdout)
				close(done[i])
			}
		})
	}
	go func() {
		for i := range files {
			next <- i
		}
		close(next)
	}()
	status := 0
	for i := range files {
		<-done[i]
		io.WriteString(stderr, results[i].msg)
		if results[i].failed {
			status = 1
		}
	}
	wg.Wait()
	return status
}

// outcome is what one file's extraction has to say on stderr.
type outcome struct {
	msg    string
	failed bool
}

// extractOne extracts one file to stdout or to outDir and returns what to
// print on stderr.
func extractOne(name string, opt text.RenderOptions, outDir string, verbose bool, stdout io.Writer) (o outcome) {
	txt, res, err := extractFile(name, opt)
	if err == nil && verbose {
		o.msg = fmt.Sprintf("%s: %s (%s)\n", name, res.Format, res.Doc.Version)
	}
	if err == nil {
		if outDir == "" {
			_, err = io.WriteString(stdout, txt)
		} else {
			base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
			err = os.WriteFile(filepath.Join(outDir, base+".txt"), []byte(txt), 0o644)
		}
	}
	if err != nil {
		o.msg += fmt.Sprintf("%s: %v\n", name, err)
		o.failed = true
	}
	return o
}

func extractFile(name string, opt text.RenderOptions) (string, *extract.Result, error) {
	limits := extract.Options{}.WithDefaults()
	st, err := os.Stat(name)
	if err != nil {
		return "", nil, errors.Unwrap(err) // the *PathError already names the file
	}
	if st.Size() > limits.MaxInputBytes {
		return "", nil, fmt.Errorf("%w: file is %d bytes, limit %d", extract.ErrTooLarge, st.Size(), limits.MaxInputBytes)
	}
	// One read into memory: the container readers make many small reads.
	b, err := os.ReadFile(name)
	if err != nil {
		return "", nil, errors.Unwrap(err)
	}
	res, err := extract.Bytes(context.Background(), b, limits)
	if err != nil {
		return "", nil, err
	}
	return res.Doc.PlainText(opt), res, nil
}
