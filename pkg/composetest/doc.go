// Package composetest runs the real docker-compose.yml on a Docker Engine
// that has no registry: its test builds Compose v2 and every image the
// compose file names from the Go module proxy and Debian's packages,
// starts the demo profile, checks what it produced, and breaks it under
// load (an extractor killed, NATS restarted, S3 paused); a second test runs
// the same with the cluster override deploy/compose.cluster.yml (three
// NATS nodes) and kills the node leading the jobs stream mid-run. They run
// when asked, with POLICYTEXT_DOCKER=1 (.ci/run does, when an engine
// answers):
//
//	POLICYTEXT_DOCKER=1 go test -count=1 -timeout 50m -v -run 'TestCompose(Stack|Cluster)' ./pkg/composetest
//
// Slow builds are cached under ~/.cache/policytext-ci (POLICYTEXT_CI_CACHE
// moves it): the Compose, nats-server and weed binaries by version, the
// debootstrap tarball by suite and mirror, and images by the hash of what
// went into them, so a second run only starts containers.
package composetest
