package safehttp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The memory bound is measured in a child process (this test binary run
// again with -test.run=TestMemoryChild), so that nothing else of the test
// run is counted. The parent serves the hostile bodies.
const (
	memoryChildEnv  = "SAFEHTTP_MEMORY_CHILD_BASE"
	memoryDownloads = 16
	memoryBoundMB   = 150
)

func TestMemoryBoundUnderHostileBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: moves 1 GiB through loopback")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("SKIPPED: no /proc/self/status to read the peak RSS from: %v", err)
	}
	host := hostileHost(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), memoryChildEnv+"="+host.URL, "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var hwm int64 = -1
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "VmHWM:"); ok {
			hwm, _ = strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	if hwm <= 0 {
		t.Fatalf("no VmHWM in the child's output:\n%s", out)
	}
	t.Logf("%d concurrent endless or oversize bodies (64 MiB limit): peak RSS %.1f MB", memoryDownloads, float64(hwm)/1024)
	if raceEnabled {
		t.Logf("SKIPPED the %d MB bound: the race detector multiplies memory", memoryBoundMB)
		return
	}
	if hwm > memoryBoundMB*1024 {
		t.Errorf("peak RSS %d kB, bound %d MB", hwm, memoryBoundMB)
	}
}

// TestMemoryChild runs only as the child of the test above.
func TestMemoryChild(t *testing.T) {
	base := os.Getenv(memoryChildEnv)
	if base == "" {
		t.Skip("the child of TestMemoryBoundUnderHostileBodies")
	}
	host := strings.TrimPrefix(base, "http://")
	d, err := NewDownloader(Config{Allow: MustParseAllowList(host)}) // production limits: 64 MiB, 1 MiB in memory
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, memoryDownloads)
	for i := range memoryDownloads {
		// endless bodies, and honest ones over the limit without a length
		path := []string{"/endless", "/huge-length"}[i%2]
		if i%4 == 3 {
			path = "/redirect?to=/endless"
		}
		wg.Go(func() {
			dl, err := d.Get(context.Background(), base+path)
			if err == nil {
				dl.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if k := kindOf(err); k != KindTooLarge {
			t.Errorf("download %d: %v", i, err)
		}
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(line)
		}
	}
}

func kindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}
