package allinone

import (
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"
)

type queueJS = jetstream.JetStream

// countingObserver counts the attachments extracted by this run.
type countingObserver struct{ n atomic.Int64 }

func (c *countingObserver) observe(ok bool) {
	if ok {
		c.n.Add(1)
	}
}
