//go:build !race

package safehttp

const raceEnabled = false
