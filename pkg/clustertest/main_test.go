// Package clustertest runs the pipeline over a three-node NATS JetStream
// cluster, each node its own process (this test binary run again), and
// crashes nodes under it with SIGKILL.
package clustertest

import (
	"context"
	"os"
	"testing"

	"github.com/policytext/policytext/pkg/devstack"
)

// One S3 gateway per process (versitygw allows no second); each test has
// its own bucket.
var testS3 *devstack.S3

func TestMain(m *testing.M) {
	devstack.RunClusterNodeIfAsked() // a node process never returns from it
	os.Exit(devstack.RunTestsWithS3(m, &testS3))
}

// startCluster starts three nodes, stopped when the test ends.
func startCluster(t *testing.T) *devstack.Cluster {
	t.Helper()
	c, err := devstack.StartCluster(context.Background(), devstack.ClusterConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}
