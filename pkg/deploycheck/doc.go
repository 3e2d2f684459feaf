// Package deploycheck holds the fast, engine-free tests of the deployment
// files at the repository root (docker-compose.yml, deploy/Dockerfile,
// deploy/nats.conf, .env.example): the compose file is loaded with
// compose-spec/compose-go (the loader Docker Compose itself uses) and
// checked against the binaries (every command exists in the image, every
// environment variable is one the service reads), its secrets are
// required, and the NATS configuration is started for real. The stack on
// a real Docker Engine is pkg/composetest's.
package deploycheck
