// Package k8s holds the Kubernetes deployment of policytext (kustomize
// manifests under base/ and here, the NATS Helm chart's values, example
// Secrets) and the tests that check it offline, since no cluster can run
// where the project is built:
//
//   - both kustomizations render (sigs.k8s.io/kustomize/api, no network);
//   - every manifest decodes strictly into its Kubernetes API type
//     (k8s.io/api: an unknown or misplaced field is an error) and converts
//     to a typed value of client-go's built-in schema (wrong types,
//     duplicate list keys);
//   - the KEDA ScaledObject decodes strictly into a struct written from
//     KEDA's documentation, its nats-jetstream trigger's metadata too, and
//     names the stream and consumer pkg/queue defines;
//   - what the manifests give each service matches what it reads: the
//     environment variables are the binaries' flags (their -h), the ports
//     those of HTTP_ADDR and LISTEN, the commands binaries deploy/Dockerfile
//     builds, the image the one docker-compose.yml builds;
//   - every pod meets the "restricted" Pod Security Standard, has resource
//     requests and limits and probes on its health endpoints; every Secret
//     a pod reads is in secrets.example.yaml; the NATS users of the
//     services are the chart's users, with the same passwords' Secrets.
//
// It is its own Go module so that the Kubernetes libraries stay out of the
// main module: `go test ./...` and `go build` at the repository root never
// compile them. Run its tests with
//
//	cd deploy/k8s && go test ./...
package k8s
