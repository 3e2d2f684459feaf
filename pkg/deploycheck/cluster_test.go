package deploycheck

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/policytext/policytext/pkg/queue"
)

// The cluster override and its nodes (service name = server name).
const clusterOverride = "deploy/compose.cluster.yml"

var clusterNodes = []string{"nats", "nats-2", "nats-3"}

// TestComposeCluster: docker-compose.yml with deploy/compose.cluster.yml
// runs three NATS nodes on deploy/nats-cluster.conf, each with its own
// name and volume, routes to all three with the route login, the users of
// deploy/nats.conf and a healthcheck that waits for the meta leader; every
// service lists the three nodes, keeps three copies of each stream and
// starts once every node is healthy. Without NATS_ROUTE_PASSWORD the
// override refuses to start; the single-server file does not need it.
func TestComposeCluster(t *testing.T) {
	p := loadCompose(t, clusterOverride)
	users := natsUsers(t)
	single := loadCompose(t).Services["nats"]
	volumes := map[string]string{}
	hostPorts := map[string]string{}
	for _, name := range clusterNodes {
		n, ok := p.Services[name]
		if !ok {
			t.Errorf("node %s missing", name)
			continue
		}
		checkNATSNode(t, n, users, "nats-cluster.conf", "nats.conf")
		if n.Image != single.Image {
			t.Errorf("%s: image %s, the single server runs %s", name, n.Image, single.Image)
		}
		if v := n.Environment["NATS_SERVER_NAME"]; v == nil || *v != name {
			t.Errorf("%s: NATS_SERVER_NAME %q, want its service name", name, deref(v))
		}
		if v := n.Environment["NATS_ROUTE_PASSWORD"]; v == nil || *v != "secret-of-NATS_ROUTE_PASSWORD" {
			t.Errorf("%s: the route password is not NATS_ROUTE_PASSWORD", name)
		}
		for _, v := range n.Volumes {
			if v.Target == "/data" {
				if other, dup := volumes[v.Source]; dup {
					t.Errorf("%s and %s share the volume %s", other, name, v.Source)
				}
				volumes[v.Source] = name
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("%s: volume %s not declared", name, v.Source)
				}
			}
		}
		hc := n.HealthCheck
		if hc == nil || !strings.Contains(strings.Join(hc.Test, " "), ":8222/healthz") || strings.Contains(strings.Join(hc.Test, " "), "js-enabled-only") {
			t.Errorf("%s: the healthcheck must be the plain /healthz (green once the node is current with a meta leader): %v", name, hc)
		}
		for _, port := range n.Ports {
			if port.HostIP != "127.0.0.1" || port.Target != 4222 {
				t.Errorf("%s: publishes %+v; only the client port, on 127.0.0.1", name, port)
			}
			if other, dup := hostPorts[port.Published]; dup {
				t.Errorf("%s and %s publish the same port %s", other, name, port.Published)
			}
			hostPorts[port.Published] = name
		}
	}
	if len(volumes) != len(clusterNodes) || len(hostPorts) != len(clusterNodes) {
		t.Errorf("each node needs its own /data volume and published port: %v, %v", volumes, hostPorts)
	}

	wantURL := make([]string, len(clusterNodes))
	for i, n := range clusterNodes {
		wantURL[i] = "nats://" + n + ":4222"
	}
	apps := 0
	for name, s := range p.Services {
		if slices.Contains(clusterNodes, name) || s.Environment["NATS_URL"] == nil {
			continue
		}
		apps++
		if u := *s.Environment["NATS_URL"]; u != strings.Join(wantURL, ",") {
			t.Errorf("%s: NATS_URL %s, want the three nodes %s", name, u, strings.Join(wantURL, ","))
		}
		if r := s.Environment["NATS_REPLICAS"]; r == nil || *r != "3" {
			t.Errorf("%s: NATS_REPLICAS %q, want 3", name, deref(r))
		}
		for _, node := range clusterNodes {
			if d, ok := s.DependsOn[node]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s: must depend on %s being healthy", name, node)
			}
		}
	}
	if apps != 5 { // fetcher, extractor, reconciler, web, fetcher-demo
		t.Errorf("%d services with NATS_URL, want 5", apps)
	}
	checkClients(t, p, users)

	// The route secret: required by the override only, listed in
	// .env.example with the others.
	env := envExample(t)
	for _, k := range secrets {
		env[k] = "x"
	}
	if _, err := load(env, clusterOverride); err == nil || !strings.Contains(err.Error(), "NATS_ROUTE_PASSWORD") {
		t.Errorf("the cluster without NATS_ROUTE_PASSWORD: err %v, want one naming it", err)
	}
	if _, err := load(env); err != nil {
		t.Errorf("docker-compose.yml alone must not need NATS_ROUTE_PASSWORD: %v", err)
	}
}

// TestNATSClusterConfig starts three NATS servers from
// deploy/nats-cluster.conf with the environment compose gives each node
// (ports and data directories moved to the test's, the routes pointed at
// them): each reads its own name, the route login and routes to the three
// nodes; they form a cluster whose /healthz turns green, on which every
// user of the stack sets up the streams with three replicas; and a route
// with a wrong password is refused.
func TestNATSClusterConfig(t *testing.T) {
	p := loadCompose(t, clusterOverride)
	users := natsUsers(t)
	pw := map[string]string{}
	for u, v := range users {
		pw[u] = *p.Services["nats"].Environment[v]
	}
	routePort := map[string]int{}
	for _, name := range clusterNodes {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		routePort[name] = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	routePW := *p.Services["nats"].Environment["NATS_ROUTE_PASSWORD"]

	var servers []*server.Server
	for _, name := range clusterNodes {
		for k, v := range p.Services[name].Environment {
			if v != nil && strings.HasPrefix(k, "NATS_") {
				t.Setenv(k, *v)
			}
		}
		opts := natsOptions(t, "deploy/nats-cluster.conf", pw)
		if opts.ServerName != name || opts.Cluster.Name != "policytext" || opts.Cluster.Port != 6222 ||
			opts.Cluster.Username != "route" || opts.Cluster.Password != routePW || !opts.Cluster.NoAdvertise {
			t.Errorf("%s: name %q, cluster %q on %d, route login %q/%q, no_advertise %v", name, opts.ServerName,
				opts.Cluster.Name, opts.Cluster.Port, opts.Cluster.Username, opts.Cluster.Password, opts.Cluster.NoAdvertise)
		}
		var hosts []string
		for i, r := range opts.Routes {
			pass, _ := r.User.Password()
			if r.Scheme != "nats-route" || r.Port() != "6222" || r.User.Username() != "route" || pass != routePW {
				t.Errorf("%s: route %s: want nats-route://route:<NATS_ROUTE_PASSWORD>@<node>:6222", name, r.Redacted())
			}
			hosts = append(hosts, r.Hostname())
			u := *r
			u.Host = fmt.Sprintf("127.0.0.1:%d", routePort[r.Hostname()])
			opts.Routes[i] = &u
		}
		if !slices.Equal(hosts, clusterNodes) {
			t.Fatalf("%s: routes to %v, want %v", name, hosts, clusterNodes)
		}
		opts.StoreDir, opts.Host, opts.Port, opts.HTTPHost, opts.HTTPPort = t.TempDir(), "127.0.0.1", -1, "127.0.0.1", -1
		opts.Cluster.Host, opts.Cluster.Port, opts.NoLog, opts.NoSigs = "127.0.0.1", routePort[name], true, true
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		t.Cleanup(s.Shutdown)
		if !s.ReadyForConnections(20 * time.Second) {
			t.Fatalf("%s did not start", name)
		}
		servers = append(servers, s)
	}

	// The compose healthcheck: each node's /healthz, green once the
	// cluster has a meta leader and the node is current.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var urls []string
	for i, s := range servers {
		urls = append(urls, s.ClientURL())
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.MonitorAddr().String()+"/healthz", nil)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if ctx.Err() != nil {
				t.Fatalf("%s: /healthz not green within a minute (%v)", clusterNodes[i], err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	checkLogins(t, strings.Join(urls, ","), pw, queue.WithReplicas(3))
	nc, js, err := queue.Connect(strings.Join(urls, ","), "check", queue.UserInfo("policyctl", pw["policyctl"])...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, name := range []string{queue.JobsStream, queue.EventsStream, queue.DeadStream, queue.RequestsStream, queue.AdvisoryStream} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		if info := st.CachedInfo(); info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			t.Errorf("stream %s: %d replicas, cluster %+v", name, info.Config.Replicas, info.Cluster)
		}
	}

	// A route that logs in with a wrong password is refused.
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", routePort["nats"]), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "INFO ") {
		t.Fatalf("route port: %q, %v", line, err)
	}
	fmt.Fprintf(c, "CONNECT {\"user\":\"route\",\"pass\":\"wrong\",\"name\":\"intruder\",\"cluster\":\"policytext\"}\r\nPING\r\n")
	line, err := r.ReadString('\n')
	if err != nil || !strings.Contains(line, "Authorization Violation") {
		t.Errorf("a route with a wrong password: %q, %v; want -ERR 'Authorization Violation'", line, err)
	}
}

// deref is an environment value, "" when unset.
func deref(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}
