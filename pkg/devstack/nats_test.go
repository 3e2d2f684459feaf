package devstack

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestNATSJetStreamSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	n, err := StartNATS(NATSConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nc, err := nats.Connect(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "t.x", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	n.Stop()

	n, err = StartNATS(NATSConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	nc, _ = nats.Connect(n.URL)
	defer nc.Close()
	js, _ = jetstream.New(nc)
	s, err := js.Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.GetMsg(ctx, 1)
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if string(msg.Data) != "kept" {
		t.Errorf("after restart: %q", msg.Data)
	}
}
