package devstack

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATSConfig configures the embedded NATS server.
type NATSConfig struct {
	Dir  string // JetStream store: Dir/jetstream
	Host string // default 127.0.0.1
	Port int    // default -1: a free port
}

// NATS is a running embedded NATS server with JetStream.
type NATS struct {
	URL    string
	server *server.Server
}

// StartNATS starts the server and waits until it accepts connections.
func StartNATS(cfg NATSConfig) (*NATS, error) {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Port == 0 {
		cfg.Port = -1
	}
	if cfg.Port > 0 {
		// the server would retry a port in use for a long time and then
		// say only that it did not start
		if err := portFree(net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))); err != nil {
			return nil, fmt.Errorf("devstack: nats: %w", err)
		}
	}
	s, err := server.NewServer(&server.Options{
		ServerName: "policytext-embedded", Host: cfg.Host, Port: cfg.Port,
		JetStream: true, StoreDir: filepath.Join(dir, "jetstream"),
		NoSigs: true, NoLog: true,
	})
	if err != nil {
		return nil, fmt.Errorf("devstack: nats: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("devstack: nats did not start in 20s")
	}
	return &NATS{URL: s.ClientURL(), server: s}, nil
}

// Stop shuts the server down and waits for it.
func (n *NATS) Stop() {
	n.server.Shutdown()
	n.server.WaitForShutdown()
}

// portFree checks that addr can be listened on (and frees it again).
func portFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("address %s: %w", addr, err)
	}
	return l.Close()
}
