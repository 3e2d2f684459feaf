package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/policytext/policytext/pkg/extract"
	"github.com/policytext/policytext/pkg/text"
)

func runExtract(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stories := fs.String("stories", "main", `which stories to print: "main" or "all" (headers, footers, notes, comments, text boxes after the body)`)
	outDir := fs.String("out", "", "write DIR/<base name>.txt for each FILE instead of printing")
	verbose := fs.Bool("verbose", false, "print each file's detected format on stderr")
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
	status := 0
	for _, name := range files {
		txt, res, err := extractFile(name, opt)
		if err == nil && *verbose {
			fmt.Fprintf(stderr, "%s: %s (%s)\n", name, res.Format, res.Doc.Version)
		}
		if err == nil {
			if *outDir == "" {
				_, err = io.WriteString(stdout, txt)
			} else {
				base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
				err = os.WriteFile(filepath.Join(*outDir, base+".txt"), []byte(txt), 0o644)
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			status = 1
		}
	}
	return status
}

func extractFile(name string, opt text.RenderOptions) (string, *extract.Result, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", nil, errors.Unwrap(err) // the *PathError already names the file
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	res, err := extract.Extract(context.Background(), f, st.Size(), extract.Options{})
	if err != nil {
		return "", nil, err
	}
	return res.Doc.PlainText(opt), res, nil
}
