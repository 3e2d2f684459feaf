package queue_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/queue"
)

// Queueing an attachment job: the same attachment at the same URL is one
// job, however often it is published within the dedup window.
func Example() {
	dir, _ := os.MkdirTemp("", "queue-example-")
	defer os.RemoveAll(dir)
	n, err := devstack.StartNATS(devstack.NATSConfig{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Stop()
	nc, js, err := queue.Connect(n.URL, "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := queue.Setup(ctx, js); err != nil { // idempotent: every process runs it at start
		fmt.Println(err)
		return
	}
	job := queue.AttachmentJob{PolicyID: "1778690715361914880", FileID: "1778690679265722368",
		FileURL: "https://youth.cq.cqyl.org.cn/oss/202404/da13243e9a1e444e9246b2ebda53410e.doc"}
	for range 2 {
		published, err := queue.PublishJob(ctx, js, job, "")
		fmt.Println(published, err)
	}
	s, _ := queue.ReadStatus(ctx, js)
	fmt.Println("jobs waiting:", s.JobsWaiting)
	// Output:
	// true <nil>
	// false <nil>
	// jobs waiting: 1
}
