package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/policytext/policytext/pkg/devstack"
	"github.com/policytext/policytext/pkg/policyapi"
	"github.com/policytext/policytext/pkg/queue"
	"github.com/policytext/policytext/pkg/sample"
)

// chaosCatalogue makes `copies` policies from the sample's 190, in turn
// (ids get a suffix, attachments stay the same files), plus `poison`
// policies whose attachment the portal never serves (always 503).
func chaosCatalogue(t testing.TB, copies, poison int) ([]byte, map[string]string) {
	t.Helper()
	var env struct {
		Data struct {
			Result []map[string]any `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(sample.Catalogue(), &env); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	expected := map[string]string{} // policy id → "ok" or "poison"
	for c := 0; c < copies+poison; c++ {
		src := env.Data.Result[c%len(env.Data.Result)]
		b, _ := json.Marshal(src)
		var rec map[string]any
		json.Unmarshal(b, &rec)
		suffix := fmt.Sprintf("%03d", c/len(env.Data.Result))
		rec["id"] = rec["id"].(string) + suffix
		files := rec["files"].([]any)
		f := files[0].(map[string]any)
		f["fileId"] = f["fileId"].(string) + suffix
		kind := "ok"
		if c >= copies {
			kind = "poison"
			f["fileUrl"] = policyapi.RecordedFileHost + "/oss/poison/" + strconv.Itoa(c) + ".doc"
		}
		expected[rec["id"].(string)] = kind
		out = append(out, rec)
	}
	b, _ := json.Marshal(map[string]any{"success": true, "code": "0", "data": map[string]any{"result": out}})
	return b, expected
}

// TestChaos runs the stages as separate processes (fetcher, two
// extractors, reconciler) against NATS, S3 and the portal in this process,
// kills processes with SIGKILL at random moments and restarts them,
// restarts NATS once and takes S3 away once. At the end every attachment
// has its original, text and record, every policy its report, no object is
// missing or extra, and the dead-letter stream holds exactly the poisoned
// jobs. It takes minutes, so it runs when asked: CHAOS=1 for the short
// form (1,140 attachments, a 5 s S3 outage; .ci/run runs it as its own
// step), CHAOS_LONG=1 for the long form (5,700 attachments, a 30 s outage):
//
//	CHAOS=1 go test -run TestChaos -v ./pkg/pipeline
func TestChaos(t *testing.T) {
	long := os.Getenv("CHAOS_LONG") != ""
	if os.Getenv("CHAOS") == "" && !long {
		t.Skip("SKIPPED: set CHAOS=1 (or CHAOS_LONG=1) to run the service binaries under fire; .ci/run does, as its own step")
	}
	copies, poison, outage, chaosFor, retryBase := 6, 3, 5*time.Second, 25*time.Second, "1s"
	if long {
		copies, outage, chaosFor, retryBase = 30, 30*time.Second, 90*time.Second, "5s"
	}
	bins := t.TempDir()
	build := exec.Command("go", "build", "-o", bins+"/", "./services/fetcher", "./services/extractor", "./services/reconciler")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ctx := context.Background()
	cat, expected := chaosCatalogue(t, copies*190, poison)
	attachments := len(expected)

	// NATS on a fixed port, so that a restart is at the same address
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	natsDir := t.TempDir()
	n, err := devstack.StartNATS(devstack.NATSConfig{Dir: natsDir, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { n.Stop() }()
	bucket := freshBucket("chaos")
	s := newStackOn(t, n.URL, bucket)

	portal, err := policyapi.NewSampleServer(cat, sample.Files(), "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oss/poison/") {
			http.Error(w, "poisoned", http.StatusServiceUnavailable)
			return
		}
		portal.ServeHTTP(w, r)
	}))
	defer srv.Close()
	portal.SetBase(srv.URL)
	host := strings.TrimPrefix(srv.URL, "http://")

	env := func() []string {
		return append(os.Environ(), "NATS_URL="+n.URL, "S3_ENDPOINT="+testS3.Endpoint, "S3_ACCESS_KEY="+testS3.AccessKey,
			"S3_SECRET_KEY="+testS3.SecretKey, "S3_BUCKET="+bucket, "HTTP_ADDR=127.0.0.1:0", "LOG_LEVEL=error")
	}
	type proc struct {
		name string
		args []string
		cmd  *exec.Cmd
	}
	procs := []*proc{
		{name: "fetcher", args: []string{"--api-url", srv.URL, "--policy-api-token", "t", "--rps", "50", "--page-size", "100"}},
		{name: "extractor", args: []string{"--workers", "4", "--allowed-hosts", host, "--retry-base", retryBase}},
		{name: "extractor", args: []string{"--workers", "4", "--allowed-hosts", host, "--retry-base", retryBase}},
		{name: "reconciler", args: []string{"--workers", "2"}},
	}
	var mu sync.Mutex
	start := func(p *proc) {
		p.cmd = exec.Command(filepath.Join(bins, p.name), p.args...)
		p.cmd.Env = env()
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range procs {
		start(p)
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range procs {
			p.cmd.Process.Signal(syscall.SIGTERM)
			p.cmd.Wait()
		}
	}()

	kills, began := 0, time.Now()
	natsRestarted, s3Down := false, false
	for time.Since(began) < chaosFor {
		time.Sleep(time.Duration(1500+rand.IntN(1500)) * time.Millisecond)
		p := procs[rand.IntN(len(procs))]
		mu.Lock()
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
		kills++
		time.Sleep(300 * time.Millisecond)
		start(p)
		mu.Unlock()
		switch {
		case !natsRestarted && time.Since(began) > chaosFor/4:
			n.Stop()
			time.Sleep(time.Second)
			if n, err = devstack.StartNATS(devstack.NATSConfig{Dir: natsDir, Port: port}); err != nil {
				t.Fatal(err)
			}
			natsRestarted = true
		case !s3Down && time.Since(began) > chaosFor/2:
			addr, key, secret := testS3.Endpoint, testS3.AccessKey, testS3.SecretKey
			testS3.Stop()
			time.Sleep(outage)
			if testS3, err = devstack.StartS3(ctx, devstack.S3Config{Dir: testS3Dir, Addr: addr, AccessKey: key, SecretKey: secret}); err != nil {
				t.Fatal(err)
			}
			s3Down = true
		}
	}

	// let the (re)started processes finish the work
	deadline := time.Now().Add(4 * time.Minute)
	var tally map[string]int
	for {
		tally = countObjects(t, s, expected)
		dead := deadCount(ctx, n.URL)
		if tally["missing"] == 0 && dead == poison {
			tally["dead"] = dead
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not finished: %v, dead %d of %d", tally, dead, poison)
		}
		time.Sleep(time.Second)
	}
	t.Logf("chaos tally: %d attachments (%d poisoned), %d kills, NATS restarted %v, S3 down %v for %v: %v",
		attachments, poison, kills, natsRestarted, s3Down, outage, tally)
	if tally["extra"] != 0 || tally["reports"] != attachments-poison || tally["texts"] != attachments-poison {
		t.Errorf("tally %v", tally)
	}
}

func deadCount(ctx context.Context, url string) int {
	nc, js, err := queue.Connect(url, "chaos-count")
	if err != nil {
		return -1
	}
	defer nc.Close()
	s, err := js.Stream(ctx, queue.DeadStream)
	if err != nil {
		return -1
	}
	info, err := s.Info(ctx)
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}

// countObjects checks the bucket against the expected policies: every
// normal policy has exactly its five objects (record, web text, report;
// original, and text with its extraction record), a poisoned one its four
// (record, web text, report, and the empty text with the failed record of
// its dead-lettered job).
func countObjects(t *testing.T, s *stack, expected map[string]string) map[string]int {
	t.Helper()
	byPolicy := map[string][]string{}
	keys := s.rawKeys(t, "policies/")
	for _, k := range keys {
		id, rest, _ := strings.Cut(strings.TrimPrefix(k, "policies/"), "/")
		byPolicy[id] = append(byPolicy[id], rest)
	}
	tally := map[string]int{"objects": len(keys)}
	want := 0
	for id, kind := range expected {
		have := map[string]bool{}
		files, texts := 0, 0
		for _, n := range byPolicy[id] {
			have[n] = true
			if strings.HasPrefix(n, "files/") {
				files++
				if strings.HasSuffix(n, ".txt") && kind == "ok" { // a failure's .txt is empty: its record alone
					texts++
				}
			}
		}
		for _, n := range []string{"policy.json", "web.txt", "reconcile.json"} {
			if !have[n] {
				tally["missing"]++
			}
		}
		wantFiles := 2 // the original, the text with its record
		if kind != "ok" {
			wantFiles = 1
		}
		want += 3 + wantFiles
		tally["missing"] += max(wantFiles-files, 0)
		tally["texts"] += texts
		if have["reconcile.json"] && kind == "ok" {
			tally["reports"]++
		}
	}
	tally["extra"] = len(keys) - want + tally["missing"]
	return tally
}
