package devstack_test

import (
	"context"
	"fmt"
	"os"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/store"
)

// An S3 server in the process, on a free loopback port, over a directory:
// what the all-in-one and the tests use instead of a real S3. (Compiled, not
// run: the gateway runs once per process, and this package's tests hold it.)
func ExampleStartS3() {
	dir, err := os.MkdirTemp("", "s3-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s3, err := devstack.StartS3(ctx, devstack.S3Config{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s3.Stop()

	st, err := store.New(s3.StoreConfig("policytext"))
	if err == nil {
		err = st.Ensure(ctx)
	}
	if err == nil {
		err = st.PutPolicy(ctx, policyapi.Policy{ID: "1778690715361914880", PolicyTitle: "重庆市青年创业扶持政策"}, nil)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := st.Policy(ctx, "1778690715361914880")
	fmt.Println(p.PolicyTitle, err)
}
