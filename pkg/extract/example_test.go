package extract_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/policytext/policytext/pkg/extract"
	"github.com/policytext/policytext/pkg/text"
)

// Extract sniffs the format (the name does not matter) and returns the text;
// every sentinel error of the package is a permanent failure, and Kind names
// it for the extraction record.
func ExampleBytes() {
	ctx := context.Background()
	res, err := extract.Bytes(ctx, []byte(`{\rtf1\ansi\uc1 \u31532?\u19968?\u26465? {\b bold}\par}`), extract.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %q\n", res.Format, res.Doc.PlainText(text.RenderOptions{}))

	_, err = extract.Bytes(ctx, []byte("just some bytes"), extract.Options{})
	fmt.Println(errors.Is(err, extract.ErrUnsupportedFormat), extract.Kind(err))
	// Output:
	// rtf "第一条 bold\n"
	// true unsupported_format
}
