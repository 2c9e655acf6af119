//go:build race

package host

// raceEnabled tells tests that the race detector is on: its shadow memory
// counts in the process's RSS.
const raceEnabled = true
