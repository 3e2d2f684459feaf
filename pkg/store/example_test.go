package store_test

import (
	"context"
	"fmt"
	"time"

	"github.com/policytext/policytext/pkg/store"
)

// An extractor's writes for one attachment, and the reconciler's read of
// what to compare. (The example runs against the test's S3 server.)
func Example() {
	ctx := context.Background()
	st, err := store.New(testS3.StoreConfig("example"))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := st.Ensure(ctx); err != nil {
		fmt.Println(err)
		return
	}
	p := policy(nil, "1778690715361914880", "<p>第一条</p>", "1778690679265722368")
	if err := st.PutPolicy(ctx, p, nil); err != nil {
		fmt.Println(err)
		return
	}
	rec := store.Record{PolicyID: p.ID, FileID: "1778690679265722368", OK: true, At: time.Now()}
	if err := st.PutResult(ctx, rec, "第一条\n"); err != nil { // the text and its record: settled
		fmt.Println(err)
		return
	}
	c, err := st.Compared(ctx, p.ID, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("settled %v, attachment %q, web %q\n", c.Settled, c.Attachment, c.Web)
	_, err = st.Text(ctx, "../etc", "passwd")
	fmt.Println(err)
	// Output:
	// settled true, attachment "第一条\n", web "第一条"
	// store: invalid id: "../etc"
}
