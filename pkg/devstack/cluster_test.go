package devstack

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestClusterNodeThatCannotStartFailsFast: a binary that does not become a
// node (this test binary does not call RunClusterNodeIfAsked, so it exits
// at once) fails StartCluster at once, naming the node, not after the wait
// for a meta leader. (A real cluster is exercised in pkg/clustertest.)
func TestClusterNodeThatCannotStartFailsFast(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := StartCluster(ctx, ClusterConfig{Dir: t.TempDir(), Exe: exe, Ready: time.Minute})
	if err == nil {
		c.Stop()
		t.Fatal("a cluster of nodes that never run started")
	}
	if !strings.Contains(err.Error(), "node n1 exited while starting") {
		t.Errorf("error does not say which node failed how: %v", err)
	}
	if ctx.Err() != nil {
		t.Errorf("it waited for the deadline: %v", err)
	}
}
