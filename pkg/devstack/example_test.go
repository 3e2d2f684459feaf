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

// A three-node NATS cluster for a test that crashes nodes. The test
// binary's TestMain calls devstack.RunClusterNodeIfAsked first, since each
// node is this binary run again. (Compiled, not run: this package's
// TestMain does not make nodes; pkg/clustertest's does.)
func ExampleStartCluster() {
	dir, err := os.MkdirTemp("", "cluster-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	c, err := devstack.StartCluster(ctx, devstack.ClusterConfig{Dir: dir}) // waits for a meta leader
	if err != nil {
		fmt.Println(err) // names the node that failed, with every node's view and log tail
		return
	}
	defer c.Stop()
	fmt.Println(c.URLs()) // for queue.Connect: the client fails over between them

	if err := c.Kill(0); err != nil { // SIGKILL: a crash
		fmt.Println(err)
		return
	}
	if err := c.Restart(0); err != nil { // same ports, same store
		fmt.Println(err)
		return
	}
	if _, err := c.WaitMetaLeader(ctx); err != nil {
		fmt.Println(err)
	}
}
