// Package deploycheck holds the fast, engine-free tests of the deployment
// files at the repository root (docker-compose.yml, deploy/Dockerfile,
// deploy/nats.conf, deploy/compose.cluster.yml, deploy/nats-cluster.conf,
// .env.example): the compose file is loaded with
// compose-spec/compose-go (the loader Docker Compose itself uses) and
// checked against the binaries (every command exists in the image, every
// environment variable is one the service reads), its secrets are
// required, and the NATS configuration is started for real: the single
// server of deploy/nats.conf, and the three nodes of the cluster override
// (deploy/compose.cluster.yml, deploy/nats-cluster.conf) forming a cluster
// with R3 streams. The stack on a real Docker Engine is pkg/composetest's.
package deploycheck
