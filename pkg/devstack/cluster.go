package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// A NATS cluster for tests runs each node in its own process, so that a
// node can be killed with SIGKILL (a crash, not a clean shutdown) and
// started again on the same ports and store. The node processes are the
// calling binary run again (usually the test binary): its TestMain calls
// RunClusterNodeIfAsked first, which turns the process into a node when
// the environment says so.

// clusterNodeEnv holds a node's configuration (JSON) in a node process's
// environment.
const clusterNodeEnv = "POLICYTEXT_NATS_CLUSTER_NODE"

// nodeConfig is what a node process is told.
type nodeConfig struct {
	Name        string   `json:"name"`
	Cluster     string   `json:"cluster"`
	Dir         string   `json:"dir"`
	ClientPort  int      `json:"clientPort"`
	ClusterPort int      `json:"clusterPort"`
	HTTPPort    int      `json:"httpPort"`
	Routes      []string `json:"routes"`
}

// RunClusterNodeIfAsked makes this process a cluster node when it was
// started as one by StartCluster, and then never returns: the node runs
// until it is signalled or its parent goes away (its stdin closes). In any
// other process it returns at once. Call it first thing in TestMain.
func RunClusterNodeIfAsked() {
	raw, ok := os.LookupEnv(clusterNodeEnv)
	if !ok {
		return
	}
	var cfg nodeConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "cluster node: bad configuration: %v\n", err)
		os.Exit(2)
	}
	if err := runNode(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "cluster node %s: %v\n", cfg.Name, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runNode(cfg nodeConfig) error {
	var routes []*url.URL
	for _, r := range cfg.Routes {
		u, err := url.Parse(r)
		if err != nil {
			return fmt.Errorf("route %q: %w", r, err)
		}
		routes = append(routes, u)
	}
	opts := &server.Options{
		ServerName: cfg.Name, Host: "127.0.0.1", Port: cfg.ClientPort,
		HTTPHost: "127.0.0.1", HTTPPort: cfg.HTTPPort,
		JetStream: true, StoreDir: filepath.Join(cfg.Dir, "jetstream"),
		Cluster: server.ClusterOpts{Name: cfg.Cluster, Host: "127.0.0.1", Port: cfg.ClusterPort},
		Routes:  routes,
		NoSigs:  true, Logtime: true,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return err
	}
	s.ConfigureLogger() // to stderr, which the parent keeps in the node's log file
	s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return errors.New("not ready for connections in 30s")
	}
	// the parent holds our stdin: EOF means it is gone (even if killed)
	gone := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(gone)
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sigs:
	case <-gone:
	}
	s.Shutdown()
	s.WaitForShutdown()
	return nil
}

// ClusterConfig configures a NATS cluster of node processes.
type ClusterConfig struct {
	Dir   string // node i keeps its store under Dir/n<i> and its log in Dir/n<i>.log
	Nodes int    // default 3
	// Exe is the binary run as each node; it must call
	// RunClusterNodeIfAsked at start. Default: this process's binary.
	Exe string
	// Ready bounds the wait for a meta leader (default 60 s).
	Ready time.Duration
}

// Cluster is a running NATS cluster with JetStream, one process per node,
// all on 127.0.0.1.
type Cluster struct {
	cfg   ClusterConfig
	Nodes []*ClusterNode
}

// ClusterNode is one node; its ports and store stay the same across
// restarts.
type ClusterNode struct {
	Name    string // the server name (as in stream leader and peer names)
	URL     string // its client URL
	Log     string // its log file
	conf    nodeConfig
	mu      sync.Mutex
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	exited  chan struct{} // closed when the process has ended
	exitErr error
}

// StartCluster starts the nodes and waits until they have elected a meta
// leader and every node knows every peer, so that streams with as many
// replicas as nodes can be created. A node that exits while starting, or
// no leader in time, fails it with each node's view and log tail.
func StartCluster(ctx context.Context, cfg ClusterConfig) (*Cluster, error) {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	cfg.Dir = dir
	if cfg.Nodes <= 0 {
		cfg.Nodes = 3
	}
	if cfg.Exe == "" {
		if cfg.Exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("devstack: cluster: %w", err)
		}
	}
	if cfg.Ready <= 0 {
		cfg.Ready = 60 * time.Second
	}
	ports, err := freePorts(3 * cfg.Nodes)
	if err != nil {
		return nil, fmt.Errorf("devstack: cluster: %w", err)
	}
	c := &Cluster{cfg: cfg}
	var routes []string
	for i := range cfg.Nodes {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3*i+1]))
	}
	for i := range cfg.Nodes {
		name := fmt.Sprintf("n%d", i+1)
		var others []string
		for j, r := range routes {
			if j != i {
				others = append(others, r)
			}
		}
		conf := nodeConfig{Name: name, Cluster: "policytext", Dir: filepath.Join(dir, name),
			ClientPort: ports[3*i], ClusterPort: ports[3*i+1], HTTPPort: ports[3*i+2], Routes: others}
		c.Nodes = append(c.Nodes, &ClusterNode{Name: name, URL: fmt.Sprintf("nats://127.0.0.1:%d", conf.ClientPort),
			Log: filepath.Join(dir, name+".log"), conf: conf})
	}
	for i := range c.Nodes {
		if err := c.start(i); err != nil {
			c.Stop()
			return nil, err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.Ready)
	defer cancel()
	if _, err := c.WaitMetaLeader(wctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// URLs is every node's client URL, comma-separated (what a NATS client
// takes to fail over between them).
func (c *Cluster) URLs() string {
	var us []string
	for _, n := range c.Nodes {
		us = append(us, n.URL)
	}
	return strings.Join(us, ",")
}

// Index is the index of the node with a server name, or -1.
func (c *Cluster) Index(name string) int {
	for i, n := range c.Nodes {
		if n.Name == name {
			return i
		}
	}
	return -1
}

func (c *Cluster) start(i int) error {
	n := c.Nodes[i]
	exited, err := c.spawn(n)
	if err != nil {
		return err
	}
	return waitListening(n, exited)
}

// spawn starts node n's process.
func (c *Cluster) spawn(n *ClusterNode) (chan struct{}, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil && !closed(n.exited) {
		return nil, fmt.Errorf("devstack: cluster: node %s is running", n.Name)
	}
	if err := os.MkdirAll(n.conf.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("devstack: cluster: %w", err)
	}
	logf, err := os.OpenFile(n.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("devstack: cluster: %w", err)
	}
	defer logf.Close() // the child has its own copy
	b, _ := json.Marshal(n.conf)
	// -test.run matches nothing, in case the binary is a test binary that
	// does not call RunClusterNodeIfAsked: it then exits instead of
	// running the tests again
	cmd := exec.Command(c.cfg.Exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), clusterNodeEnv+"="+string(b))
	cmd.Stdout, cmd.Stderr = logf, logf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("devstack: cluster: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("devstack: cluster: node %s: %w", n.Name, err)
	}
	n.cmd, n.stdin, n.exited = cmd, stdin, make(chan struct{})
	exited := n.exited
	go func() { // owned by the node: ends when the process does
		err := cmd.Wait()
		n.mu.Lock()
		n.exitErr = err
		n.mu.Unlock()
		close(exited)
	}()
	return exited, nil
}

// waitListening waits until node n accepts connections, or fails at once
// when its process exits.
func waitListening(n *ClusterNode, exited chan struct{}) error {
	// accepting clients is quick; JetStream readiness is the caller's wait
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(n.URL, "nats://"), time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-exited:
			n.mu.Lock()
			exitErr := n.exitErr
			n.mu.Unlock()
			return fmt.Errorf("devstack: cluster: node %s exited while starting (%v); log:\n%s", n.Name, exitErr, tail(n.Log, 20))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("devstack: cluster: node %s not listening after 30s; log:\n%s", n.Name, tail(n.Log, 20))
		}
	}
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Kill kills node i with SIGKILL (no shutdown: a crash) and waits until
// the process is gone.
func (c *Cluster) Kill(i int) error {
	n := c.Nodes[i]
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil || closed(exited) {
		return fmt.Errorf("devstack: cluster: node %s is not running", n.Name)
	}
	if err := cmd.Process.Kill(); err != nil {
		return fmt.Errorf("devstack: cluster: kill %s: %w", n.Name, err)
	}
	<-exited
	return nil
}

// Restart starts a stopped node again on its ports and store; it returns
// once the node accepts clients (use WaitHealthy for its JetStream state).
func (c *Cluster) Restart(i int) error { return c.start(i) }

// Running reports whether node i's process runs.
func (c *Cluster) Running(i int) bool {
	n := c.Nodes[i]
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil && !closed(n.exited)
}

// Stop ends every node (SIGTERM, then SIGKILL after 10 s).
func (c *Cluster) Stop() {
	for _, n := range c.Nodes {
		n.mu.Lock()
		cmd, exited, stdin := n.cmd, n.exited, n.stdin
		n.mu.Unlock()
		if cmd == nil || closed(exited) {
			continue
		}
		cmd.Process.Signal(syscall.SIGTERM)
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
}

// metaView is what /jsz says of the meta group.
type metaView struct {
	Meta *struct {
		Leader   string `json:"leader"`
		Size     int    `json:"cluster_size"`
		Replicas []struct {
			Name    string `json:"name"`
			Current bool   `json:"current"`
			Offline bool   `json:"offline"`
		} `json:"replicas"`
	} `json:"meta_cluster"`
}

func (n *ClusterNode) monitor(ctx context.Context, path string, v any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", n.conf.HTTPPort, path), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			return resp.StatusCode, fmt.Errorf("%s: %w", path, err)
		}
	}
	return resp.StatusCode, nil
}

// meta is node i's view of the meta leader ("" if none) and of how many
// peers are current (the leader counts itself).
func (c *Cluster) meta(ctx context.Context, i int) (leader string, current int, err error) {
	var v metaView
	if _, err := c.Nodes[i].monitor(ctx, "/jsz", &v); err != nil {
		return "", 0, err
	}
	if v.Meta == nil {
		return "", 0, errors.New("no meta group yet")
	}
	current = 1
	for _, r := range v.Meta.Replicas {
		if r.Current && !r.Offline {
			current++
		}
	}
	return v.Meta.Leader, current, nil
}

// WaitMetaLeader waits until every running node names the same, running
// meta leader, and the leader sees every running node as current. It
// returns the leader's name, or (when ctx ends) an error with every node's
// view and the tail of its log.
func (c *Cluster) WaitMetaLeader(ctx context.Context) (string, error) {
	for {
		leader, ok := "", true
		running := 0
		for i := range c.Nodes {
			if !c.Running(i) {
				continue
			}
			running++
			l, _, err := c.meta(ctx, i)
			if err != nil || l == "" || (leader != "" && l != leader) {
				ok = false
				break
			}
			leader = l
		}
		if li := c.Index(leader); ok && li >= 0 && c.Running(li) {
			if _, current, err := c.meta(ctx, li); err == nil && current >= running {
				return leader, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("devstack: cluster: no meta leader: %w\n%s", ctx.Err(), c.Diagnostics())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitHealthy waits until node i's /healthz says its JetStream is
// current (the meta group, and its streams and consumers caught up).
func (c *Cluster) WaitHealthy(ctx context.Context, i int) error {
	for {
		code, err := c.Nodes[i].monitor(ctx, "/healthz", nil)
		if err == nil && code == http.StatusOK {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devstack: cluster: node %s not healthy (%d, %v): %w\n%s", c.Nodes[i].Name, code, err, ctx.Err(), c.Diagnostics())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Diagnostics describes every node: running or not, its view of the meta
// group, and the last lines of its log.
func (c *Cluster) Diagnostics() string {
	var b bytes.Buffer
	ctx := context.Background()
	for i, n := range c.Nodes {
		state := "running"
		if !c.Running(i) {
			n.mu.Lock()
			state = fmt.Sprintf("not running (%v)", n.exitErr)
			n.mu.Unlock()
		}
		fmt.Fprintf(&b, "node %s (%s, client %s, monitor :%d): %s", n.Name, n.conf.Dir, n.URL, n.conf.HTTPPort, state)
		if c.Running(i) {
			if l, cur, err := c.meta(ctx, i); err != nil {
				fmt.Fprintf(&b, "; /jsz: %v", err)
			} else {
				fmt.Fprintf(&b, "; meta leader %q, %d current", l, cur)
			}
		}
		fmt.Fprintf(&b, "\n%s\n", tail(n.Log, 8))
	}
	return b.String()
}

// tail is the last n lines of a file (indented), for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "    (" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines = lines[max(len(lines)-n, 0):]
	return "    " + strings.Join(lines, "\n    ")
}

// freePorts finds n distinct free ports on 127.0.0.1 (held together while
// chosen, so none repeats).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
