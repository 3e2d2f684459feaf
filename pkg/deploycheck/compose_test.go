package deploycheck

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/policytext/policytext/pkg/config"
)

const root = "../.."

// secrets are the variables compose requires (no defaults).
var secrets = []string{"S3_SECRET_KEY", "S3_ADMIN_PASSWORD", "NATS_FETCHER_PASSWORD",
	"NATS_EXTRACTOR_PASSWORD", "NATS_RECONCILER_PASSWORD", "NATS_POLICYCTL_PASSWORD"}

// clusterSecrets are the cluster override's own.
var clusterSecrets = []string{"NATS_ROUTE_PASSWORD"}

// loadCompose loads docker-compose.yml (and the override files given)
// with .env.example's values and every secret filled in.
func loadCompose(t *testing.T, overrides ...string) *types.Project {
	t.Helper()
	env := envExample(t)
	for _, k := range append(slices.Clone(secrets), clusterSecrets...) {
		env[k] = "secret-of-" + k
	}
	p, err := load(env, overrides...)
	if err != nil {
		t.Fatalf("docker-compose.yml %v does not load: %v", overrides, err)
	}
	return p
}

// envExample reads .env.example.
func envExample(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{}
	f, err := os.Open(filepath.Join(root, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[k] = v
		}
	}
	return env
}

// load loads docker-compose.yml and the override files given (paths from
// the repository root), as `docker compose -f docker-compose.yml -f …
// --profile demo` does.
func load(env map[string]string, overrides ...string) (*types.Project, error) {
	abs, _ := filepath.Abs(root)
	files := []types.ConfigFile{{Filename: filepath.Join(abs, "docker-compose.yml")}}
	for _, o := range overrides {
		files = append(files, types.ConfigFile{Filename: filepath.Join(abs, o)})
	}
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  abs,
		ConfigFiles: files,
		Environment: env,
	}, func(o *loader.Options) {
		o.SetProjectName("policytext", true)
		o.Profiles = []string{"demo"}
	})
}

// TestComposeRequiresSecrets: with .env.example as it is (secrets empty)
// compose refuses to start, naming each missing secret; .env.example
// lists every one of them, empty.
func TestComposeRequiresSecrets(t *testing.T) {
	example := envExample(t)
	for _, k := range append(slices.Clone(secrets), clusterSecrets...) {
		if v, ok := example[k]; !ok || v != "" {
			t.Errorf(".env.example: %s must be listed, empty (got %q, listed %v)", k, v, ok)
		}
		if slices.Contains(clusterSecrets, k) {
			continue // TestComposeCluster's
		}
		env := envExample(t)
		for _, o := range secrets {
			env[o] = "x"
		}
		env[k] = ""
		if _, err := load(env); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("compose with %s empty: err %v, want one naming it", k, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("change-me")) {
		t.Error("docker-compose.yml still has a default secret")
	}
}

// TestNATSUsers: every service that logs in to NATS has a user in
// deploy/nats.conf whose password is the variable compose gives NATS.
func TestNATSUsers(t *testing.T) {
	p := loadCompose(t)
	users := natsUsers(t)
	checkNATSNode(t, p.Services["nats"], users, "nats.conf")
	checkClients(t, p, users)
	if _, ok := users["policyctl"]; !ok {
		t.Error("no NATS user for policyctl")
	}
}

// natsUsers reads deploy/nats.conf's users: user → password variable.
func natsUsers(t *testing.T) map[string]string {
	t.Helper()
	conf, err := os.ReadFile(filepath.Join(root, "deploy/nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]string{}
	for _, m := range regexp.MustCompile(`user: (\w+), password: \$(\w+)`).FindAllSubmatch(conf, -1) {
		users[string(m[1])] = string(m[2])
	}
	return users
}

// checkNATSNode: a NATS service runs on deploy/<conf> (mounted with every
// file it includes) and gets every user's password.
func checkNATSNode(t *testing.T, nats types.ServiceConfig, users map[string]string, conf string, includes ...string) {
	t.Helper()
	if !slices.Contains(nats.Command, "/etc/nats/"+conf) {
		t.Errorf("%s: command %v does not read the mounted /etc/nats/%s", nats.Name, nats.Command, conf)
	}
	for _, f := range append([]string{conf}, includes...) {
		mounted := false
		for _, v := range nats.Volumes {
			mounted = mounted || (v.Source == filepath.Join(absRoot(t), "deploy", f) && v.Target == "/etc/nats/"+f)
		}
		if !mounted {
			t.Errorf("%s: deploy/%s not mounted at /etc/nats/%s: %v", nats.Name, f, f, nats.Volumes)
		}
	}
	for user, pwVar := range users {
		if v := nats.Environment[pwVar]; v == nil || *v != "secret-of-"+pwVar {
			t.Errorf("%s: user %s's password %s not passed to the container", nats.Name, user, pwVar)
		}
	}
}

// checkClients: every service that connects to NATS logs in as a user of
// deploy/nats.conf with that user's password.
func checkClients(t *testing.T, p *types.Project, users map[string]string) {
	t.Helper()
	for name, s := range p.Services {
		u := s.Environment["NATS_USER"]
		if u == nil {
			if s.Environment["NATS_URL"] != nil && name != "web" {
				t.Errorf("%s: connects to NATS without a user", name)
			}
			continue
		}
		pwVar, ok := users[*u]
		if !ok {
			t.Errorf("%s: NATS user %s not in deploy/nats.conf", name, *u)
			continue
		}
		if pw := s.Environment["NATS_PASSWORD"]; pw == nil || *pw != "secret-of-"+pwVar {
			t.Errorf("%s: NATS_PASSWORD is not %s", name, pwVar)
		}
	}
}

func absRoot(t *testing.T) string {
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestDockerignore: the build context carries neither data nor secrets.
func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for _, want := range []string{"data/", ".env", ".git"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}

// binariesInImage reads the services the Dockerfile builds.
func binariesInImage(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "deploy/Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`\./services/([a-z]+)`).FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out
}

// envOf builds a service and lists the environment variables its flags read.
func envOf(t *testing.T, service string) []string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), service)
	build := exec.Command("go", "build", "-o", bin, "./services/"+service)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", service, err, out)
	}
	out, _ := exec.Command(bin, "-h").CombinedOutput()
	var env []string
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z0-9-]+)`).FindAllStringSubmatch(string(out), -1) {
		env = append(env, config.EnvName(m[1]))
	}
	if len(env) == 0 {
		t.Fatalf("%s -h lists no flags:\n%s", service, out)
	}
	return env
}

func TestCompose(t *testing.T) {
	p := loadCompose(t)
	byName := map[string]types.ServiceConfig{}
	for name, s := range p.Services {
		byName[name] = s
	}
	for _, want := range []string{"nats", "s3", "fetcher", "extractor", "reconciler", "web", "sampleportal", "fetcher-demo"} {
		if _, ok := byName[want]; !ok {
			t.Errorf("service %s missing", want)
		}
	}
	nats := byName["nats"]
	if nats.Image != "nats:2.15.2-alpine" || len(nats.Volumes) == 0 || nats.HealthCheck == nil {
		t.Errorf("nats: image %q command %v volumes %v", nats.Image, nats.Command, nats.Volumes)
	}
	s3 := byName["s3"]
	if !strings.HasPrefix(s3.Image, "chrislusf/seaweedfs:") || !slices.Contains(s3.Command, "mini") ||
		!slices.Contains(s3.Command, "-master.telemetry=false") || len(s3.Volumes) == 0 || s3.HealthCheck == nil {
		t.Errorf("s3: %q %v", s3.Image, s3.Command)
	}
	if s3.HealthCheck == nil || !strings.Contains(strings.Join(s3.HealthCheck.Test, " "), ":8333/") {
		t.Errorf("s3: the healthcheck must ask the S3 port (8333), not the master: %v", s3.HealthCheck)
	}
	for _, a := range s3.Command {
		if strings.Contains(a, "password") {
			t.Errorf("s3: a password on the command line (docker inspect shows it): %s", a)
		}
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_BUCKET"} {
		if v := s3.Environment[k]; v == nil || *v == "" {
			t.Errorf("s3: %s not set", k)
		}
	}
	if e := byName["extractor"]; e.Deploy == nil || e.Deploy.Replicas == nil || *e.Deploy.Replicas != 3 {
		t.Errorf("extractor should run 3 replicas")
	}
	if !slices.Contains(byName["sampleportal"].Profiles, "demo") || !slices.Contains(byName["fetcher-demo"].Profiles, "demo") {
		t.Error("the sample portal and its fetcher belong to the demo profile")
	}

	bins := binariesInImage(t)
	envCache := map[string][]string{}
	for name, s := range byName {
		if s.Image != "policytext:latest" {
			continue
		}
		if s.Build == nil || s.Build.Dockerfile != "deploy/Dockerfile" {
			t.Errorf("%s: must build from deploy/Dockerfile", name)
		}
		if len(s.Command) == 0 || !strings.HasPrefix(s.Command[0], "/usr/local/bin/") {
			t.Fatalf("%s: command %v", name, s.Command)
		}
		bin := strings.TrimPrefix(s.Command[0], "/usr/local/bin/")
		if !slices.Contains(bins, bin) {
			t.Errorf("%s: command %s is not built into the image (%v)", name, bin, bins)
		}
		if s.HealthCheck == nil || len(s.HealthCheck.Test) < 3 || !slices.Contains(bins, strings.TrimPrefix(s.HealthCheck.Test[1], "/usr/local/bin/")) {
			t.Errorf("%s: healthcheck %v must run a binary of the image", name, s.HealthCheck)
		}
		if name != "sampleportal" {
			for _, dep := range []string{"nats", "s3"} {
				if d, ok := s.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
					t.Errorf("%s: must depend on %s being healthy", name, dep)
				}
			}
		}
		if envCache[bin] == nil {
			envCache[bin] = envOf(t, bin)
		}
		for k := range s.Environment {
			if !slices.Contains(envCache[bin], k) {
				t.Errorf("%s: sets %s, which %s does not read (it reads %v)", name, k, bin, envCache[bin])
			}
		}
	}
	for _, v := range []string{"nats-data", "s3-data"} {
		if _, ok := p.Volumes[v]; !ok {
			t.Errorf("volume %s missing", v)
		}
	}
}
