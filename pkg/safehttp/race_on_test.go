//go:build race

package safehttp

// raceEnabled: the race detector multiplies memory, so bounds on RSS do not
// apply.
const raceEnabled = true
