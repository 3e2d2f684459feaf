package composetest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// What the compose file names, and where each is built from.
const (
	composeModule  = "github.com/docker/compose/v2"
	composeVersion = "v2.40.3" // builds with Go 1.26
	natsModule     = "github.com/nats-io/nats-server/v2"
	natsVersion    = "v2.15.2" // nats:2.15.2-alpine
	natsImage      = "nats:2.15.2-alpine"
	weedModule     = "github.com/seaweedfs/seaweedfs"
	weedVersion    = "v0.0.0-20261109003541-7506e5f91cd6" // the commit whose weed reports 4.53
	weedReports    = "4.53"
	weedImage      = "chrislusf/seaweedfs:4.53"
	appImage       = "policytext:latest"
	debianSuite    = "bookworm"
	// busybox-static gives the stand-ins a shell and wget (healthchecks);
	// ca-certificates the runtime image its CA bundle.
	debianInclude = "ca-certificates,busybox-static"
)

// builder builds into the cache and runs commands with the test's Docker
// configuration (its own CLI plugin directory).
type builder struct {
	t         *testing.T
	cache     string // ~/.cache/policytext-ci
	dockerCfg string // DOCKER_CONFIG with cli-plugins/docker-compose
	root      string // the repository
	timings   []string
	// deadline ends the preparation: .ci/run gives the test a budget
	// (POLICYTEXT_DOCKER_BUDGET); a cold cache may need more, and then
	// the test skips, loudly, keeping what it built for the next run.
	deadline time.Time
}

// started is when the test binary started: the budget counts from here,
// so that the stack tests of one run share it (a second test skips its
// run when the first one's preparation used the budget up).
var started = time.Now()

func newBuilder(t *testing.T, root string) *builder {
	cache := os.Getenv("POLICYTEXT_CI_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(home, ".cache", "policytext-ci")
	}
	for _, d := range []string{cache, filepath.Join(cache, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := &builder{t: t, cache: cache, dockerCfg: t.TempDir(), root: root}
	if v := os.Getenv("POLICYTEXT_DOCKER_BUDGET"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("POLICYTEXT_DOCKER_BUDGET=%q: %v", v, err)
		}
		b.deadline = started.Add(d)
	}
	return b
}

// step times one part of the preparation, for the log.
func (b *builder) step(name string, fn func()) {
	start := time.Now()
	fn()
	line := fmt.Sprintf("%-28s %6.1fs", name, time.Since(start).Seconds())
	b.timings = append(b.timings, line)
	b.t.Log("prepared: " + line)
}

// env is the environment of every command: the test's Docker
// configuration and the classic builder (no buildx plugin here; the
// Dockerfiles need nothing more).
func (b *builder) env(extra ...string) []string {
	return append(os.Environ(), append([]string{"DOCKER_CONFIG=" + b.dockerCfg, "DOCKER_BUILDKIT=0"}, extra...)...)
}

// run runs a command, bounded by timeout, and fails the test with its
// output if it fails.
func (b *builder) run(timeout time.Duration, dir string, env []string, name string, args ...string) []byte {
	b.t.Helper()
	out, err := b.try(timeout, dir, env, name, args...)
	if err != nil && !b.deadline.IsZero() && time.Now().After(b.deadline) {
		b.t.Skipf("SKIPPED: the time budget (POLICYTEXT_DOCKER_BUDGET) ran out while preparing (%s %s); "+
			"what was built stays in %s and the next run goes on from there", name, strings.Join(args, " "), b.cache)
	}
	if err != nil {
		b.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(out, 4000))
	}
	return out
}

func (b *builder) try(timeout time.Duration, dir string, env []string, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if !b.deadline.IsZero() {
		var cancelBudget context.CancelFunc
		ctx, cancelBudget = context.WithDeadline(ctx, b.deadline)
		defer cancelBudget()
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	if env == nil {
		cmd.Env = b.env()
	}
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (after %v)", ctx.Err(), timeout)
	}
	return out, err
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return append([]byte("…"), b[len(b)-n:]...)
	}
	return b
}

// cached runs build to produce path unless path exists; build writes to
// the temporary path it is given, renamed into place once it succeeded.
func (b *builder) cached(path string, build func(tmp string)) {
	if _, err := os.Stat(path); err == nil {
		return
	}
	tmp := path + ".tmp"
	os.RemoveAll(tmp)
	build(tmp)
	if err := os.Rename(tmp, path); err != nil {
		b.t.Fatal(err)
	}
}

// moduleDir downloads a module into the module cache and returns its
// directory (modules with replace directives cannot be go installed).
func (b *builder) moduleDir(module, version string) string {
	out := b.run(10*time.Minute, b.root, nil, "go", "mod", "download", "-json", module+"@"+version)
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		b.t.Fatalf("go mod download %s@%s: %v %s", module, version, err, out)
	}
	return m.Dir
}

// goBuild builds a static binary of pkg inside a module's directory.
func (b *builder) goBuild(modDir, pkg, out string, ldflags string) {
	b.run(30*time.Minute, modDir, b.env("CGO_ENABLED=0", "GOFLAGS=-mod=readonly", "GOWORK=off"),
		"go", "build", "-trimpath", "-ldflags=-s -w "+ldflags, "-o", out, pkg)
}

// compose builds Compose v2 and installs it as the docker CLI plugin of
// this test's DOCKER_CONFIG.
func (b *builder) compose() {
	bin := filepath.Join(b.cache, "bin", "docker-compose-"+composeVersion)
	b.cached(bin, func(tmp string) {
		b.goBuild(b.moduleDir(composeModule, composeVersion), "./cmd", tmp,
			"-X "+composeModule+"/internal.Version="+composeVersion)
	})
	plugins := filepath.Join(b.dockerCfg, "cli-plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := copyFile(bin, filepath.Join(plugins, "docker-compose"), 0o755); err != nil {
		b.t.Fatal(err)
	}
	out := b.run(time.Minute, b.root, nil, "docker", "compose", "version")
	if !bytes.Contains(out, []byte(composeVersion)) {
		b.t.Fatalf("docker compose version: %s (want %s: is the plugin found?)", out, composeVersion)
	}
}

func (b *builder) natsServer() string {
	bin := filepath.Join(b.cache, "bin", "nats-server-"+natsVersion)
	b.cached(bin, func(tmp string) {
		b.goBuild(b.moduleDir(natsModule, natsVersion), ".", tmp, "")
	})
	return bin
}

func (b *builder) weed() string {
	bin := filepath.Join(b.cache, "bin", "weed-"+weedVersion)
	b.cached(bin, func(tmp string) {
		b.goBuild(b.moduleDir(weedModule, weedVersion), "./weed", tmp, "")
	})
	if out := b.run(time.Minute, b.root, nil, bin, "version"); !bytes.Contains(out, []byte(" "+weedReports)) {
		b.t.Fatalf("weed version: %s, want %s", out, weedReports)
	}
	return bin
}

// debianMirror is the Debian mirror apt uses here.
func debianMirror() string {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	files = append([]string{"/etc/apt/sources.list"}, files...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			for _, field := range strings.Fields(sc.Text()) {
				if (strings.HasPrefix(field, "http://") || strings.HasPrefix(field, "https://")) &&
					strings.HasSuffix(strings.TrimSuffix(field, "/"), "/debian") {
					return field
				}
			}
		}
	}
	return "http://deb.debian.org/debian"
}

// debian makes (once) a minbase Debian root file system with debootstrap,
// as a tarball.
func (b *builder) debian() string {
	mirror := debianMirror()
	h := sha256.Sum256([]byte(debianSuite + " " + mirror + " " + debianInclude + " " + runtime.GOARCH))
	tarball := filepath.Join(b.cache, "debian-"+debianSuite+"-"+hex.EncodeToString(h[:6])+".tar")
	b.cached(tarball, func(tmp string) {
		if os.Geteuid() != 0 {
			b.t.Fatal("debootstrap needs root (run as root, or put the tarball in " + tarball + ")")
		}
		if _, err := exec.LookPath("debootstrap"); err != nil {
			b.t.Fatal("debootstrap is not installed: apt-get install debootstrap (.ci/run does)")
		}
		rootfs := tmp + ".rootfs"
		os.RemoveAll(rootfs)
		defer os.RemoveAll(rootfs)
		b.run(30*time.Minute, b.cache, nil, "debootstrap", "--variant=minbase", "--include="+debianInclude,
			debianSuite, rootfs, mirror)
		b.run(10*time.Minute, b.cache, nil, "tar", "--numeric-owner", "-C", rootfs, "-cf", tmp, ".")
	})
	return tarball
}

// image builds a Docker image from a context directory unless an image
// with the hash of its inputs exists; it is then tagged with every name.
func (b *builder) image(repo string, inputs []byte, ctxDir func() string, args []string, names ...string) string {
	h := sha256.Sum256(inputs)
	id := repo + ":" + hex.EncodeToString(h[:8])
	if _, err := b.try(time.Minute, b.root, nil, "docker", "image", "inspect", "--format", "{{.Id}}", id); err != nil {
		dir := ctxDir()
		cmd := append([]string{"build", "-t", id}, args...)
		b.run(45*time.Minute, dir, nil, "docker", append(cmd, dir)...)
	}
	for _, n := range names {
		b.run(time.Minute, b.root, nil, "docker", "tag", id, n)
	}
	return id
}

// tarEntry is one file, directory or link of a generated layer.
type tarEntry struct {
	name     string
	mode     int64
	dir      bool
	link     string // a symbolic link to this
	data     []byte
	uid, gid int
}

// writeTar writes entries as a tarball with fixed times, so that the same
// entries give the same bytes (and the same image hash).
func writeTar(path string, entries []tarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, ModTime: time.Unix(0, 0), Uid: e.uid, Gid: e.gid, Format: tar.FormatPAX}
		switch {
		case e.dir:
			hdr.Typeflag, hdr.Name = tar.TypeDir, strings.TrimSuffix(e.name, "/")+"/"
		case e.link != "":
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.link
		default:
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			panic(err)
		}
		tw.Write(e.data)
	}
	tw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// fromTar reads files out of a tarball (following the symbolic links of
// a merged /usr: ./bin → usr/bin).
func fromTar(tarball string, names ...string) (map[string][]byte, error) {
	f, err := os.Open(tarball)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		if want[name] && hdr.Typeflag == tar.TypeReg {
			if out[name], err = io.ReadAll(tr); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range names {
		if out[n] == nil {
			return nil, fmt.Errorf("%s: no file %s", tarball, n)
		}
	}
	return out, nil
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func hashFile(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return h.Sum(nil)
}

// busyboxEntries puts busybox at /bin with the applets the images use.
func busyboxEntries(busybox []byte) []tarEntry {
	e := []tarEntry{{name: "bin", dir: true, mode: 0o755}, {name: "bin/busybox", mode: 0o755, data: busybox},
		{name: "tmp", dir: true, mode: 0o1777}}
	for _, applet := range []string{"sh", "wget", "ls", "cat", "ps", "env", "nc"} {
		e = append(e, tarEntry{name: "bin/" + applet, link: "busybox"})
	}
	return e
}

// images builds every image docker-compose.yml names.
func (b *builder) images() {
	var debian string
	b.step("debootstrap "+debianSuite, func() { debian = b.debian() })
	files, err := fromTar(debian, "usr/bin/busybox", "etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		b.t.Fatal(err)
	}
	busybox, certs := files["usr/bin/busybox"], files["etc/ssl/certs/ca-certificates.crt"]

	// The build stage: Debian plus this machine's Go toolchain.
	goroot := strings.TrimSpace(string(b.run(time.Minute, b.root, nil, "go", "env", "GOROOT")))
	goVersion := b.run(time.Minute, b.root, nil, "go", "version")
	// The host's CA bundle: the module proxy is reached as the host
	// reaches it (through whatever TLS inspection the host trusts).
	hostCerts, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		b.t.Fatalf("the host's CA bundle (for go mod download in the build stage): %v", err)
	}
	goDockerfile := `FROM scratch
ADD rootfs.tar /
ADD go.tar /usr/local/go/
COPY host-ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GOPATH=/go GOTOOLCHAIN=local
`
	var goImage, runtimeImage string
	b.step("image go build stage", func() {
		goImage = b.image("policytext-ci/go-build", append(append(append(hashFile(debian), goVersion...), hashBytes(hostCerts)...), goDockerfile...), func() string {
			dir := b.t.TempDir()
			if err := os.Link(debian, filepath.Join(dir, "rootfs.tar")); err != nil {
				if err := copyFile(debian, filepath.Join(dir, "rootfs.tar"), 0o644); err != nil {
					b.t.Fatal(err)
				}
			}
			b.run(10*time.Minute, dir, nil, "tar", "-C", goroot, "-cf", filepath.Join(dir, "go.tar"), ".")
			os.WriteFile(filepath.Join(dir, "host-ca-certificates.crt"), hostCerts, 0o644)
			os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(goDockerfile), 0o644)
			return dir
		}, nil)
	})

	// The runtime: scratch with CA certificates, a nonroot user and /tmp
	// (what distroless/static:nonroot gives).
	b.step("image runtime", func() {
		dir := b.t.TempDir()
		layer := writeTar(filepath.Join(dir, "layer.tar"), []tarEntry{
			{name: "etc", dir: true, mode: 0o755},
			{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
			{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnonroot:x:65532:\n")},
			{name: "etc/ssl", dir: true, mode: 0o755}, {name: "etc/ssl/certs", dir: true, mode: 0o755},
			{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: certs},
			{name: "home", dir: true, mode: 0o755}, {name: "home/nonroot", dir: true, mode: 0o700, uid: 65532, gid: 65532},
			{name: "tmp", dir: true, mode: 0o1777},
		})
		df := "FROM scratch\nADD layer.tar /\nUSER nonroot:nonroot\n"
		os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644)
		runtimeImage = b.image("policytext-ci/runtime", append(hashBytes(layer), df...), func() string { return dir }, nil)
	})

	// The project's image, from deploy/Dockerfile with the stand-ins as
	// its bases; its hash covers every file of the build context.
	goproxy := strings.TrimSpace(string(b.run(time.Minute, b.root, nil, "go", "env", "GOPROXY")))
	b.step("image "+appImage, func() {
		inputs := append(b.sourceHash(), goImage+runtimeImage...)
		b.image("policytext-ci/app", inputs, func() string { return b.root },
			[]string{"-f", filepath.Join(b.root, "deploy/Dockerfile"), "--network", "host",
				"--build-arg", "GO_IMAGE=" + goImage, "--build-arg", "RUNTIME_IMAGE=" + runtimeImage,
				"--build-arg", "GOPROXY=" + goproxy}, appImage)
	})

	// A stand-in whose layer is one generated tarball plus a binary.
	standIn := func(name, binPath, binAt string, dockerfile string) {
		bin, err := os.ReadFile(binPath)
		if err != nil {
			b.t.Fatal(err)
		}
		var layer []byte
		dir := b.t.TempDir()
		layer = writeTar(filepath.Join(dir, "layer.tar"), append(busyboxEntries(busybox),
			tarEntry{name: filepath.Dir(binAt), dir: true, mode: 0o755}, tarEntry{name: binAt, mode: 0o755, data: bin}))
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
			b.t.Fatal(err)
		}
		inputs := append(hashBytes(layer), dockerfile...)
		b.step("image "+name, func() {
			b.image("policytext-ci/"+strings.NewReplacer(":", "-", "/", "-").Replace(name), inputs, func() string { return dir }, nil, name)
		})
	}
	var natsBin, weedBin string
	b.step("nats-server "+natsVersion, func() { natsBin = b.natsServer() })
	b.step("weed "+weedReports, func() { weedBin = b.weed() })
	// nats: the upstream image's entrypoint runs nats-server with the
	// arguments when they start with "-".
	standIn(natsImage, natsBin, "usr/local/bin/nats-server", `FROM scratch
ADD layer.tar /
EXPOSE 4222 6222 8222
ENTRYPOINT ["/usr/local/bin/nats-server"]
CMD ["-js", "-sd", "/data", "-m", "8222"]
`)
	// seaweedfs: the upstream entrypoint runs weed -logtostderr=true with
	// the subcommand and its arguments.
	standIn(weedImage, weedBin, "usr/bin/weed", `FROM scratch
ADD layer.tar /
WORKDIR /data
VOLUME /data
EXPOSE 8333 8888 9333 12535
ENTRYPOINT ["/usr/bin/weed", "-logtostderr=true"]
CMD ["mini", "-dir=/data"]
`)

}

func hashBytes(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// sourceHash hashes the repository's files (tracked and untracked, not
// ignored) by name and content.
func (b *builder) sourceHash() []byte {
	out := b.run(time.Minute, b.root, nil, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	h := sha256.New()
	for _, name := range strings.Split(string(out), "\x00") {
		data, err := os.ReadFile(filepath.Join(b.root, name))
		if name == "" || err != nil {
			continue // deleted in the work tree
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
	}
	return h.Sum(nil)
}
