package k8s

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/conf"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// The NATS Helm release the manifests assume (nats-values.yaml's header).
const (
	natsRelease   = "nats"
	natsNamespace = "nats"
)

// natsValues are the parts of the NATS chart's values (1.x layout) that
// nats-values.yaml sets, written from the chart's templates; strict
// decoding rejects anything else, so a misspelt key cannot be silently
// ignored by helm. Nested Kubernetes types are the k8s.io/api ones.
type natsValues struct {
	Config struct {
		Cluster struct {
			Enabled  bool `json:"enabled"`
			Replicas int  `json:"replicas"`
		} `json:"cluster"`
		JetStream struct {
			Enabled   bool `json:"enabled"`
			FileStore struct {
				Enabled bool   `json:"enabled"`
				Dir     string `json:"dir"`
				PVC     struct {
					Enabled          bool              `json:"enabled"`
					Size             resource.Quantity `json:"size"`
					StorageClassName *string           `json:"storageClassName,omitempty"`
				} `json:"pvc"`
			} `json:"fileStore"`
			MemoryStore struct {
				Enabled bool               `json:"enabled"`
				MaxSize *resource.Quantity `json:"maxSize,omitempty"`
			} `json:"memoryStore"`
		} `json:"jetstream"`
		Monitor struct {
			Enabled bool `json:"enabled"`
			Port    int  `json:"port"`
		} `json:"monitor"`
		Merge struct {
			Authorization struct {
				Users []natsUser `json:"users"`
			} `json:"authorization"`
		} `json:"merge"`
	} `json:"config"`
	Container struct {
		Image struct {
			Repository string `json:"repository"`
			Tag        string `json:"tag"`
		} `json:"image"`
		Env   map[string]natsEnv `json:"env"`
		Merge corev1.Container   `json:"merge"`
	} `json:"container"`
	PodTemplate struct {
		TopologySpreadConstraints map[string]corev1.TopologySpreadConstraint `json:"topologySpreadConstraints"`
		Merge                     struct {
			Spec corev1.PodSpec `json:"spec"`
		} `json:"merge"`
	} `json:"podTemplate"`
	PodDisruptionBudget struct {
		Enabled bool `json:"enabled"`
	} `json:"podDisruptionBudget"`
	NatsBox struct {
		Enabled bool `json:"enabled"`
	} `json:"natsBox"`
}

type natsUser struct {
	User        string `json:"user"`
	Password    string `json:"password"`
	Permissions struct {
		Publish struct {
			Allow []string `json:"allow"`
		} `json:"publish"`
		Subscribe struct {
			Allow []string `json:"allow"`
		} `json:"subscribe"`
	} `json:"permissions"`
}

// natsEnv is a value of the chart's container.env map: a string or
// {valueFrom: ...}; only the latter is used (passwords from a Secret).
type natsEnv struct {
	ValueFrom *corev1.EnvVarSource `json:"valueFrom"`
}

func mustNATSValues(t *testing.T) natsValues {
	t.Helper()
	b, err := os.ReadFile("nats-values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v natsValues
	if err := yaml.UnmarshalStrict(b, &v); err != nil {
		t.Fatalf("nats-values.yaml: %v", err)
	}
	return v
}

// queueConstants reads pkg/queue's string constants (stream, consumer and
// subject names) from its source: this module does not import the main one.
func queueConstants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(repoRoot, "pkg/queue/queue.go"), nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						out[name.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	for _, want := range []string{"JobsStream", "ExtractorDur", "JobSubject", "DeadSubject", "ExtractedSubj", "PolicySubj", "RequestSubject"} {
		if out[want] == "" {
			t.Fatalf("pkg/queue/queue.go defines no string constant %s", want)
		}
	}
	return out
}

// envName is pkg/config's rule: --nats-url ⇔ NATS_URL.
func envName(flag string) string { return strings.ToUpper(strings.ReplaceAll(flag, "-", "_")) }

// runtimeEnv are variables the Go runtime reads, not a flag.
var runtimeEnv = []string{"GOMEMLIMIT"}

// serviceEnv builds the binaries and lists the environment variables each
// reads: one per flag of its -h.
func serviceEnv(t *testing.T, bins []string) map[string][]string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, b := range bins {
		args = append(args, "./services/"+b)
	}
	build := exec.Command("go", args...)
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	flagLine := regexp.MustCompile(`(?m)^\s+-([a-z0-9-]+)`)
	env := map[string][]string{}
	for _, b := range bins {
		out, _ := exec.Command(filepath.Join(dir, b), "-h").CombinedOutput()
		for _, m := range flagLine.FindAllStringSubmatch(string(out), -1) {
			env[b] = append(env[b], envName(m[1]))
		}
		if len(env[b]) == 0 {
			t.Fatalf("%s -h lists no flags:\n%s", b, out)
		}
	}
	return env
}

// imageBinaries are the services deploy/Dockerfile builds into the image.
func imageBinaries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "deploy/Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`\./services/([a-z]+)`).FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatal("deploy/Dockerfile builds no ./services/...")
	}
	return out
}

// composeImages are the images docker-compose.yml names: the project's
// (built from deploy/Dockerfile) and NATS's.
func composeImages(t *testing.T) (project, nats string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image string `json:"image"`
			Build *struct {
				Dockerfile string `json:"dockerfile"`
			} `json:"build"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, s := range c.Services {
		if s.Build != nil && s.Build.Dockerfile == "deploy/Dockerfile" {
			project = s.Image
		}
	}
	nats = c.Services["nats"].Image
	if project == "" || nats == "" {
		t.Fatalf("docker-compose.yml: project image %q, nats image %q", project, nats)
	}
	return project, nats
}

// repository is an image reference without its tag or digest.
func repository(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		image = image[:i]
	}
	return image
}

// required are the variables each service must be given here (its
// defaults are for one machine: 127.0.0.1 and no credentials).
var required = map[string][]string{
	"fetcher":    {"NATS_URL", "NATS_USER", "NATS_PASSWORD", "NATS_REPLICAS", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET", "HTTP_ADDR", "POLICY_API_TOKEN"},
	"extractor":  {"NATS_URL", "NATS_USER", "NATS_PASSWORD", "NATS_REPLICAS", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET", "HTTP_ADDR", "ALLOWED_HOSTS", "TEMP_DIR"},
	"reconciler": {"NATS_URL", "NATS_USER", "NATS_PASSWORD", "NATS_REPLICAS", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET", "HTTP_ADDR"},
	"web":        {"S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET", "HTTP_ADDR", "LISTEN"},
}

// envValue is where a container's variable comes from.
type envValue struct {
	Literal   string // a value (also when it comes from a ConfigMap)
	Known     bool   // Literal is the value
	SecretRef *corev1.SecretKeySelector
}

// containerEnv resolves a container's environment against the rendered
// ConfigMaps and the example Secrets; errors name what does not resolve.
func containerEnv(c corev1.Container, objs []object, secrets []*corev1.Secret, ns string) (map[string]envValue, []string) {
	env := map[string]envValue{}
	var errs []string
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm := find[*corev1.ConfigMap](objs, from.ConfigMapRef.Name)
			if cm == nil {
				errs = append(errs, fmt.Sprintf("envFrom ConfigMap %s: not rendered", from.ConfigMapRef.Name))
				continue
			}
			for k, v := range cm.Data {
				env[from.Prefix+k] = envValue{Literal: v, Known: true}
			}
		default:
			errs = append(errs, "envFrom: only ConfigMaps (Secrets by key, so that each is named)")
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = envValue{Literal: e.Value, Known: true}
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			if !secretHas(secrets, ns, ref.Name, ref.Key) {
				errs = append(errs, fmt.Sprintf("%s: Secret %s/%s has no key %s in secrets.example.yaml", e.Name, ns, ref.Name, ref.Key))
			}
			if ref.Optional != nil && *ref.Optional {
				errs = append(errs, fmt.Sprintf("%s: an optional Secret would start the service without it", e.Name))
			}
			env[e.Name] = envValue{SecretRef: ref}
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm := find[*corev1.ConfigMap](objs, ref.Name)
			v, ok := "", false
			if cm != nil {
				v, ok = cm.Data[ref.Key]
			}
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: ConfigMap %s has no key %s", e.Name, ref.Name, ref.Key))
			}
			env[e.Name] = envValue{Literal: v, Known: true}
		default:
			env[e.Name] = envValue{} // field or resource reference
		}
	}
	return env, errs
}

func secretHas(secrets []*corev1.Secret, ns, name, key string) bool {
	for _, s := range secrets {
		if s.Namespace == ns && s.Name == name {
			_, a := s.StringData[key]
			_, b := s.Data[key]
			return a || b
		}
	}
	return false
}

func secretValue(secrets []*corev1.Secret, ns, name, key string) string {
	for _, s := range secrets {
		if s.Namespace == ns && s.Name == name {
			return s.StringData[key]
		}
	}
	return ""
}

// portOf is the port of a listen address; the host must be every interface
// (the kubelet probes the pod's IP, and the Service sends there).
func portOf(addr string) (int32, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	if host != "" && host != "0.0.0.0" && host != "::" {
		return 0, fmt.Errorf("%s listens on %s only: probes and Services reach the pod's IP", addr, host)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return int32(n), err
}

// What each service is given matches what it reads: the variables are its
// flags, the ports those of its addresses, the command a binary of the
// image, the image the one compose builds; the NATS users are the chart's.
func TestServices(t *testing.T) {
	objs := mustLoad(t, withKEDA)
	secrets := mustSecrets(t)
	values := mustNATSValues(t)
	bins := imageBinaries(t)
	projectImage, natsImage := composeImages(t)
	q := queueConstants(t)

	deps := byKind[*appsv1.Deployment](objs)
	var names []string
	for _, d := range deps {
		for _, c := range d.Spec.Template.Spec.Containers {
			if len(c.Command) != 1 || path.Dir(c.Command[0]) != "/usr/local/bin" || !slices.Contains(bins, path.Base(c.Command[0])) {
				t.Fatalf("%s/%s: command %v is not a binary deploy/Dockerfile builds (%v)", d.Name, c.Name, c.Command, bins)
			}
			names = append(names, path.Base(c.Command[0]))
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	reads := serviceEnv(t, names)

	natsUsers := map[string]string{} // user → Deployment
	for _, d := range deps {
		spec := d.Spec.Template.Spec
		for _, c := range spec.Containers {
			bin := path.Base(c.Command[0])
			where := d.Name + "/" + c.Name
			if repository(c.Image) == repository(projectImage) || path.Base(repository(c.Image)) != path.Base(repository(projectImage)) {
				t.Errorf("%s: image %s; want the image docker-compose.yml builds (%s) from your registry", where, c.Image, projectImage)
			}
			if tag := strings.TrimPrefix(c.Image, repository(c.Image)); tag == "" || tag == ":latest" {
				t.Errorf("%s: image %s: name a version, not latest", where, c.Image)
			}
			env, errs := containerEnv(c, objs, secrets, d.Namespace)
			for _, e := range errs {
				t.Errorf("%s: %s", where, e)
			}
			for name := range env {
				if !slices.Contains(reads[bin], name) && !slices.Contains(runtimeEnv, name) {
					t.Errorf("%s: sets %s, which %s does not read (it reads %v)", where, name, bin, reads[bin])
				}
			}
			for _, name := range required[bin] {
				if _, ok := env[name]; !ok {
					t.Errorf("%s: %s is not set", where, name)
				}
			}

			// Ports: the addresses' ports are the named container ports
			// the probes and Services use.
			for name, portName := range map[string]string{"HTTP_ADDR": "ops", "LISTEN": "http"} {
				v, ok := env[name]
				if !ok {
					continue
				}
				p, err := portOf(v.Literal)
				if err != nil {
					t.Errorf("%s: %s=%q: %v", where, name, v.Literal, err)
				} else if got := containerPort(spec, portName); got != p {
					t.Errorf("%s: %s listens on %d, the container port %q is %d", where, name, p, portName, got)
				}
			}
			for _, pr := range []struct {
				name  string
				probe *corev1.Probe
			}{{"readiness", c.ReadinessProbe}, {"liveness", c.LivenessProbe}} {
				if pr.probe == nil || pr.probe.HTTPGet == nil {
					t.Errorf("%s: no %s probe on a health endpoint", where, pr.name)
					continue
				}
				g := pr.probe.HTTPGet
				if g.Path != "/healthz" || g.Port.StrVal == "" || containerPort(spec, g.Port.StrVal) == 0 {
					t.Errorf("%s: %s probe %s on port %s: want /healthz on a named container port", where, pr.name, g.Path, g.Port.String())
				}
			}

			// Where NATS is, and how many servers keep each stream.
			if v, ok := env["NATS_URL"]; ok && bin != "web" {
				want := fmt.Sprintf("nats://%s.%s.svc.cluster.local:4222", natsRelease, natsNamespace)
				if v.Literal != want {
					t.Errorf("%s: NATS_URL %q, the chart's client Service is %s", where, v.Literal, want)
				}
			}
			if v, ok := env["NATS_REPLICAS"]; ok && v.Literal != strconv.Itoa(values.Config.Cluster.Replicas) {
				t.Errorf("%s: NATS_REPLICAS %q on a cluster of %d", where, v.Literal, values.Config.Cluster.Replicas)
			}
			if v, ok := env["TEMP_DIR"]; ok && !emptyDirAt(spec, c, v.Literal) {
				t.Errorf("%s: TEMP_DIR %s is not a mounted emptyDir (the root filesystem is read-only)", where, v.Literal)
			}

			// Its NATS user: its own, the chart's, with the same password.
			u, ok := env["NATS_USER"]
			if !ok {
				continue
			}
			if prev, dup := natsUsers[u.Literal]; dup {
				t.Errorf("%s and %s share the NATS user %s", prev, d.Name, u.Literal)
			}
			natsUsers[u.Literal] = d.Name
			pw := env["NATS_PASSWORD"].SecretRef
			if pw == nil || pw.Key != u.Literal {
				t.Errorf("%s: NATS_PASSWORD must come from a Secret's key %q", where, u.Literal)
				continue
			}
			checkNATSUser(t, values, secrets, u.Literal, secretValue(secrets, d.Namespace, pw.Name, pw.Key))
		}
	}

	// Every user of the chart reads its password from the nats-users
	// Secret, under its own name; its subjects are pkg/queue's.
	for _, u := range values.Config.Merge.Authorization.Users {
		checkNATSUser(t, values, secrets, u.User, secretValue(secrets, natsNamespace, "nats-users", u.User))
		for _, s := range slices.Concat(u.Permissions.Publish.Allow, u.Permissions.Subscribe.Allow) {
			if !queueSubject(q, s) {
				t.Errorf("NATS user %s may use %s, which is none of pkg/queue's subjects", u.User, s)
			}
		}
	}

	if got := values.Container.Image.Repository + ":" + values.Container.Image.Tag; got != natsImage {
		t.Errorf("nats-values.yaml runs %s, docker-compose.yml %s", got, natsImage)
	}
	if !values.Config.Cluster.Enabled || values.Config.Cluster.Replicas != 3 || !values.Config.JetStream.Enabled ||
		!values.Config.JetStream.FileStore.Enabled || !values.Config.JetStream.FileStore.PVC.Enabled {
		t.Error("nats-values.yaml: want a three-server cluster with JetStream on persistent volumes")
	}
}

// checkNATSUser: the chart has the user, its password is the variable set
// from the nats-users Secret's key of that name, and the example value is
// the services' (the same password, twice).
func checkNATSUser(t *testing.T, values natsValues, secrets []*corev1.Secret, user, servicePassword string) {
	t.Helper()
	i := slices.IndexFunc(values.Config.Merge.Authorization.Users, func(u natsUser) bool { return u.User == user })
	if i < 0 {
		t.Errorf("NATS user %s: not in nats-values.yaml", user)
		return
	}
	m := regexp.MustCompile(`^<< \$([A-Z0-9_]+) >>$`).FindStringSubmatch(values.Config.Merge.Authorization.Users[i].Password)
	if m == nil {
		t.Errorf("NATS user %s: password %q must be << $VARIABLE >> (never the password itself)", user, values.Config.Merge.Authorization.Users[i].Password)
		return
	}
	src := values.Container.Env[m[1]].ValueFrom
	if src == nil || src.SecretKeyRef == nil || src.SecretKeyRef.Name != "nats-users" || src.SecretKeyRef.Key != user {
		t.Errorf("NATS user %s: $%s must come from the Secret nats-users, key %s", user, m[1], user)
		return
	}
	if !secretHas(secrets, natsNamespace, "nats-users", user) {
		t.Errorf("NATS user %s: secrets.example.yaml's nats-users has no key %s", user, user)
	}
	if got := secretValue(secrets, natsNamespace, "nats-users", user); servicePassword != got {
		t.Errorf("NATS user %s: the example passwords differ (%q for the servers, %q for the service)", user, got, servicePassword)
	}
}

// queueSubject reports whether a permission names the JetStream API, acks,
// inboxes, or a subject pkg/queue publishes (or one under it: events are
// published as <subject>.ok and <subject>.failed).
func queueSubject(q map[string]string, pattern string) bool {
	switch pattern {
	case "$JS.API.>", "$JS.ACK.>", "_INBOX.>":
		return true
	}
	for _, name := range []string{"JobSubject", "DeadSubject", "ExtractedSubj", "PolicySubj", "RequestSubject"} {
		if subjectMatch(pattern, q[name]) || subjectMatch(pattern, q[name]+".x") {
			return true
		}
	}
	return false
}

// subjectMatch is NATS's wildcard match: * one token, > one or more.
func subjectMatch(pattern, subject string) bool {
	p, s := strings.Split(pattern, "."), strings.Split(subject, ".")
	for i, tok := range p {
		if tok == ">" {
			return len(s) > i
		}
		if i >= len(s) || (tok != "*" && tok != s[i]) {
			return false
		}
	}
	return len(p) == len(s)
}

func emptyDirAt(spec corev1.PodSpec, c corev1.Container, dir string) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath != dir || m.ReadOnly {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.EmptyDir != nil {
				return true
			}
		}
	}
	return false
}

// Every pod meets the "restricted" Pod Security Standard (the namespace
// enforces it) and this project's rules: read-only root filesystem, no
// service account token, requests and limits.
func TestPodSecurity(t *testing.T) {
	objs := mustLoad(t, withKEDA)
	for _, ns := range byKind[*corev1.Namespace](objs) {
		if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Errorf("namespace %s does not enforce the restricted Pod Security Standard", ns.Name)
		}
	}
	allowedVolume := func(v corev1.Volume) bool {
		s := v.VolumeSource
		return s.ConfigMap != nil || s.CSI != nil || s.DownwardAPI != nil || s.EmptyDir != nil || s.Ephemeral != nil ||
			s.PersistentVolumeClaim != nil || s.Projected != nil || s.Secret != nil
	}
	for _, d := range byKind[*appsv1.Deployment](objs) {
		spec := d.Spec.Template.Spec
		psc := spec.SecurityContext
		if psc == nil {
			psc = &corev1.PodSecurityContext{}
		}
		if spec.HostNetwork || spec.HostPID || spec.HostIPC {
			t.Errorf("%s: host namespaces", d.Name)
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Errorf("%s: mounts a service account token it never uses", d.Name)
		}
		for _, v := range spec.Volumes {
			if !allowedVolume(v) {
				t.Errorf("%s: volume %s of a type the restricted standard forbids", d.Name, v.Name)
			}
		}
		if psc.RunAsUser != nil && *psc.RunAsUser == 0 {
			t.Errorf("%s: runs as root", d.Name)
		}
		for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
			where := d.Name + "/" + c.Name
			sc := c.SecurityContext
			if sc == nil {
				t.Errorf("%s: no securityContext", where)
				continue
			}
			nonRoot := (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || (sc.RunAsNonRoot == nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot)
			if !nonRoot || (sc.RunAsUser != nil && *sc.RunAsUser == 0) {
				t.Errorf("%s: not runAsNonRoot", where)
			}
			seccomp := sc.SeccompProfile
			if seccomp == nil {
				seccomp = psc.SeccompProfile
			}
			if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
				t.Errorf("%s: seccomp profile must be RuntimeDefault or Localhost", where)
			}
			if sc.Privileged != nil && *sc.Privileged {
				t.Errorf("%s: privileged", where)
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: allowPrivilegeEscalation must be false", where)
			}
			if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
				t.Errorf("%s: capabilities must drop ALL", where)
			} else if len(sc.Capabilities.Add) > 0 {
				t.Errorf("%s: adds capabilities %v", where, sc.Capabilities.Add)
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s: root filesystem must be read-only", where)
			}
			for _, p := range c.Ports {
				if p.HostPort != 0 {
					t.Errorf("%s: host port %d", where, p.HostPort)
				}
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
				if req.IsZero() || lim.IsZero() || req.Cmp(lim) > 0 {
					t.Errorf("%s: %s request %s, limit %s", where, r, req.String(), lim.String())
				}
			}
		}
	}
}

// The example Secrets carry placeholders that say so, never something that
// looks like a usable value.
func TestSecretsArePlaceholders(t *testing.T) {
	secrets := mustSecrets(t)
	if len(secrets) == 0 {
		t.Fatal("secrets.example.yaml has no Secret")
	}
	for _, s := range secrets {
		if len(s.Data) > 0 {
			t.Errorf("%s/%s: use stringData (readable placeholders)", s.Namespace, s.Name)
		}
		for k, v := range s.StringData {
			if !strings.HasPrefix(v, "CHANGE-ME") {
				t.Errorf("%s/%s: %s = %q is not an obvious placeholder (CHANGE-ME...)", s.Namespace, s.Name, k, v)
			}
		}
	}
	for _, dir := range []string{withKEDA, baseDir} {
		for _, o := range mustLoad(t, dir) {
			if o.GVK.Kind == "Secret" {
				t.Errorf("%s: the kustomization applies %s: Secrets are yours to create", dir, o)
			}
		}
	}
}

// The chart's users are the compose stack's (deploy/nats.conf): the same
// users with the same permissions, so that a service refused something in
// one is refused it in the other. nats.conf is read with nats-server's own
// parser, its password variables set to stand-ins.
func TestNATSUsersMatchCompose(t *testing.T) {
	path := filepath.Join(repoRoot, "deploy/nats.conf")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("SKIPPED: %s not present (%v): the compose stack's NATS users cannot be compared", path, err)
	}
	values := mustNATSValues(t)
	for name := range values.Container.Env {
		t.Setenv(name, "stand-in-"+strings.ToLower(name))
	}
	c, err := conf.ParseFile(path)
	if err != nil {
		t.Fatalf("%s: %v (nats-values.yaml sets %v)", path, err, slices.Sorted(maps.Keys(values.Container.Env)))
	}
	type perms struct{ pub, sub []string }
	compose := map[string]perms{}
	auth, _ := c["authorization"].(map[string]any)
	users, _ := auth["users"].([]any)
	for _, u := range users {
		m, _ := u.(map[string]any)
		name, _ := m["user"].(string)
		p, _ := m["permissions"].(map[string]any)
		compose[name] = perms{allowList(p["publish"]), allowList(p["subscribe"])}
	}
	if len(compose) == 0 {
		t.Fatalf("%s: no authorization users", path)
	}
	helm := map[string]perms{}
	for _, u := range values.Config.Merge.Authorization.Users {
		helm[u.User] = perms{slices.Sorted(slices.Values(u.Permissions.Publish.Allow)), slices.Sorted(slices.Values(u.Permissions.Subscribe.Allow))}
	}
	for name, want := range compose {
		got, ok := helm[name]
		if !ok {
			t.Errorf("user %s of deploy/nats.conf is not in nats-values.yaml", name)
			continue
		}
		if !slices.Equal(got.pub, want.pub) || !slices.Equal(got.sub, want.sub) {
			t.Errorf("user %s: nats-values.yaml allows publish %v subscribe %v, deploy/nats.conf publish %v subscribe %v",
				name, got.pub, got.sub, want.pub, want.sub)
		}
	}
	for name := range helm {
		if _, ok := compose[name]; !ok {
			t.Errorf("user %s of nats-values.yaml is not in deploy/nats.conf", name)
		}
	}
}

// allowList is the sorted allow list of a NATS permission: {allow: [...]},
// {allow: "x"}, or a bare list.
func allowList(v any) []string {
	if m, ok := v.(map[string]any); ok {
		v = m["allow"]
	}
	var out []string
	switch v := v.(type) {
	case string:
		out = []string{v}
	case []any:
		for _, s := range v {
			if s, ok := s.(string); ok {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return out
}
