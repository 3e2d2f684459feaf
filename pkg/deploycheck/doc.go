// Package deploycheck holds the tests of the deployment files at the
// repository root (docker-compose.yml, deploy/Dockerfile, .env.example):
// there is no Docker engine where the project is developed, so the compose
// file is loaded with compose-spec/compose-go (the loader Docker Compose
// itself uses) and checked against the binaries: every command exists in
// the image, every environment variable is one the service reads.
package deploycheck
