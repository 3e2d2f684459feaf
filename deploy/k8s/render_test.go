package k8s

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// repoRoot is the policytext repository, whose services the manifests run.
const repoRoot = "../.."

// The kustomizations: with KEDA (this directory) and without (base).
const (
	withKEDA = "."
	baseDir  = "base"
)

// object is one rendered manifest, decoded.
type object struct {
	GVK       schema.GroupVersionKind
	Name      string
	Namespace string
	YAML      []byte
	Obj       runtime.Object // the typed object: a k8s.io/api type, or *scaledObject
}

func (o object) String() string {
	return fmt.Sprintf("%s %s/%s", o.GVK.Kind, o.Namespace, o.Name)
}

// render builds the kustomization in dir, on disk and offline.
func render(dir string) ([][]byte, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", dir, err)
	}
	var docs [][]byte
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("kustomize %s: %s: %w", dir, r.CurId(), err)
		}
		docs = append(docs, y)
	}
	return docs, nil
}

// typeConverter checks objects against client-go's built-in schema (the
// OpenAPI models compiled into it: no cluster, no download).
var typeConverter = applyconfigurations.NewTypeConverter(scheme.Scheme)

// decode decodes one manifest strictly: into its API type with unknown
// and duplicate fields as errors, then against the schema (types, list
// keys). Custom resources are decoded into the structs of this package.
func decode(doc []byte) (object, error) {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return object{}, fmt.Errorf("not a manifest: %w", err)
	}
	gv, err := schema.ParseGroupVersion(meta.APIVersion)
	if err != nil {
		return object{}, fmt.Errorf("%s %s: %w", meta.Kind, meta.Metadata.Name, err)
	}
	o := object{GVK: gv.WithKind(meta.Kind), Name: meta.Metadata.Name, Namespace: meta.Metadata.Namespace, YAML: doc}
	if o.GVK == scaledObjectGVK {
		so, err := decodeScaledObject(doc)
		if err != nil {
			return o, fmt.Errorf("%s: %w", o, err)
		}
		o.Obj = so
		return o, nil
	}
	obj, err := scheme.Scheme.New(o.GVK)
	if err != nil {
		return o, fmt.Errorf("%s: not a built-in Kubernetes type: %w", o, err)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return o, fmt.Errorf("%s: %w", o, err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(doc, &u.Object); err != nil {
		return o, fmt.Errorf("%s: %w", o, err)
	}
	if _, err := typeConverter.ObjectToTyped(u); err != nil {
		return o, fmt.Errorf("%s: schema: %w", o, err)
	}
	o.Obj = obj
	return o, nil
}

// load renders dir and decodes every manifest; all errors are returned.
func load(dir string) ([]object, error) {
	docs, err := render(dir)
	if err != nil {
		return nil, err
	}
	var objs []object
	var errs []error
	for _, d := range docs {
		o, err := decode(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o)
	}
	return objs, errors.Join(errs...)
}

// readDocs decodes a multi-document YAML file that is not a
// kustomization (the example Secrets).
func readDocs(path string) ([]object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var objs []object
	var errs []error
	for {
		doc, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		o, err := decode(doc)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		objs = append(objs, o)
	}
	return objs, errors.Join(errs...)
}

func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(append(out, line...), '\n')
		}
	}
	return out
}

func mustLoad(t *testing.T, dir string) []object {
	t.Helper()
	objs, err := load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) == 0 {
		t.Fatalf("%s renders nothing", dir)
	}
	return objs
}

func mustSecrets(t *testing.T) []*corev1.Secret {
	t.Helper()
	objs, err := readDocs("secrets.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []*corev1.Secret
	for _, o := range objs {
		s, ok := o.Obj.(*corev1.Secret)
		if !ok {
			t.Fatalf("secrets.example.yaml: %s is not a Secret", o)
		}
		out = append(out, s)
	}
	return out
}

// byKind returns the objects of one type.
func byKind[T runtime.Object](objs []object) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.Obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func find[T interface {
	runtime.Object
	GetName() string
}](objs []object, name string) T {
	for _, v := range byKind[T](objs) {
		if v.GetName() == name {
			return v
		}
	}
	var zero T
	return zero
}

func TestRenderStrict(t *testing.T) {
	for _, dir := range []string{withKEDA, baseDir} {
		t.Run(dir, func(t *testing.T) {
			objs := mustLoad(t, dir)
			seen := map[string]bool{}
			for _, o := range objs {
				if seen[o.String()] {
					t.Errorf("%s twice", o)
				}
				seen[o.String()] = true
				if o.Namespace != "policytext" && o.GVK.Kind != "Namespace" {
					t.Errorf("%s: not in the namespace policytext", o)
				}
			}
			for _, want := range []string{"Deployment policytext/fetcher", "Deployment policytext/extractor",
				"Deployment policytext/reconciler", "Deployment policytext/web", "Service policytext/web",
				"PodDisruptionBudget policytext/extractor", "Namespace /policytext"} {
				if !seen[want] {
					t.Errorf("%s missing (rendered: %v)", want, keys(seen))
				}
			}
			_, keda := seen["ScaledObject policytext/extractor"]
			if keda != (dir == withKEDA) {
				t.Errorf("ScaledObject rendered: %v, want %v", keda, dir == withKEDA)
			}
			// KEDA's HPA owns the count of extractors; without KEDA the
			// Deployment says it.
			ex := find[*appsv1.Deployment](objs, "extractor")
			if dir == withKEDA && ex.Spec.Replicas != nil {
				t.Errorf("with KEDA the extractor Deployment must not set replicas (it has %d)", *ex.Spec.Replicas)
			}
			if dir == baseDir && (ex.Spec.Replicas == nil || *ex.Spec.Replicas < 2) {
				t.Errorf("without KEDA run at least two extractors")
			}
		})
	}
	if _, err := readDocs("secrets.example.yaml"); err != nil {
		t.Error(err)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The checks catch what they are meant to: each case breaks a copy of the
// manifests in one way and expects the error that names it.
func TestRenderStrictCatches(t *testing.T) {
	cases := []struct {
		name, file, old, new, want string
	}{
		{"misspelt field", "base/extractor.yaml", "  replicas: 2\n", "  replica: 2\n", `unknown field "replica"`},
		{"misplaced field", "base/fetcher.yaml", "      enableServiceLinks: false\n",
			"      enableServiceLinks: false\n      imagePullPolicy: Always\n", `unknown field "imagePullPolicy"`},
		{"wrong type", "base/web.yaml", "containerPort: 8080", `containerPort: "8080"`, "containerPort"},
		{"duplicate list key", "base/web.yaml", "            - name: LISTEN\n",
			"            - name: HTTP_ADDR\n              value: x\n            - name: LISTEN\n", "duplicate entries"},
		{"KEDA field misspelt", "extractor-scaledobject.yaml", "  pollingInterval: 15", "  pollInterval: 15", `unknown field "pollInterval"`},
		{"KEDA trigger setting misspelt", "extractor-scaledobject.yaml", "lagThreshold: \"100\"", "lagTreshold: \"100\"", `unknown field "lagTreshold"`},
		{"KEDA trigger setting not a string", "extractor-scaledobject.yaml", `lagThreshold: "100"`, `lagThreshold: 100`, "lagThreshold"},
		{"KEDA trigger setting not a number", "extractor-scaledobject.yaml", `lagThreshold: "100"`, `lagThreshold: "a hundred"`, "lagThreshold"},
		{"KEDA required setting missing", "extractor-scaledobject.yaml", "        account: \"$G\"", "", "account"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyTree(t)
			path := filepath.Join(dir, c.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, []byte(c.old)) {
				t.Fatalf("%s no longer contains %q: update this case", c.file, c.old)
			}
			if err := os.WriteFile(path, bytes.Replace(b, []byte(c.old), []byte(c.new), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			// A broken base is rendered on its own: the KEDA overlay's
			// patch may fail on it first, for another reason.
			root := dir
			if strings.HasPrefix(c.file, baseDir+"/") {
				root = filepath.Join(dir, baseDir)
			}
			_, err = load(root)
			if err == nil {
				t.Fatalf("%s: broken as %q, still accepted", c.file, c.new)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

// copyTree copies the manifests (not the Go files) to a temporary directory.
func copyTree(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, path), 0o755)
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".env" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, path), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// Selectors select what they mean to: each Deployment its own pods, the
// Service and the PodDisruptionBudgets one Deployment's pods.
func TestSelectors(t *testing.T) {
	objs := mustLoad(t, withKEDA)
	deps := byKind[*appsv1.Deployment](objs)
	selects := func(sel map[string]string, labels map[string]string) bool {
		for k, v := range sel {
			if labels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	matching := func(sel map[string]string) []string {
		var out []string
		for _, d := range deps {
			if selects(sel, d.Spec.Template.Labels) {
				out = append(out, d.Name)
			}
		}
		return out
	}
	for _, d := range deps {
		if d.Spec.Selector == nil || len(d.Spec.Selector.MatchExpressions) > 0 {
			t.Errorf("%s: selector must be matchLabels only", d.Name)
			continue
		}
		if m := matching(d.Spec.Selector.MatchLabels); len(m) != 1 || m[0] != d.Name {
			t.Errorf("Deployment %s selects the pods of %v", d.Name, m)
		}
	}
	for _, s := range byKind[*corev1.Service](objs) {
		m := matching(s.Spec.Selector)
		if len(m) != 1 {
			t.Errorf("Service %s selects the pods of %v", s.Name, m)
			continue
		}
		d := find[*appsv1.Deployment](objs, m[0])
		for _, p := range s.Spec.Ports {
			if p.TargetPort.StrVal == "" || containerPort(d.Spec.Template.Spec, p.TargetPort.StrVal) == 0 {
				t.Errorf("Service %s: port %s targets %q, not a named port of %s", s.Name, p.Name, p.TargetPort.String(), d.Name)
			}
		}
	}
	for _, p := range byKind[*policyv1.PodDisruptionBudget](objs) {
		if p.Spec.Selector == nil {
			t.Errorf("PodDisruptionBudget %s: no selector", p.Name)
			continue
		}
		if m := matching(p.Spec.Selector.MatchLabels); len(m) != 1 || m[0] != p.Name {
			t.Errorf("PodDisruptionBudget %s covers the pods of %v", p.Name, m)
		}
	}
}

// containerPort is the number of a named port of the pod's containers.
func containerPort(spec corev1.PodSpec, name string) int32 {
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return p.ContainerPort
			}
		}
	}
	return 0
}
