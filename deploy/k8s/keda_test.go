package k8s

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// KEDA's ScaledObject (keda.sh/v1alpha1), written from KEDA's documentation
// ("Scaling Deployments, StatefulSets & Custom Resources", ScaledObject
// specification): the fields there, no others, so that strict decoding
// rejects a misspelt or misplaced one. KEDA's own Go types would pull in
// some sixty modules for this.
var scaledObjectGVK = schema.GroupVersionKind{Group: "keda.sh", Version: "v1alpha1", Kind: "ScaledObject"}

type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              scaledObjectSpec `json:"spec"`
}

type scaledObjectSpec struct {
	ScaleTargetRef        *scaleTarget   `json:"scaleTargetRef"`
	PollingInterval       *int32         `json:"pollingInterval,omitempty"`       // default 30
	InitialCooldownPeriod *int32         `json:"initialCooldownPeriod,omitempty"` // default 0
	CooldownPeriod        *int32         `json:"cooldownPeriod,omitempty"`        // default 300
	IdleReplicaCount      *int32         `json:"idleReplicaCount,omitempty"`
	MinReplicaCount       *int32         `json:"minReplicaCount,omitempty"` // default 0
	MaxReplicaCount       *int32         `json:"maxReplicaCount,omitempty"` // default 100
	Fallback              *fallback      `json:"fallback,omitempty"`
	Advanced              *advanced      `json:"advanced,omitempty"`
	Triggers              []scaleTrigger `json:"triggers"`
}

type scaleTarget struct {
	APIVersion             string `json:"apiVersion,omitempty"` // default apps/v1
	Kind                   string `json:"kind,omitempty"`       // default Deployment
	Name                   string `json:"name"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

type fallback struct {
	FailureThreshold int32  `json:"failureThreshold"`
	Replicas         int32  `json:"replicas"`
	Behavior         string `json:"behavior,omitempty"` // static (default), currentReplicas, ...
}

type advanced struct {
	RestoreToOriginalReplicaCount bool             `json:"restoreToOriginalReplicaCount,omitempty"`
	HorizontalPodAutoscalerConfig *hpaConfig       `json:"horizontalPodAutoscalerConfig,omitempty"`
	ScalingModifiers              *scalingModifier `json:"scalingModifiers,omitempty"`
}

type hpaConfig struct {
	Name     string                                         `json:"name,omitempty"`
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

type scalingModifier struct {
	Formula          string `json:"formula,omitempty"`
	Target           string `json:"target,omitempty"`
	ActivationTarget string `json:"activationTarget,omitempty"`
	MetricType       string `json:"metricType,omitempty"`
}

type scaleTrigger struct {
	Type              string                         `json:"type"`
	Name              string                         `json:"name,omitempty"`
	UseCachedMetrics  bool                           `json:"useCachedMetrics,omitempty"`
	MetricType        autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
	Metadata          map[string]string              `json:"metadata"` // values are strings, numbers included
	AuthenticationRef *struct {
		Name string `json:"name"`
		Kind string `json:"kind,omitempty"`
	} `json:"authenticationRef,omitempty"`
}

// natsJetStreamTrigger is the metadata of the nats-jetstream scaler
// (KEDA docs, "NATS JetStream" scaler, v2.8+). The backlog it scales on is
// the consumer's num_pending + num_ack_pending, read from the consumer
// leader's monitoring endpoint.
type natsJetStreamTrigger struct {
	NATSServerMonitoringEndpoint string `json:"natsServerMonitoringEndpoint"` // required: host:port, no scheme
	Account                      string `json:"account"`                      // required: "$G" without accounts
	Stream                       string `json:"stream"`                       // required
	Consumer                     string `json:"consumer"`                     // required
	LagThreshold                 string `json:"lagThreshold,omitempty"`       // average target per replica, default 10
	ActivationLagThreshold       string `json:"activationLagThreshold,omitempty"`
	UseHTTPS                     string `json:"useHttps,omitempty"` // default false
}

func (s *scaledObject) DeepCopyObject() runtime.Object { c := *s; return &c }

// decodeScaledObject decodes strictly, then checks what KEDA's admission
// webhook and scaler would refuse.
func decodeScaledObject(doc []byte) (*scaledObject, error) {
	var so scaledObject
	if err := yaml.UnmarshalStrict(doc, &so); err != nil {
		return nil, err
	}
	s := so.Spec
	var errs []error
	// Decoding into a string turns a YAML number into one; the API server
	// gets JSON from kubectl and refuses a number where KEDA's schema says
	// string (trigger metadata: lagThreshold: 100 instead of "100").
	var raw struct {
		Spec struct {
			Triggers []struct {
				Metadata map[string]any `json:"metadata"`
			} `json:"triggers"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(doc, &raw); err != nil {
		return nil, err
	}
	for i, tr := range raw.Spec.Triggers {
		for k, v := range tr.Metadata {
			if _, ok := v.(string); !ok {
				errs = append(errs, fmt.Errorf("spec.triggers[%d].metadata.%s: %v is a %T, KEDA wants a string (quote it)", i, k, v, v))
			}
		}
	}
	if s.ScaleTargetRef == nil || s.ScaleTargetRef.Name == "" {
		errs = append(errs, errors.New("spec.scaleTargetRef.name is required"))
	}
	minR, maxR := int32(0), int32(100)
	if s.MinReplicaCount != nil {
		minR = *s.MinReplicaCount
	}
	if s.MaxReplicaCount != nil {
		maxR = *s.MaxReplicaCount
	}
	if minR < 0 || maxR < 1 || minR > maxR {
		errs = append(errs, fmt.Errorf("replica counts: min %d, max %d", minR, maxR))
	}
	if f := s.Fallback; f != nil && (f.FailureThreshold < 1 || f.Replicas < 1 || f.Replicas > maxR) {
		errs = append(errs, fmt.Errorf("fallback: %+v", *f))
	}
	if len(s.Triggers) == 0 {
		errs = append(errs, errors.New("spec.triggers: none"))
	}
	for i, tr := range s.Triggers {
		if tr.Type != "nats-jetstream" {
			continue
		}
		if _, err := natsJetStream(tr); err != nil {
			errs = append(errs, fmt.Errorf("spec.triggers[%d] (nats-jetstream): %w", i, err))
		}
	}
	return &so, errors.Join(errs...)
}

// natsJetStream decodes a trigger's metadata strictly and checks its values.
func natsJetStream(tr scaleTrigger) (natsJetStreamTrigger, error) {
	var m natsJetStreamTrigger
	b, _ := json.Marshal(tr.Metadata)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, err
	}
	var errs []error
	for name, v := range map[string]string{"natsServerMonitoringEndpoint": m.NATSServerMonitoringEndpoint,
		"account": m.Account, "stream": m.Stream, "consumer": m.Consumer} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", name))
		}
	}
	if m.NATSServerMonitoringEndpoint != "" {
		if strings.Contains(m.NATSServerMonitoringEndpoint, "://") {
			errs = append(errs, fmt.Errorf("natsServerMonitoringEndpoint %q: host:port, without a scheme (useHttps says which)", m.NATSServerMonitoringEndpoint))
		} else if _, port, err := net.SplitHostPort(m.NATSServerMonitoringEndpoint); err != nil {
			errs = append(errs, fmt.Errorf("natsServerMonitoringEndpoint: %w", err))
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			errs = append(errs, fmt.Errorf("natsServerMonitoringEndpoint port: %w", err))
		}
	}
	if m.LagThreshold != "" {
		if n, err := strconv.ParseInt(m.LagThreshold, 10, 64); err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("lagThreshold %q: a positive integer", m.LagThreshold))
		}
	}
	if m.ActivationLagThreshold != "" {
		if n, err := strconv.ParseInt(m.ActivationLagThreshold, 10, 64); err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("activationLagThreshold %q: an integer ≥ 0", m.ActivationLagThreshold))
		}
	}
	if m.UseHTTPS != "" {
		if _, err := strconv.ParseBool(m.UseHTTPS); err != nil {
			errs = append(errs, fmt.Errorf("useHttps %q: %w", m.UseHTTPS, err))
		}
	}
	return m, errors.Join(errs...)
}

// The ScaledObject scales the extractor Deployment on the backlog of the
// stream and consumer pkg/queue defines, read from the NATS chart's
// headless Service on its monitoring port.
func TestScaledObject(t *testing.T) {
	objs := mustLoad(t, withKEDA)
	sos := byKind[*scaledObject](objs)
	if len(sos) != 1 {
		t.Fatalf("%d ScaledObjects, want 1", len(sos))
	}
	so := sos[0].Spec
	ref := so.ScaleTargetRef
	if (ref.APIVersion != "" && ref.APIVersion != "apps/v1") || (ref.Kind != "" && ref.Kind != "Deployment") {
		t.Errorf("scaleTargetRef %+v: not a Deployment", *ref)
	}
	dep := find[*appsv1.Deployment](objs, ref.Name)
	if dep == nil {
		t.Fatalf("scaleTargetRef %q: no such Deployment", ref.Name)
	}
	if cmd := dep.Spec.Template.Spec.Containers[0].Command; len(cmd) == 0 || cmd[0] != "/usr/local/bin/extractor" {
		t.Errorf("KEDA scales %s, which runs %v, not the extractor", ref.Name, cmd)
	}
	if so.MinReplicaCount == nil || *so.MinReplicaCount > 1 || so.MaxReplicaCount == nil || *so.MaxReplicaCount < 2 {
		t.Errorf("replicas: min %v max %v; want min 0 or 1, max set above 1", so.MinReplicaCount, so.MaxReplicaCount)
	}

	q := queueConstants(t)
	values := mustNATSValues(t)
	var n int
	for _, tr := range so.Triggers {
		if tr.Type != "nats-jetstream" {
			continue
		}
		n++
		m, err := natsJetStream(tr)
		if err != nil {
			t.Fatal(err)
		}
		if m.Stream != q["JobsStream"] || m.Consumer != q["ExtractorDur"] {
			t.Errorf("trigger on %s/%s; pkg/queue's extractor consumer is %s/%s", m.Stream, m.Consumer, q["JobsStream"], q["ExtractorDur"])
		}
		// No accounts in nats-values.yaml: every user is in the global account.
		if m.Account != "$G" {
			t.Errorf("account %q: the chart's users have no account, so it is $G", m.Account)
		}
		host, port, _ := net.SplitHostPort(m.NATSServerMonitoringEndpoint)
		if want := natsRelease + "-headless." + natsNamespace + ".svc.cluster.local"; host != want {
			t.Errorf("monitoring endpoint host %s: KEDA must ask the headless Service %s (it resolves <server>.<host>)", host, want)
		}
		if !values.Config.Monitor.Enabled || port != strconv.Itoa(values.Config.Monitor.Port) {
			t.Errorf("monitoring endpoint port %s; nats-values.yaml serves monitoring on %d (enabled %v)",
				port, values.Config.Monitor.Port, values.Config.Monitor.Enabled)
		}
		if m.UseHTTPS == "true" {
			t.Error("useHttps: the chart's monitoring port is plain HTTP")
		}
		if m.LagThreshold == "" || m.ActivationLagThreshold == "" {
			t.Error("say lagThreshold and activationLagThreshold rather than rely on KEDA's defaults")
		}
	}
	if n != 1 {
		t.Errorf("%d nats-jetstream triggers, want 1", n)
	}
}
