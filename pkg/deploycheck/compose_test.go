package deploycheck

import (
	"bufio"
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

func loadCompose(t *testing.T) *types.Project {
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
	abs, _ := filepath.Abs(root)
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  abs,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(abs, "docker-compose.yml")}},
		Environment: env,
	}, func(o *loader.Options) {
		o.SetProjectName("policytext", true)
		o.Profiles = []string{"demo"}
	})
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
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
	if nats.Image != "nats:2.15.2-alpine" || !slices.Contains(nats.Command, "-js") || len(nats.Volumes) == 0 || nats.HealthCheck == nil {
		t.Errorf("nats: image %q command %v volumes %v", nats.Image, nats.Command, nats.Volumes)
	}
	s3 := byName["s3"]
	if !strings.HasPrefix(s3.Image, "chrislusf/seaweedfs:") || !slices.Contains(s3.Command, "mini") ||
		!slices.Contains(s3.Command, "-master.telemetry=false") || len(s3.Volumes) == 0 || s3.HealthCheck == nil {
		t.Errorf("s3: %q %v", s3.Image, s3.Command)
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
